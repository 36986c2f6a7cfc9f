//===- ToLinalg.cpp - Lower attn graph ops to linalg on tensors ---------===//
//
// The CPU path's entry into upstream MLIR: every attn graph op becomes
// linalg/tensor/arith/math on tensors, and every integer signless (the
// signedness of unsigned ones moves into the ops: divui, cmpi ult, ...). attn.sdpa must be decomposed (or
// tiled) before this runs; the patterns live in passes/lowering/.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "dialects/attn/RunTimeDims.h"
#include "passes/Transforms.h"
#include "passes/lowering/Patterns.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNTOLINALGPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

void mlir::attn::populateAttnToLinalgPatterns(RewritePatternSet &patterns,
                                              const lowering::UnsignedOps &unsignedOps) {
  lowering::populateElementwiseToLinalgPatterns(patterns, unsignedOps);
  lowering::populateDataMovementToLinalgPatterns(patterns);
  lowering::populateContractionToLinalgPatterns(patterns);
  lowering::populateNormalizationToLinalgPatterns(patterns, unsignedOps);
}

namespace {

struct AttnToLinalgPass : attn::impl::AttnToLinalgPassBase<AttnToLinalgPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Run-time dims lower where their extent can be read from an operand
    // (dialects/attn/RunTimeDims.h); say which op has one that cannot.
    WalkResult dynamic = func.walk([](Operation *op) {
      if (!isa<AttnDialect>(op->getDialect()) || hasRunTimeDimSources(op))
        return WalkResult::advance();
      op->emitOpError("has a run-time dim that attnc cannot lower yet (elementwise ops, "
                      "normalizations, reductions, transposes, reshapes, slices, gathers, "
                      "concats and matmuls carry run-time dims; bind the input's dims with "
                      "--input-shape): ")
          << op->getResultTypes();
      return WalkResult::interrupt();
    });
    if (dynamic.wasInterrupted())
      return signalPassFailure();

    // From here on integers are signless; the ops whose lowering depends on
    // signedness find it in `unsignedOps`.
    lowering::UnsignedOps unsignedOps = lowering::makeIntegersSignless(func);

    ConversionTarget target(getContext());
    target.addIllegalDialect<AttnDialect>();
    // A KV cache's append, and the window attention reads of it, are
    // lowered with the entry's signature, which owns the cache's buffer
    // (cpu-entry-point).
    target.addLegalOp<KvAppendOp, KvWindowOp>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           func::FuncDialect>();
    RewritePatternSet patterns(&getContext());
    populateAttnToLinalgPatterns(patterns, unsignedOps);
    if (failed(applyPartialConversion(func, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

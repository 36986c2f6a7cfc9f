//===- FuseElementwise.cpp - Elementwise fusion that keeps products pure --===//
//
// linalg's elementwise fusion also fuses producers into a contraction's
// operands: a LayerNorm into the projection after it, recomputed for every
// output column. The CPU path packs its matmuls before that happens; the
// CUDA backend finds its products among linalg ops (gpu-lower-contractions),
// so here nothing is fused into a contraction. The rest is upstream's
// fusion: single-use producers into consumers, reshapes folded by
// expansion, and the same canonicalizations.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attnc::gpu {
#define GEN_PASS_DEF_GPUFUSEELEMENTWISEPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;

namespace {

struct GpuFuseElementwisePass
    : public attnc::gpu::impl::GpuFuseElementwisePassBase<GpuFuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      bool intoProduct = consumer && linalg::isaContractionOpInterface(consumer);
      return producer && producer->hasOneUse() && !intoProduct;
    };
    RewritePatternSet patterns(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

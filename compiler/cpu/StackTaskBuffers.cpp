//===- StackTaskBuffers.cpp - Per-task buffers of parallel loops on the stack ===//
//
// A parallel task of the tiled attention allocates its tiles (scores,
// accumulator, row statistics) once per task; from the heap, each costs a
// malloc and a free. Small ones go on the task's stack instead;
// cpu-lower-alloca-scopes releases them at the task's end.
//
//===----------------------------------------------------------------------===//

#include "compiler/cpu/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace attnc::cpu {
#define GEN_PASS_DEF_CPUSTACKTASKBUFFERSPASS
#include "compiler/cpu/Passes.h.inc"
} // namespace attnc::cpu

using namespace mlir;

namespace {

constexpr int64_t kMaxStackBuffer = 64 * 1024;
constexpr int64_t kMaxStackPerTask = 256 * 1024;

/// The byte size of a statically shaped memref of int or float elements.
std::optional<int64_t> staticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() || type.getMemorySpace() ||
      !type.getElementType().isIntOrFloat())
    return std::nullopt;
  int64_t bits = type.getElementType().getIntOrFloatBitWidth();
  return (type.getNumElements() * bits + 7) / 8;
}

struct CpuStackTaskBuffersPass
    : attnc::cpu::impl::CpuStackTaskBuffersPassBase<CpuStackTaskBuffersPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](scf::ForallOp forall) {
      int64_t used = 0;
      for (auto alloc : llvm::make_early_inc_range(forall.getBody()->getOps<memref::AllocOp>())) {
        std::optional<int64_t> bytes = staticBytes(alloc.getType());
        if (!bytes || *bytes > kMaxStackBuffer || used + *bytes > kMaxStackPerTask)
          continue;
        used += *bytes;
        rewriter.setInsertionPoint(alloc);
        rewriter.replaceOpWithNewOp<memref::AllocaOp>(alloc, alloc.getType(),
                                                      alloc.getAlignmentAttr());
      }
    });
  }
};

} // namespace

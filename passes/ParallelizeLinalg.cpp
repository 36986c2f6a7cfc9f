//===- ParallelizeLinalg.cpp - Split large linalg ops into parallel tasks ===//
//
// After attn-to-linalg, every op outside the attention and matmul kernels
// (elementwise chains, norms, softmax, gathers, layout changes) is one
// linalg op over the whole tensor, which would run on one thread. This
// pass tiles each large one along its leading parallel dims into an
// scf.forall of tasks, which the CPU pipeline runs on all cores. A
// run-time dim (a sequence length) is split into tasks of a size computed
// at run time.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNPARALLELIZELINALGPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// How many elements a run-time loop is taken to have when deciding
/// whether an op is worth splitting: a sequence length's typical size.
constexpr int64_t kAssumedRunTimeRange = 128;

/// Tile sizes that cut `op`'s leading parallel loops into about `tasks`
/// tasks (0 = not tiled): each loop, outermost first, is split as finely
/// as the tasks still to make need, or fully (tile 1) when it is shorter. A
/// run-time loop (a sequence length) takes the tasks still to make, its
/// tile size computed at run time, ceil(range / tasks).
/// The innermost loop is never split, so each task's inner loop stays a
/// contiguous run that LLVM vectorizes. Empty when nothing can be split.
SmallVector<OpFoldResult> chooseTileSizes(OpBuilder &b, linalg::LinalgOp op, int64_t tasks) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<OpFoldResult> sizes(ranges.size(), b.getIndexAttr(0));
  int64_t remaining = tasks;
  bool split = false;
  for (size_t d = 0; d + 1 < ranges.size() && remaining > 1; ++d) {
    if (iterators[d] != utils::IteratorType::parallel)
      break;
    int64_t range = ranges[d];
    if (ShapedType::isDynamic(range)) {
      OpFoldResult size = op.createLoopRanges(b, op.getLoc())[d].size;
      AffineExpr s0 = b.getAffineSymbolExpr(0);
      sizes[d] = affine::makeComposedFoldedAffineApply(b, op.getLoc(), s0.ceilDiv(remaining),
                                                       {size});
      split = true;
      remaining = 1;
      break;
    }
    if (range <= 1)
      continue;
    split = true;
    if (range >= remaining) {
      sizes[d] = b.getIndexAttr((range + remaining - 1) / remaining);
      remaining = 1;
    } else {
      sizes[d] = b.getIndexAttr(1);
      remaining = (remaining + range - 1) / range;
    }
  }
  if (!split)
    return {};
  return sizes;
}

struct AttnParallelizeLinalgPass
    : attn::impl::AttnParallelizeLinalgPassBase<AttnParallelizeLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    if (minElements < 1 || taskElements < 1 || maxTasks < 1) {
      getOperation().emitError(
          "attn-parallelize-linalg: min-elements, task-elements and max-tasks must be positive");
      return signalPassFailure();
    }
    // Only ops directly in the function: those inside a kernel's loops
    // already run in a task.
    SmallVector<linalg::LinalgOp> candidates;
    for (Block &block : getOperation().getBody())
      for (Operation &op : block)
        if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
          if (linalgOp.hasPureTensorSemantics())
            candidates.push_back(linalgOp);

    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates) {
      int64_t work = 1;
      for (int64_t range : op.getStaticLoopRanges())
        work *= ShapedType::isDynamic(range) ? kAssumedRunTimeRange : range;
      if (work < minElements)
        continue;
      int64_t tasks = std::min<int64_t>(maxTasks, work / taskElements);
      if (tasks < 2)
        continue;
      rewriter.setInsertionPoint(op);
      SmallVector<OpFoldResult> sizes = chooseTileSizes(rewriter, op, tasks);
      if (sizes.empty())
        continue;
      scf::SCFTilingOptions tiling;
      tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      tiling.setTileSizes(sizes);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), tiling);
      if (failed(tiled))
        continue;
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};

} // namespace

//===- LoopsToKernels.cpp - scf.parallel nests as generic GPU kernels -----===//
//
// The fallback that makes every model runnable on the GPU: what has no
// kernel of its own arrives as an scf.parallel over its output's elements
// (linalg's parallel-loop lowering) and becomes a launch of one thread per
// element. The iteration space is linearized onto a one-dimensional grid so
// that no dimension hits CUDA's 65535 limit on the grid's y and z, and a
// ragged last block is masked by a bounds check.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"
#include "mlir/IR/IRMapping.h"

namespace attnc::gpu {
#define GEN_PASS_DEF_GPULOOPSTOKERNELSPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;

namespace {

struct GpuLoopsToKernelsPass
    : public attnc::gpu::impl::GpuLoopsToKernelsPassBase<GpuLoopsToKernelsPass> {
  using GpuLoopsToKernelsPassBase::GpuLoopsToKernelsPassBase;

  void runOnOperation() override {
    if (threads < 1 || threads > 1024) {
      getOperation().emitError("gpu-loops-to-kernels: threads must be in [1, 1024]");
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<mlir::gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        loops.push_back(loop);
        return WalkResult::skip(); // nested ones run inside its threads
      }
      return WalkResult::advance();
    });
    for (scf::ParallelOp loop : loops)
      if (failed(launch(loop)))
        return signalPassFailure();
  }

  LogicalResult launch(scf::ParallelOp loop) {
    if (!loop.getInitVals().empty())
      return loop.emitOpError("gpu-loops-to-kernels: parallel reductions are not supported");
    Location loc = loop.getLoc();
    OpBuilder b(loop);
    auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };

    // Iterations per dimension and in all.
    SmallVector<Value> extents;
    Value total = index(1);
    for (auto [lower, upper, step] :
         llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      // Folded, so that static loops give a static iteration count.
      Value span = b.createOrFold<arith::SubIOp>(loc, upper, lower);
      Value extent = b.createOrFold<arith::CeilDivUIOp>(loc, span, step);
      extents.push_back(extent);
      total = b.createOrFold<arith::MulIOp>(loc, total, extent);
    }
    std::optional<int64_t> known = getConstantIntValue(total);
    if (known && *known == 0) {
      loop.erase();
      return success();
    }
    int64_t perBlock = known ? std::min<int64_t>(threads, *known) : threads;
    Value blockSize = index(perBlock);
    Value blocks = b.createOrFold<arith::CeilDivUIOp>(loc, total, blockSize);

    // A run-time empty space launches nothing (a grid of 0 is an error).
    if (!known) {
      Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, total, index(0));
      auto guard = scf::IfOp::create(b, loc, any, /*withElseRegion=*/false);
      b.setInsertionPoint(guard.thenBlock()->getTerminator());
    }
    Value one = index(1);
    auto kernel = mlir::gpu::LaunchOp::create(b, loc, blocks, one, one, blockSize, one, one);
    Block &body = kernel.getBody().front();
    b.setInsertionPointToStart(&body);
    Value linear = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, kernel.getBlockIds().x, blockSize),
        kernel.getThreadIds().x);
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, linear, total);
    auto bounds = scf::IfOp::create(b, loc, inside, /*withElseRegion=*/false);
    mlir::gpu::TerminatorOp::create(b, loc);

    // Indices from the linear number, the last dimension fastest.
    b.setInsertionPoint(bounds.thenBlock()->getTerminator());
    IRMapping map;
    Value rest = linear;
    for (int64_t d = loop.getNumLoops() - 1; d >= 0; --d) {
      Value position = d == 0 ? rest : arith::RemUIOp::create(b, loc, rest, extents[d]);
      if (d > 0)
        rest = arith::DivUIOp::create(b, loc, rest, extents[d]);
      Value scaled = b.createOrFold<arith::MulIOp>(loc, position, loop.getStep()[d]);
      map.map(loop.getInductionVars()[d],
              b.createOrFold<arith::AddIOp>(loc, loop.getLowerBound()[d], scaled));
    }
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, map);
    loop.erase();
    return success();
  }
};

} // namespace

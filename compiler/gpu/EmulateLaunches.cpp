//===- EmulateLaunches.cpp - gpu.launch on CPU threads, for tests ---------===//
//
// The kernels of the CUDA backend are written as gpu.launch bodies: per
// thread code, shared buffers, barriers. Where there is no GPU, they can
// still run: a GPU block is a team of CPU threads that share the block's
// buffers and meet at barriers, which is exactly an OpenMP parallel region
// with one thread per GPU thread. The grid becomes loops around it. This is
// slow (dozens of threads on a few cores) and meant for the tests that
// check the kernels' numerics on every machine.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/EmulateWarpOps.h"
#include "compiler/gpu/Passes.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/IRMapping.h"

namespace attnc::gpu {
#define GEN_PASS_DEF_GPUEMULATELAUNCHESPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;

namespace {

/// `type` in the default memory space (host memory).
MemRefType onHost(Type type) {
  auto memref = cast<MemRefType>(type);
  return MemRefType::get(memref.getShape(), memref.getElementType(), memref.getLayout());
}

/// Declares `int omp_get_thread_num(void)` in `module` once.
func::FuncOp threadNumberFunction(ModuleOp module) {
  if (auto existing = module.lookupSymbol<func::FuncOp>("omp_get_thread_num"))
    return existing;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto function = func::FuncOp::create(
      b, module.getLoc(), "omp_get_thread_num",
      b.getFunctionType({}, {b.getI32Type()}));
  function.setPrivate();
  return function;
}

/// Asynchronous copies (cp.async) as plain ones: each copy's elements
/// loaded and stored in order, its group and wait gone (the copy is done
/// when it returns; the barrier a kernel puts after its wait still orders
/// it for the other threads). Partial copies (zero fill) are not taken.
LogicalResult expandAsyncCopies(mlir::gpu::LaunchOp launch) {
  SmallVector<Operation *> waits, groups;
  SmallVector<nvgpu::DeviceAsyncCopyOp> copies;
  launch.walk([&](Operation *op) {
    if (isa<nvgpu::DeviceAsyncWaitOp>(op))
      waits.push_back(op);
    else if (isa<nvgpu::DeviceAsyncCreateGroupOp>(op))
      groups.push_back(op);
    else if (auto copy = dyn_cast<nvgpu::DeviceAsyncCopyOp>(op))
      copies.push_back(copy);
  });
  for (nvgpu::DeviceAsyncCopyOp copy : copies)
    if (copy.getSrcElements())
      return copy.emitOpError("gpu-emulate-launches emulates whole asynchronous copies only "
                              "(no source element count)");
  for (Operation *op : llvm::concat<Operation *>(waits, groups))
    op->erase();
  for (nvgpu::DeviceAsyncCopyOp copy : copies) {
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    SmallVector<Value> from(copy.getSrcIndices()), to(copy.getDstIndices());
    Value lastFrom = from.back(), lastTo = to.back();
    for (int64_t i = 0, n = copy.getDstElements().getZExtValue(); i < n; ++i) {
      Value offset = arith::ConstantIndexOp::create(b, loc, i);
      from.back() = arith::AddIOp::create(b, loc, lastFrom, offset);
      to.back() = arith::AddIOp::create(b, loc, lastTo, offset);
      Value element = memref::LoadOp::create(b, loc, copy.getSrc(), from);
      memref::StoreOp::create(b, loc, element, copy.getDst(), to);
    }
    copy.erase();
  }
  return success();
}

struct GpuEmulateLaunchesPass
    : public attnc::gpu::impl::GpuEmulateLaunchesPassBase<GpuEmulateLaunchesPass> {
  void runOnOperation() override {
    SmallVector<mlir::gpu::LaunchOp> launches;
    getOperation().walk([&](mlir::gpu::LaunchOp launch) { launches.push_back(launch); });
    for (mlir::gpu::LaunchOp launch : launches)
      if (failed(emulate(launch)))
        return signalPassFailure();
  }

  LogicalResult emulate(mlir::gpu::LaunchOp launch) {
    if (!launch.getBody().hasOneBlock() || launch.getAsyncToken() ||
        !launch.getAsyncDependencies().empty())
      return launch.emitOpError("gpu-emulate-launches takes synchronous kernels of one block "
                                "(structured control flow)");
    // Warp-wide ops first: they become shared buffers and barriers.
    if (failed(attnc::gpu::expandWarpOps(launch)))
      return failure();
    if (failed(expandAsyncCopies(launch)))
      return failure();
    ModuleOp module = launch->getParentOfType<ModuleOp>();
    func::FuncOp threadNumber = threadNumberFunction(module);
    Location loc = launch.getLoc();
    OpBuilder b(launch);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    mlir::gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    mlir::gpu::KernelDim3 block = launch.getBlockSizeOperandValues();

    // The grid: one iteration per block, x innermost.
    auto zLoop = scf::ForOp::create(b, loc, zero, grid.z, one);
    b.setInsertionPoint(zLoop.getBody()->getTerminator());
    auto yLoop = scf::ForOp::create(b, loc, zero, grid.y, one);
    b.setInsertionPoint(yLoop.getBody()->getTerminator());
    auto xLoop = scf::ForOp::create(b, loc, zero, grid.x, one);
    b.setInsertionPoint(xLoop.getBody()->getTerminator());

    IRMapping map;
    mlir::gpu::KernelDim3 blockIds = launch.getBlockIds();
    map.map(blockIds.x, xLoop.getInductionVar());
    map.map(blockIds.y, yLoop.getInductionVar());
    map.map(blockIds.z, zLoop.getInductionVar());
    mlir::gpu::KernelDim3 gridArgs = launch.getGridSize(), blockArgs = launch.getBlockSize();
    map.map(gridArgs.x, grid.x);
    map.map(gridArgs.y, grid.y);
    map.map(gridArgs.z, grid.z);
    map.map(blockArgs.x, block.x);
    map.map(blockArgs.y, block.y);
    map.map(blockArgs.z, block.z);

    // The block's shared buffers, visible to its whole team.
    SmallVector<Value> shared;
    for (BlockArgument buffer : launch.getWorkgroupAttributions()) {
      Value alloc = memref::AllocOp::create(b, loc, onHost(buffer.getType()));
      map.map(buffer, alloc);
      shared.push_back(alloc);
    }

    Value threads = arith::MulIOp::create(b, loc, arith::MulIOp::create(b, loc, block.x, block.y),
                                          block.z);
    omp::ParallelOperands clauses;
    clauses.numThreads = arith::IndexCastOp::create(b, loc, b.getI32Type(), threads);
    auto team = omp::ParallelOp::create(b, loc, clauses);
    Block *teamBody = b.createBlock(&team.getRegion());
    b.setInsertionPointToStart(teamBody);

    // This thread's (x, y, z) in the block, x fastest as CUDA numbers them.
    Value number = func::CallOp::create(b, loc, threadNumber).getResult(0);
    Value linear = arith::IndexCastOp::create(b, loc, b.getIndexType(), number);
    Value plane = arith::MulIOp::create(b, loc, block.x, block.y);
    mlir::gpu::KernelDim3 threadIds = launch.getThreadIds();
    map.map(threadIds.x, arith::RemUIOp::create(b, loc, linear, block.x));
    map.map(threadIds.y, arith::RemUIOp::create(
                             b, loc, arith::DivUIOp::create(b, loc, linear, block.x), block.y));
    map.map(threadIds.z, arith::DivUIOp::create(b, loc, linear, plane));
    for (BlockArgument buffer : launch.getPrivateAttributions())
      map.map(buffer, memref::AllocaOp::create(b, loc, onHost(buffer.getType())));

    for (Operation &op : launch.getBody().front()) {
      if (isa<mlir::gpu::TerminatorOp>(op)) {
        omp::TerminatorOp::create(b, loc);
        continue;
      }
      b.clone(op, map);
    }
    // Views of the shared buffers (a stage of a double buffer) are views of
    // host memory now, like the buffers themselves.
    team.walk([](Operation *op) {
      for (OpResult result : op->getResults())
        if (auto type = dyn_cast<MemRefType>(result.getType());
            type && isa_and_nonnull<mlir::gpu::AddressSpaceAttr>(type.getMemorySpace()))
          result.setType(onHost(type));
    });
    // Barriers inside the cloned body.
    SmallVector<mlir::gpu::BarrierOp> barriers;
    team.walk([&](mlir::gpu::BarrierOp barrier) { barriers.push_back(barrier); });
    for (mlir::gpu::BarrierOp barrier : barriers) {
      OpBuilder at(barrier);
      omp::BarrierOp::create(at, barrier.getLoc());
      barrier.erase();
    }
    b.setInsertionPointAfter(team);
    for (Value buffer : shared)
      memref::DeallocOp::create(b, loc, buffer);
    launch.erase();
    return success();
  }
};

} // namespace

//===- FreeHostBuffers.cpp - Free a function's buffers before it returns --===//
//
// The CUDA pipeline bufferizes without the ownership-based deallocation,
// which rejects kernels (their barriers declare no memory effects); on the
// GPU, gpu-device-buffers frees every device buffer at the return. For
// --device=cuda-emulated the buffers stay host allocations, and with
// --device=cuda a few do (one whose run-time shape alone is read, a
// host-filled scalar): this pass frees each allocation of the function's
// entry block that is not returned (nor viewed by a returned value) or
// already freed, before every return.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"

namespace attnc::gpu {
#define GEN_PASS_DEF_GPUFREEHOSTBUFFERSPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;

namespace {

/// The allocation a value views, if any.
Value allocationOf(Value value) {
  value = attnc::gpu::viewedBuffer(value);
  return value.getDefiningOp<memref::AllocOp>() ? value : Value();
}

struct GpuFreeHostBuffersPass
    : public attnc::gpu::impl::GpuFreeHostBuffersPassBase<GpuFreeHostBuffersPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    llvm::DenseSet<Value> returned, freed;
    func.walk([&](func::ReturnOp ret) {
      for (Value v : ret.getOperands())
        if (Value alloc = allocationOf(v))
          returned.insert(alloc);
    });
    func.walk([&](memref::DeallocOp dealloc) {
      if (Value alloc = allocationOf(dealloc.getMemref()))
        freed.insert(alloc);
    });
    SmallVector<Value> toFree;
    for (auto alloc : func.getBody().front().getOps<memref::AllocOp>())
      if (!returned.contains(alloc) && !freed.contains(alloc))
        toFree.push_back(alloc);
    func.walk([&](func::ReturnOp ret) {
      OpBuilder b(ret);
      for (Value alloc : toFree)
        memref::DeallocOp::create(b, ret.getLoc(), alloc);
    });
  }
};

} // namespace

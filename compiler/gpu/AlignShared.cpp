//===- AlignShared.cpp - Shared buffers aligned for 16-byte accesses ------===//
//
// The attention and matmul kernels read shared memory by ldmatrix (16-byte
// rows) and copy into it 16 bytes at a time; each needs 16-byte aligned
// addresses. A kernel's shared buffers are its workgroup attributions,
// which the NVVM lowering turns into `.shared` variables aligned as their
// element type unless the attribution carries `llvm.align`.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace attnc::gpu {
#define GEN_PASS_DEF_GPUALIGNSHAREDPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;

namespace {

struct GpuAlignSharedPass : public attnc::gpu::impl::GpuAlignSharedPassBase<GpuAlignSharedPass> {
  using GpuAlignSharedPassBase::GpuAlignSharedPassBase;

  void runOnOperation() override {
    if (alignment < 1 || !llvm::isPowerOf2_64(alignment)) {
      getOperation().emitError("gpu-align-shared: alignment must be a power of two, not ")
          << static_cast<int64_t>(alignment);
      return signalPassFailure();
    }
    StringAttr key =
        StringAttr::get(&getContext(), LLVM::LLVMDialect::getAlignAttrName());
    getOperation().walk([&](mlir::gpu::GPUFuncOp function) {
      for (unsigned i = 0, n = function.getNumWorkgroupAttributions(); i < n; ++i) {
        auto current = dyn_cast_or_null<IntegerAttr>(function.getWorkgroupAttributionAttr(i, key));
        if (current && current.getInt() >= alignment)
          continue;
        function.setWorkgroupAttributionAttr(
            i, key, IntegerAttr::get(IntegerType::get(&getContext(), 64), alignment));
      }
    });
  }
};

} // namespace

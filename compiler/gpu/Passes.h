//===- Passes.h - The CUDA backend's pass declarations -----------*- C++ -*-===//

#ifndef ATTNC_COMPILER_GPU_PASSES_H
#define ATTNC_COMPILER_GPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Pass/Pass.h"

namespace attnc::gpu {

#define GEN_PASS_DECL
#include "compiler/gpu/Passes.h.inc"

/// The buffer `value` views: through casts, subviews and reshapes, to a
/// function argument, an allocation or a global (gpu-device-buffers,
/// gpu-free-host-buffers).
inline mlir::Value viewedBuffer(mlir::Value value) {
  while (auto view = value.getDefiningOp<mlir::ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

/// The type a `precision` option names: null for fp32, f16 or bf16;
/// failure for anything else.
inline mlir::FailureOr<mlir::Type> precisionType(mlir::MLIRContext *context,
                                                 llvm::StringRef precision) {
  if (precision == "fp32")
    return mlir::Type();
  if (precision == "fp16")
    return mlir::Type(mlir::Float16Type::get(context));
  if (precision == "bf16")
    return mlir::Type(mlir::BFloat16Type::get(context));
  return mlir::failure();
}

/// registerGpuPasses(): every CUDA backend pass, for tools that parse
/// pipelines.
#define GEN_PASS_REGISTRATION
#include "compiler/gpu/Passes.h.inc"

} // namespace attnc::gpu

#endif // ATTNC_COMPILER_GPU_PASSES_H

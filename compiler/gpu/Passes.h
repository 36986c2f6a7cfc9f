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
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"

namespace attnc::gpu {

#define GEN_PASS_DECL
#include "compiler/gpu/Passes.h.inc"

/// registerGpuPasses(): every CUDA backend pass, for tools that parse
/// pipelines.
#define GEN_PASS_REGISTRATION
#include "compiler/gpu/Passes.h.inc"

} // namespace attnc::gpu

#endif // ATTNC_COMPILER_GPU_PASSES_H

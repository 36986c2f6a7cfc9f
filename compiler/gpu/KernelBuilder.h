//===- KernelBuilder.h - What the CUDA kernels' builders share ---*- C++ -*-===//
//
// The attention and matmul kernels (gpu-lower-sdpa, gpu-lower-contractions)
// are written op by op into a gpu.launch body: index and f32 constants,
// folding index arithmetic, comparisons, counted loops, and the memref
// types of shared and per-thread buffers.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_GPU_KERNELBUILDER_H
#define ATTNC_COMPILER_GPU_KERNELBUILDER_H

#include "compiler/gpu/Passes.h"

namespace attnc::gpu {

class KernelBuilder {
protected:
  KernelBuilder(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  mlir::Value index(int64_t value) { return mlir::arith::ConstantIndexOp::create(b, loc, value); }
  mlir::Value f32(float value) {
    return mlir::arith::ConstantFloatOp::create(b, loc, b.getF32Type(), llvm::APFloat(value));
  }
  // Index arithmetic folds as it is built (a zero offset adds nothing).
  mlir::Value add(mlir::Value x, mlir::Value y) {
    return b.createOrFold<mlir::arith::AddIOp>(loc, x, y);
  }
  mlir::Value sub(mlir::Value x, mlir::Value y) {
    return b.createOrFold<mlir::arith::SubIOp>(loc, x, y);
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) {
    return b.createOrFold<mlir::arith::MulIOp>(loc, x, y);
  }
  mlir::Value minIdx(mlir::Value x, mlir::Value y) {
    return b.createOrFold<mlir::arith::MinSIOp>(loc, x, y);
  }
  mlir::Value maxIdx(mlir::Value x, mlir::Value y) {
    return b.createOrFold<mlir::arith::MaxSIOp>(loc, x, y);
  }
  mlir::Value lessThan(mlir::Value x, mlir::Value y) {
    return mlir::arith::CmpIOp::create(b, loc, mlir::arith::CmpIPredicate::slt, x, y);
  }
  mlir::Value lessThan(mlir::Value x, int64_t bound) { return lessThan(x, index(bound)); }

  /// `body(i)` for i in [lower, upper) step `step`.
  void forEach(mlir::Value lower, mlir::Value upper, mlir::Value step,
               llvm::function_ref<void(mlir::Value)> body) {
    auto loop = mlir::scf::ForOp::create(b, loc, lower, upper, step);
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVar());
  }

  /// `value` combined with the values of the lanes that differ from this
  /// one in `masks`' bits, by xor shuffles (width 32) in that order: every
  /// lane of the group gets the result. {16, 8, 4, 2, 1}: the whole warp.
  mlir::Value butterfly(mlir::Value value, llvm::ArrayRef<int32_t> masks,
                        llvm::function_ref<mlir::Value(mlir::Value, mlir::Value)> combine) {
    for (int32_t mask : masks) {
      mlir::Value other = mlir::gpu::ShuffleOp::create(b, loc, value, mask, /*width=*/32,
                                                       mlir::gpu::ShuffleMode::XOR)
                              .getShuffleResult();
      value = combine(value, other);
    }
    return value;
  }

  /// A buffer of `shape` and `element` (f32 if null) in `space` (a
  /// launch's workgroup or private attribution).
  mlir::MemRefType buffer(llvm::ArrayRef<int64_t> shape, mlir::gpu::AddressSpace space,
                          mlir::Type element = {}) {
    return mlir::MemRefType::get(shape, element ? element : b.getF32Type(),
                                 mlir::MemRefLayoutAttrInterface(),
                                 mlir::gpu::AddressSpaceAttr::get(b.getContext(), space));
  }

  mlir::OpBuilder &b;
  mlir::Location loc;
};

/// The buffer of tensor `value` (a kernel's operand, read only), any
/// layout: kernels index it through its strides.
inline mlir::Value bufferOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value) {
  auto type = llvm::cast<mlir::TensorType>(value.getType());
  auto memref = mlir::bufferization::getMemRefTypeWithFullyDynamicLayout(type);
  return mlir::bufferization::ToBufferOp::create(b, loc, memref, value, /*read_only=*/true);
}

} // namespace attnc::gpu

#endif // ATTNC_COMPILER_GPU_KERNELBUILDER_H

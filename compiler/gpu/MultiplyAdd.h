//===- MultiplyAdd.h - The contraction body the CUDA passes take -*- C++ -*-===//

#ifndef ATTNC_COMPILER_GPU_MULTIPLYADD_H
#define ATTNC_COMPILER_GPU_MULTIPLYADD_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace attnc::gpu {

/// `arg`, or the block argument `arg` extends (arith.extf of a weight that
/// gpu-cast-weights stores in fp16/bf16).
inline mlir::Value throughExtension(mlir::Value value) {
  if (auto extend = value.getDefiningOp<mlir::arith::ExtFOp>())
    return extend.getIn();
  return value;
}

/// Whether `block` (a linalg.generic's body with arguments a, b, out) is
/// exactly `yield(out + a * b)`, either operand order, where a and b may
/// each be extended to f32 first: the contraction gpu-cast-weights and
/// gpu-lower-contractions take.
inline bool isMultiplyAdd(mlir::Block &block) {
  auto yield = llvm::dyn_cast<mlir::linalg::YieldOp>(block.getTerminator());
  if (!yield || yield.getNumOperands() != 1 || block.getNumArguments() != 3)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<mlir::arith::AddFOp>();
  if (!add)
    return false;
  mlir::Value out = block.getArgument(2);
  mlir::Value product = add.getLhs() == out ? add.getRhs() : add.getLhs();
  if ((add.getLhs() == out) == (add.getRhs() == out))
    return false;
  auto mul = product.getDefiningOp<mlir::arith::MulFOp>();
  if (!mul)
    return false;
  mlir::Value a = block.getArgument(0), b = block.getArgument(1);
  mlir::Value x = throughExtension(mul.getLhs()), y = throughExtension(mul.getRhs());
  if (!((x == a && y == b) || (x == b && y == a)))
    return false;
  // Nothing else: the multiply, the add, at most two extensions, the yield.
  size_t extensions = (mul.getLhs() != x) + (mul.getRhs() != y);
  return block.getOperations().size() == 3 + extensions;
}

} // namespace attnc::gpu

#endif // ATTNC_COMPILER_GPU_MULTIPLYADD_H

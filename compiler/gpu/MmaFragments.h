//===- MmaFragments.h - A lane's mma.sync fragments from shared memory -*- C++ -*-===//
//
// The tensor-core kernels (matmul, attention) stage operands in shared
// memory with k contiguous: A as [m][k], B as [n][k] (a lane's two
// k-neighbours adjacent in both). These load one lane's fragments from
// such tiles, element by element, in the mma.sync layout.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_GPU_MMAFRAGMENTS_H
#define ATTNC_COMPILER_GPU_MMAFRAGMENTS_H

#include "compiler/gpu/MmaSyncLayout.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace attnc::gpu {

class MmaFragments {
public:
  /// For the lane whose lane number is `lane` (in its warp).
  MmaFragments(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lane) : b(b), loc(loc) {
    group = mlir::arith::DivUIOp::create(b, loc, lane, index(4));
    pairColumn = mlir::arith::MulIOp::create(
        b, loc, mlir::arith::RemUIOp::create(b, loc, lane, index(4)), index(2));
  }

  /// g (the lane's row in a fragment) and 2t (its first column).
  mlir::Value group, pairColumn;

  /// The A fragment of the 16 x 16 block of `tile` ([m][k]) at (row, k).
  mlir::Value loadA(mlir::Value tile, mlir::Value row, mlir::Value k) {
    llvm::SmallVector<mlir::Value> elements;
    for (int64_t reg = 0; reg < mma::kARegisters; ++reg)
      for (int64_t e = 0; e < mma::kPerRegister; ++e) {
        auto [rowPlus, kPlus] = mma::aOffset(reg, e);
        elements.push_back(mlir::memref::LoadOp::create(
            b, loc, tile, mlir::ValueRange{add(row, group, rowPlus), add(k, pairColumn, kPlus)}));
      }
    return vectorOf(elements, {mma::kARegisters, mma::kPerRegister});
  }

  /// The B fragment of the 16 (k) x 8 (n) block of `tile` ([n][k]) at
  /// (k, column).
  mlir::Value loadB(mlir::Value tile, mlir::Value k, mlir::Value column) {
    llvm::SmallVector<mlir::Value> elements;
    for (int64_t reg = 0; reg < mma::kBRegisters; ++reg)
      for (int64_t e = 0; e < mma::kPerRegister; ++e) {
        auto [kPlus, columnPlus] = mma::bOffset(reg, e);
        elements.push_back(mlir::memref::LoadOp::create(
            b, loc, tile,
            mlir::ValueRange{add(column, group, columnPlus), add(k, pairColumn, kPlus)}));
      }
    return vectorOf(elements, {mma::kBRegisters, mma::kPerRegister});
  }

  /// `elements` (row-major) as a vector of `shape`.
  mlir::Value vectorOf(llvm::ArrayRef<mlir::Value> elements, llvm::ArrayRef<int64_t> shape) {
    auto type = mlir::VectorType::get(shape, elements.front().getType());
    return mlir::vector::FromElementsOp::create(b, loc, type, elements);
  }

  /// Element [reg][e] of a fragment.
  mlir::Value element(mlir::Value fragment, int64_t reg, int64_t e) {
    return mlir::vector::ExtractOp::create(b, loc, fragment, llvm::ArrayRef<int64_t>{reg, e});
  }

private:
  mlir::Value index(int64_t value) { return mlir::arith::ConstantIndexOp::create(b, loc, value); }
  mlir::Value add(mlir::Value base, mlir::Value lanePart, int64_t constant) {
    mlir::Value sum = b.createOrFold<mlir::arith::AddIOp>(loc, lanePart, index(constant));
    return b.createOrFold<mlir::arith::AddIOp>(loc, base, sum);
  }

  mlir::OpBuilder &b;
  mlir::Location loc;
};

} // namespace attnc::gpu

#endif // ATTNC_COMPILER_GPU_MMAFRAGMENTS_H

//===- MmaFragments.h - A lane's mma.sync fragments from shared memory -*- C++ -*-===//
//
// The tensor-core kernels (matmul, attention) stage operands in shared
// memory with k contiguous: A as [m][k], B as [n][k]. Fragments come out
// of such tiles with `ldmatrix` (nvgpu.ldmatrix): each lane names one
// 16-byte row of an 8 x 8 matrix of 16-bit values, and the warp receives
// the matrices spread in exactly the mma.sync register layout (lane l's
// register i: matrix i, row l / 4, columns 2 (l % 4) and + 1). An A
// fragment is 4 such matrices (rows +0/+8 x k +0/+8), a B fragment 2 (k
// +0/+8 of 8 n rows), so one `.x4` load gives an A fragment or the B
// fragments of two neighbouring n tiles: a quarter of the instructions
// (and shared-memory requests) of loading element by element. A B tile
// may also be [k][n] (a weight whose n is contiguous, staged as it is
// stored): ldmatrix.trans then hands out each 8 x 8 matrix transposed,
// which is again the mma.sync layout.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_GPU_MMAFRAGMENTS_H
#define ATTNC_COMPILER_GPU_MMAFRAGMENTS_H

#include "compiler/gpu/MmaSyncLayout.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace attnc::gpu {

class MmaFragments {
public:
  /// For the lane whose lane number is `lane` (in its warp).
  MmaFragments(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lane) : b(b), loc(loc) {
    group = div(lane, 4);
    pairColumn = mul(rem(lane, 4), 2);
    // The row each lane names. A (.x4): matrices (rows 0-7, k 0-7), (rows
    // 8-15, k 0-7), (rows 0-7, k 8-15), (rows 8-15, k 8-15), lanes 8i to
    // 8i + 7 naming matrix i's rows.
    aRow = rem(lane, 16);
    aK = mul(div(lane, 16), 8);
    // B, two n tiles (.x4): (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k
    // 0-7), (n 8-15, k 8-15); one tile (.x2): the first two, named by
    // lanes 0-15 (the others' rows are ignored; they name the same ones).
    bColumn = add(mul(div(lane, 16), 8), rem(lane, 8));
    bK = mul(rem(div(lane, 8), 2), 8);
    // B from a [k][n] tile (.trans): the same four matrices, each lane
    // naming a k row of 8 n values: k = lane mod 16, n +8 for lanes 16-31.
    kMajorRow = rem(lane, 16);
    kMajorColumn = mul(div(lane, 16), 8);
  }

  /// g (the lane's row in an accumulator fragment) and 2t (its first
  /// column).
  mlir::Value group, pairColumn;

  /// The A fragment of the 16 x 16 block of `tile` ([m][k]) at (row, k).
  mlir::Value loadA(mlir::Value tile, mlir::Value row, mlir::Value k) {
    return load(tile, add(row, aRow), add(k, aK), 4);
  }

  /// The B fragments of `tiles` neighbouring 16 (k) x 8 (n) blocks of
  /// `tile` ([n][k]) from (k, column): two per `.x4` load, an odd last one
  /// by `.x2`.
  llvm::SmallVector<mlir::Value> loadB(mlir::Value tile, mlir::Value k, mlir::Value column,
                                       int64_t tiles) {
    return loadBPairs(tiles, [&](int64_t j, int64_t matrices) {
      mlir::Value n = add(column, add(bColumn, index(j * mma::kN)));
      return load(tile, n, add(k, bK), matrices);
    });
  }

  /// The same B fragments from `tile` stored [k][n] (a weight whose n is
  /// contiguous in memory, staged as it is): ldmatrix.trans hands each
  /// lane the transposed matrices' elements, the layout mma.sync wants.
  llvm::SmallVector<mlir::Value> loadBKMajor(mlir::Value tile, mlir::Value k, mlir::Value column,
                                             int64_t tiles) {
    return loadBPairs(tiles, [&](int64_t j, int64_t matrices) {
      mlir::Value n = add(column, add(kMajorColumn, index(j * mma::kN)));
      return load(tile, add(k, kMajorRow), n, matrices, /*transpose=*/true);
    });
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
  /// The fragments of `tiles` n tiles, `loadPair(j, matrices)` loading
  /// tiles j and j + 1 (4 matrices) or, for an odd last one, tile j (2).
  llvm::SmallVector<mlir::Value>
  loadBPairs(int64_t tiles, llvm::function_ref<mlir::Value(int64_t, int64_t)> loadPair) {
    llvm::SmallVector<mlir::Value> fragments;
    for (int64_t j = 0; j < tiles; j += 2) {
      if (j + 1 == tiles) {
        fragments.push_back(loadPair(j, 2));
        break;
      }
      mlir::Value pair = loadPair(j, 4);
      for (int64_t half = 0; half < 2; ++half)
        fragments.push_back(mlir::vector::ExtractStridedSliceOp::create(
            b, loc, pair, llvm::ArrayRef<int64_t>{2 * half, 0},
            llvm::ArrayRef<int64_t>{mma::kBRegisters, mma::kPerRegister},
            llvm::ArrayRef<int64_t>{1, 1}));
    }
    return fragments;
  }

  /// `matrices` 8 x 8 matrices of `tile`, this lane naming (row, column).
  /// With `transpose`, each matrix is handed out transposed (ldmatrix.trans).
  mlir::Value load(mlir::Value tile, mlir::Value row, mlir::Value column, int64_t matrices,
                   bool transpose = false) {
    auto element = llvm::cast<mlir::MemRefType>(tile.getType()).getElementType();
    auto type = mlir::VectorType::get({matrices, mma::kPerRegister}, element);
    return mlir::nvgpu::LdMatrixOp::create(b, loc, type, tile, mlir::ValueRange{row, column},
                                           transpose, matrices);
  }

  mlir::Value index(int64_t value) { return mlir::arith::ConstantIndexOp::create(b, loc, value); }
  mlir::Value add(mlir::Value x, mlir::Value y) {
    return b.createOrFold<mlir::arith::AddIOp>(loc, x, y);
  }
  mlir::Value mul(mlir::Value x, int64_t y) {
    return b.createOrFold<mlir::arith::MulIOp>(loc, x, index(y));
  }
  mlir::Value div(mlir::Value x, int64_t y) {
    return b.createOrFold<mlir::arith::DivUIOp>(loc, x, index(y));
  }
  mlir::Value rem(mlir::Value x, int64_t y) {
    return b.createOrFold<mlir::arith::RemUIOp>(loc, x, index(y));
  }

  mlir::OpBuilder &b;
  mlir::Location loc;
  // The row this lane names for ldmatrix: A, B [n][k], B [k][n].
  mlir::Value aRow, aK, bColumn, bK, kMajorRow, kMajorColumn;
};

} // namespace attnc::gpu

#endif // ATTNC_COMPILER_GPU_MMAFRAGMENTS_H

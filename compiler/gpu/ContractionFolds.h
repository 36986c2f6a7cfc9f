//===- ContractionFolds.h - What folds into a contraction's kernel -*- C++ -*-===//
//
// gpu-lower-contractions writes each contraction as one kernel; the op that
// fills its output before it (a bias broadcast, a zero fill) and the
// elementwise op after it that reads its sums (a residual add, GELU) run
// inside that kernel when nothing else can see the difference. These
// decide when.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_GPU_CONTRACTIONFOLDS_H
#define ATTNC_COMPILER_GPU_CONTRACTIONFOLDS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace attnc::gpu {

/// A contraction the kernel takes: one k dim, any m, n and batch dims (the
/// m dims, those of A and C only, read as one linear row index; the n dims
/// as one column index: a [1, S, K] activation's batch of 1 is an m dim),
/// f32 operands (or an fp16/bf16 weight, extended), `out += a * b` as the
/// body, static sizes.
struct Contraction {
  mlir::linalg::LinalgOp op;
  mlir::linalg::ContractionDimensions dims;
  llvm::SmallVector<int64_t> sizes; // per loop dim
  mlir::AffineMap mapA, mapB, mapC;
  mlir::Value a, b, out;
};

/// The elementwise op after a contraction that reads its sums, and its
/// input that does.
struct Epilogue {
  mlir::linalg::GenericOp op;
  mlir::OpOperand *sums;
};

/// The op that fills `c`'s output before it: a linalg.fill of that buffer,
/// or an elementwise generic writing it whole and not reading it; only ops
/// that touch no buffer (views, constants, new allocations) between the
/// two. Null if there is none.
mlir::Operation *matchInitializer(const Contraction &c);

/// The op after `c` that maps its sums elementwise into a buffer of its
/// own (a residual add, an activation), when nothing reads the sums
/// afterwards; only ops that touch no buffer between the two.
std::optional<Epilogue> matchEpilogue(const Contraction &c);

} // namespace attnc::gpu

#endif // ATTNC_COMPILER_GPU_CONTRACTIONFOLDS_H

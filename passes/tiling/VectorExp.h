//===- VectorExp.h - exp on f32 vectors in arith ops ------------*- C++ -*-===//

#ifndef ATTNC_PASSES_TILING_VECTOREXP_H
#define ATTNC_PASSES_TILING_VECTOREXP_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::attn {

/// exp(x) for a vector of f32 with x <= 0, -inf or NaN (the softmax domain:
/// a score minus its row maximum), in about 17 arith/math ops that map to
/// one SIMD instruction each:
///   x·log2(e) = n + f, n = roundeven, |f| <= 1/2;
///   2^f by the degree-6 Taylor polynomial of e^(f·ln 2) (truncation error
///   below 1.2e-7, so the result is within 3 ulp; checked against numpy in
///   test/passes/vector-exp-accuracy.test);
///   2^n by adding n to the exponent field.
/// x < -87 (exp below the smallest normal float) gives exactly 0, so masked
/// scores (-inf) contribute nothing and no denormal reaches the FMAs; NaN
/// stays NaN.
Value buildVectorExp(ImplicitLocOpBuilder &b, Value x);

} // namespace mlir::attn

#endif // ATTNC_PASSES_TILING_VECTOREXP_H

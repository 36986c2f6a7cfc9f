//===- VectorExp.h - 2^t on f32 vectors in arith ops ------------*- C++ -*-===//

#ifndef ATTNC_PASSES_TILING_VECTOREXP_H
#define ATTNC_PASSES_TILING_VECTOREXP_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::attn {

/// 2^t for a vector of f32 with t <= 0, -inf or NaN: the softmax domain,
/// a score in log2 units minus its row maximum. The vector kernel keeps
/// scores in log2 units (log2(e) is folded into the query scale), so its
/// exponentials need no multiply. Twelve SIMD instructions on AVX2,
/// AVX-512 and NEON (the clamp's compare and select become one max):
///   t' = max(t, -127), keeping NaN;
///   n = t' rounded to nearest even, by adding and subtracting 1.5·2^23;
///   the sum's low mantissa bits hold n;
///   2^f, f = t' - n in [-1/2, 1/2], by a degree-5 minimax polynomial
///   (relative error 9.2e-8; at most 1.9e-7, about 3 ulp, evaluated in f32);
///   2^n as the float whose exponent field is n + 127, built from the
///   sum's bits, multiplied in.
/// t below -126.5 (and -inf: masked scores) gives exactly 0, since n =
/// -127 builds exponent field 0; a NaN t gives NaN through the polynomial.
/// Checked against numpy by test/compiler/cpu/vector-exp-accuracy.test.
Value buildVectorExp2(ImplicitLocOpBuilder &b, Value t);

} // namespace mlir::attn

#endif // ATTNC_PASSES_TILING_VECTOREXP_H

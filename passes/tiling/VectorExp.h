//===- VectorExp.h - 2^t on f32 vectors in arith ops ------------*- C++ -*-===//

#ifndef ATTNC_PASSES_TILING_VECTOREXP_H
#define ATTNC_PASSES_TILING_VECTOREXP_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::attn {

/// How buildVectorExp2 forms 2^n.
enum class Exp2Scaling {
  /// The float whose exponent field is n + 127, built from integer bits
  /// and multiplied in: any target (AVX2, AVX-512, NEON).
  ExponentBits,
  /// AVX-512's vscalefps (p·2^n in one instruction); vector<16xf32> only.
  Avx512Scalef,
};

/// 2^t for a vector of f32 with t <= 0, -inf or NaN: the softmax domain,
/// a score in log2 units minus its row maximum. The vector kernel keeps
/// scores in log2 units (log2(e) is folded into the query scale), so its
/// exponentials need no multiply. Both forms clamp, split t into n + f,
/// and evaluate 2^f by a degree-5 minimax polynomial on [-1/2, 1/2]
/// (relative error 9.2e-8; at most 1.9e-7, about 3 ulp, evaluated in f32);
/// a NaN t gives NaN through the polynomial.
///
/// ExponentBits, twelve SIMD instructions (the clamp's compare and select
/// become one max):
///   t' = max(t, -127), keeping NaN;
///   n = t' rounded to nearest even, by adding and subtracting 1.5·2^23;
///   the sum's low mantissa bits hold n;
///   2^n as the float whose exponent field is n + 127, built from the
///   sum's bits, multiplied in.
/// t below -126.5 (and -inf: masked scores) gives exactly 0, since n =
/// -127 builds exponent field 0.
///
/// Avx512Scalef, nine: a write mask of the lanes with t >= -126 (or NaN);
/// n = roundeven(t) (vrndscaleps); the polynomial; vscalefps(p, n) under
/// the mask, 0 elsewhere. t below -126 (and -inf) gives exactly 0 without
/// computing it: an underflowing or denormal vscalefps result would cost a
/// microcode assist per vector.
///
/// Checked against numpy by test/compiler/cpu/vector-exp-accuracy.test.
Value buildVectorExp2(ImplicitLocOpBuilder &b, Value t,
                      Exp2Scaling scaling = Exp2Scaling::ExponentBits);

} // namespace mlir::attn

#endif // ATTNC_PASSES_TILING_VECTOREXP_H

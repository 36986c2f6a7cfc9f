//===- VectorExp.cpp - 2^t on f32 vectors in arith ops -------------------===//

#include "passes/tiling/VectorExp.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

using namespace mlir;

Value mlir::attn::buildVectorExp2(ImplicitLocOpBuilder &b, Value t, Exp2Scaling scaling) {
  auto type = cast<VectorType>(t.getType());
  auto intType = VectorType::get(type.getShape(), b.getI32Type());
  auto splat = [&](double v) -> Value {
    return arith::ConstantOp::create(
        b, DenseElementsAttr::get(type, b.getFloatAttr(b.getF32Type(), v)));
  };
  auto splatInt = [&](int32_t v) -> Value {
    return arith::ConstantOp::create(b, DenseElementsAttr::get(intType, b.getI32IntegerAttr(v)));
  };
  // Minimax for 2^f on [-1/2, 1/2] with p(0) = 1 (relative error weight),
  // highest power first for Horner's rule.
  const double coefficients[] = {1.3264727213903142e-3, 9.6715128125071170e-3,
                                 5.5507337448242930e-2, 2.4022242082677223e-1,
                                 6.9314697759733170e-1, 1.0};
  auto polynomial = [&](Value f) {
    Value p = splat(coefficients[0]);
    for (double c : ArrayRef(coefficients).drop_front())
      p = math::FmaOp::create(b, p, f, splat(c));
    return p;
  };
  if (scaling == Exp2Scaling::Avx512Scalef) {
    // Lanes with t < -126 (-inf: masked scores) get exactly 0 through the
    // write mask, never computed: a denormal or underflowing vscalefps
    // result costs a microcode assist (on a sliding window, where a third
    // of the scores are masked, that made the kernel 1.5x slower). NaN is
    // not below -126, so it is computed, and stays NaN.
    // Unordered >=: true where t >= -126 or t is NaN.
    Value kept = arith::CmpFOp::create(b, arith::CmpFPredicate::UGE, t, splat(-126.0));
    Value mask = vector::ExtractOp::create(
        b,
        vector::BitCastOp::create(b, VectorType::get({1}, b.getIntegerType(type.getShape()[0])),
                                  kept),
        ArrayRef<int64_t>{0});
    Value n = math::RoundEvenOp::create(b, t);
    Value p = polynomial(arith::SubFOp::create(b, t, n));
    // p·2^floor(n) where the mask is set, else the passthrough 0; current
    // rounding mode (4). The op passes its operands to
    // llvm.x86.avx512.mask.scalef.ps.512 in order, whose order is (a, b,
    // passthrough, mask): the op's own names for them (src, a, b, k) do not
    // say that.
    Value currentRounding = arith::ConstantOp::create(b, b.getI32IntegerAttr(4));
    return x86vector::MaskScaleFOp::create(b, type, /*a=*/p, /*b=*/n, /*passthrough=*/splat(0.0),
                                           mask, currentRounding);
  }

  // t < -127 ? -127 : t, written so that a NaN t is kept (x86: one vmaxps).
  Value tooLow = arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, t, splat(-127.0));
  Value clamped = arith::SelectOp::create(b, tooLow, splat(-127.0), t);
  // Adding 1.5·2^23 rounds to an integer (round to nearest even) and leaves
  // it in the low mantissa bits; subtracting gives n as a float.
  Value magic = splat(12582912.0);
  Value shifted = arith::AddFOp::create(b, clamped, magic);
  Value n = arith::SubFOp::create(b, shifted, magic);
  Value p = polynomial(arith::SubFOp::create(b, clamped, n));
  // (bits(shifted) + 127) << 23 is (n + 127) << 23 modulo 2^32: the bits of
  // 1.5·2^23 itself shift out. n = -127 gives +0.
  Value exponent = arith::ShLIOp::create(
      b, arith::AddIOp::create(b, arith::BitcastOp::create(b, intType, shifted), splatInt(127)),
      splatInt(23));
  return arith::MulFOp::create(b, p, arith::BitcastOp::create(b, type, exponent));
}

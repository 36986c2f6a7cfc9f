//===- VectorExp.cpp - exp on f32 vectors in arith ops -------------------===//

#include "passes/tiling/VectorExp.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

Value mlir::attn::buildVectorExp(ImplicitLocOpBuilder &b, Value x) {
  auto type = cast<VectorType>(x.getType());
  auto intType = VectorType::get(type.getShape(), b.getI32Type());
  auto splat = [&](double v) -> Value {
    return arith::ConstantOp::create(
        b, DenseElementsAttr::get(type, b.getFloatAttr(b.getF32Type(), v)));
  };
  // (ln 2)^k / k!, highest power first for Horner's rule.
  const double coefficients[] = {1.5403530393381608e-4,
                                 1.3333558146428443e-3,
                                 9.6181291076284772e-3,
                                 5.5504108664821580e-2,
                                 2.4022650695910071e-1,
                                 6.9314718055994531e-1,
                                 1.0};
  Value t = arith::MulFOp::create(b, x, splat(1.4426950408889634));
  Value n = math::RoundEvenOp::create(b, t);
  Value f = arith::SubFOp::create(b, t, n);
  Value p = splat(coefficients[0]);
  for (double c : ArrayRef(coefficients).drop_front())
    p = math::FmaOp::create(b, p, f, splat(c));
  Value exponent = arith::ShLIOp::create(
      b, arith::FPToSIOp::create(b, intType, n),
      arith::ConstantOp::create(b, DenseElementsAttr::get(intType, b.getI32IntegerAttr(23))));
  Value bits = arith::AddIOp::create(b, arith::BitcastOp::create(b, intType, p), exponent);
  Value result = arith::BitcastOp::create(b, type, bits);
  Value underflow = arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, x, splat(-87.0));
  result = arith::SelectOp::create(b, underflow, splat(0.0), result);
  Value isNan = arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, x, x);
  return arith::SelectOp::create(b, isNan, x, result);
}

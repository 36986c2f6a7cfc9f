//===- ElementwiseToLinalg.cpp - attn elementwise ops to linalg.generic --===//
//
// Every elementwise attn op (unary, binary with broadcasting, where, cast,
// clip, gelu) becomes one linalg.generic whose body is the scalar op.
//
//===----------------------------------------------------------------------===//

#include "dialects/attn/AttnOps.h"
#include "passes/lowering/LinalgBuilders.h"
#include "passes/lowering/Patterns.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::lowering;

namespace {

/// Lowers an elementwise attn op through `scalar`, which sees the op (for
/// its attributes) and the scalars of its operands.
template <typename OpTy>
struct ElementwisePattern : OpConversionPattern<OpTy> {
  using ScalarFn = Value (*)(OpBuilder &, Location, OpTy, ValueRange, IntegerSigns);
  ElementwisePattern(MLIRContext *ctx, ScalarFn scalar, const UnsignedOps &unsignedOps)
      : OpConversionPattern<OpTy>(ctx), scalar(scalar), unsignedOps(unsignedOps) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    IntegerSigns signs = unsignedOps.lookup(op);
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return scalar(b, loc, op, args, signs);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  ScalarFn scalar;
  const UnsignedOps &unsignedOps;
};

template <typename OpTy>
void add(RewritePatternSet &patterns, const UnsignedOps &unsignedOps,
         typename ElementwisePattern<OpTy>::ScalarFn scalar) {
  patterns.add<ElementwisePattern<OpTy>>(patterns.getContext(), scalar, unsignedOps);
}

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

arith::CmpIPredicate unsignedPredicate(arith::CmpIPredicate signedPredicate) {
  using I = arith::CmpIPredicate;
  switch (signedPredicate) {
  case I::slt: return I::ult;
  case I::sle: return I::ule;
  case I::sgt: return I::ugt;
  case I::sge: return I::uge;
  default: return signedPredicate;
  }
}

/// `ip` is the signed integer predicate; unsigned operands use its
/// unsigned twin (slt -> ult, ...).
Value compare(OpBuilder &b, Location loc, Value x, Value y, arith::CmpFPredicate fp,
              arith::CmpIPredicate ip, IntegerSigns signs) {
  if (isFloat(x))
    return arith::CmpFOp::create(b, loc, fp, x, y);
  if (signs.unsignedOperands)
    ip = unsignedPredicate(ip);
  return arith::CmpIOp::create(b, loc, ip, x, y);
}

} // namespace

void mlir::attn::lowering::populateElementwiseToLinalgPatterns(
    RewritePatternSet &patterns, const UnsignedOps &unsignedOps) {
  using P = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  // Unary.
  add<NegOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, NegOp, ValueRange a, IntegerSigns) -> Value {
    if (isFloat(a[0]))
      return arith::NegFOp::create(b, l, a[0]);
    return arith::SubIOp::create(b, l, scalarConstant(b, l, a[0].getType(), 0), a[0]);
  });
  add<AbsOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, AbsOp, ValueRange a, IntegerSigns s) -> Value {
    if (isFloat(a[0]))
      return math::AbsFOp::create(b, l, a[0]);
    if (s.unsignedOperands)
      return a[0];
    return math::AbsIOp::create(b, l, a[0]);
  });
  add<ReluOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, ReluOp, ValueRange a, IntegerSigns s) -> Value {
    return scalarMax(b, l, a[0], scalarConstant(b, l, a[0].getType(), 0), s.unsignedOperands);
  });
  add<ExpOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, ExpOp, ValueRange a, IntegerSigns) -> Value {
    return math::ExpOp::create(b, l, a[0]);
  });
  add<LogOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, LogOp, ValueRange a, IntegerSigns) -> Value {
    return math::LogOp::create(b, l, a[0]);
  });
  add<SqrtOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, SqrtOp, ValueRange a, IntegerSigns) -> Value {
    return math::SqrtOp::create(b, l, a[0]);
  });
  add<ReciprocalOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, ReciprocalOp, ValueRange a, IntegerSigns) -> Value {
    return arith::DivFOp::create(b, l, scalarConstant(b, l, a[0].getType(), 1.0), a[0]);
  });
  add<ErfOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, ErfOp, ValueRange a, IntegerSigns) -> Value {
    return math::ErfOp::create(b, l, a[0]);
  });
  add<TanhOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, TanhOp, ValueRange a, IntegerSigns) -> Value {
    return math::TanhOp::create(b, l, a[0]);
  });
  add<SigmoidOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, SigmoidOp, ValueRange a, IntegerSigns) -> Value {
    Type t = a[0].getType();
    Value expNeg = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, a[0]));
    Value denom = arith::AddFOp::create(b, l, scalarConstant(b, l, t, 1.0), expNeg);
    return arith::DivFOp::create(b, l, scalarConstant(b, l, t, 1.0), denom);
  });
  add<SinOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, SinOp, ValueRange a, IntegerSigns) -> Value {
    return math::SinOp::create(b, l, a[0]);
  });
  add<CosOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, CosOp, ValueRange a, IntegerSigns) -> Value {
    return math::CosOp::create(b, l, a[0]);
  });
  add<FloorOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, FloorOp, ValueRange a, IntegerSigns) -> Value {
    return math::FloorOp::create(b, l, a[0]);
  });
  add<CeilOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, CeilOp, ValueRange a, IntegerSigns) -> Value {
    return math::CeilOp::create(b, l, a[0]);
  });
  add<NotOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, NotOp, ValueRange a, IntegerSigns) -> Value {
    return arith::XOrIOp::create(b, l, a[0], scalarConstant(b, l, a[0].getType(), 1));
  });
  add<GeluOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, GeluOp op, ValueRange a, IntegerSigns) -> Value {
    return op.getApproximate() == GeluApproximation::tanh ? geluTanh(b, l, a[0])
                                                          : geluExact(b, l, a[0]);
  });
  add<ClipOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, ClipOp op, ValueRange a, IntegerSigns s) -> Value {
    Value x = a[0];
    bool u = s.unsignedOperands;
    if (std::optional<APFloat> min = op.getMin())
      x = scalarMax(b, l, x, scalarConstant(b, l, x.getType(), min->convertToDouble()), u);
    if (std::optional<APFloat> max = op.getMax())
      x = scalarMin(b, l, x, scalarConstant(b, l, x.getType(), max->convertToDouble()), u);
    return x;
  });
  add<CastOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, CastOp op, ValueRange a, IntegerSigns s) -> Value {
    return scalarCast(b, l, a[0], op.getType().getElementType(), s);
  });

  // Binary, broadcasting.
  add<AddOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, AddOp, ValueRange a, IntegerSigns) {
    return scalarAdd(b, l, a[0], a[1]);
  });
  add<SubOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, SubOp, ValueRange a, IntegerSigns) {
    return scalarSub(b, l, a[0], a[1]);
  });
  add<MulOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, MulOp, ValueRange a, IntegerSigns) {
    return scalarMul(b, l, a[0], a[1]);
  });
  add<DivOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, DivOp, ValueRange a, IntegerSigns s) {
    return scalarDiv(b, l, a[0], a[1], s.unsignedOperands);
  });
  add<PowOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, PowOp, ValueRange a, IntegerSigns) -> Value {
    return math::PowFOp::create(b, l, a[0], a[1]);
  });
  add<MaxOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, MaxOp, ValueRange a, IntegerSigns s) {
    return scalarMax(b, l, a[0], a[1], s.unsignedOperands);
  });
  add<MinOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, MinOp, ValueRange a, IntegerSigns s) {
    return scalarMin(b, l, a[0], a[1], s.unsignedOperands);
  });
  add<AndOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, AndOp, ValueRange a, IntegerSigns) -> Value {
    return arith::AndIOp::create(b, l, a[0], a[1]);
  });
  add<OrOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, OrOp, ValueRange a, IntegerSigns) -> Value {
    return arith::OrIOp::create(b, l, a[0], a[1]);
  });
  add<XorOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, XorOp, ValueRange a, IntegerSigns) -> Value {
    return arith::XOrIOp::create(b, l, a[0], a[1]);
  });
  add<EqualOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, EqualOp, ValueRange a, IntegerSigns s) {
    return compare(b, l, a[0], a[1], P::OEQ, I::eq, s);
  });
  add<LessOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, LessOp, ValueRange a, IntegerSigns s) {
    return compare(b, l, a[0], a[1], P::OLT, I::slt, s);
  });
  add<LessEqualOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, LessEqualOp, ValueRange a, IntegerSigns s) {
    return compare(b, l, a[0], a[1], P::OLE, I::sle, s);
  });
  add<GreaterOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, GreaterOp, ValueRange a, IntegerSigns s) {
    return compare(b, l, a[0], a[1], P::OGT, I::sgt, s);
  });
  add<GreaterEqualOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, GreaterEqualOp, ValueRange a, IntegerSigns s) {
    return compare(b, l, a[0], a[1], P::OGE, I::sge, s);
  });
  add<WhereOp>(patterns, unsignedOps, [](OpBuilder &b, Location l, WhereOp, ValueRange a, IntegerSigns) -> Value {
    return arith::SelectOp::create(b, l, a[0], a[1], a[2]);
  });
}

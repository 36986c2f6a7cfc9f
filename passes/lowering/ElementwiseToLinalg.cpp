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
  using ScalarFn = Value (*)(OpBuilder &, Location, OpTy, ValueRange);
  ElementwisePattern(MLIRContext *ctx, ScalarFn scalar)
      : OpConversionPattern<OpTy>(ctx), scalar(scalar) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    if (!type.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs a static shape");
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return scalar(b, loc, op, args);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  ScalarFn scalar;
};

template <typename OpTy>
void add(RewritePatternSet &patterns,
         typename ElementwisePattern<OpTy>::ScalarFn scalar) {
  patterns.add<ElementwisePattern<OpTy>>(patterns.getContext(), scalar);
}

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

Value compare(OpBuilder &b, Location loc, Value x, Value y,
              arith::CmpFPredicate fp, arith::CmpIPredicate ip) {
  if (isFloat(x))
    return arith::CmpFOp::create(b, loc, fp, x, y);
  return arith::CmpIOp::create(b, loc, ip, x, y);
}

/// erf-based GELU: x * 0.5 * (1 + erf(x / sqrt(2))).
Value geluExact(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value scaled = arith::MulFOp::create(b, loc, x, scalarConstant(b, loc, t, M_SQRT1_2));
  Value erf = math::ErfOp::create(b, loc, scaled);
  Value onePlus = arith::AddFOp::create(b, loc, erf, scalarConstant(b, loc, t, 1.0));
  Value half = arith::MulFOp::create(b, loc, x, scalarConstant(b, loc, t, 0.5));
  return arith::MulFOp::create(b, loc, half, onePlus);
}

/// tanh-approximated GELU (GPT-2's "gelu_new").
Value geluTanh(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value cube = arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
  Value inner = arith::AddFOp::create(
      b, loc, x, arith::MulFOp::create(b, loc, cube, scalarConstant(b, loc, t, 0.044715)));
  Value arg = arith::MulFOp::create(
      b, loc, inner, scalarConstant(b, loc, t, std::sqrt(2.0 / M_PI)));
  Value onePlus = arith::AddFOp::create(b, loc, math::TanhOp::create(b, loc, arg),
                                        scalarConstant(b, loc, t, 1.0));
  Value half = arith::MulFOp::create(b, loc, x, scalarConstant(b, loc, t, 0.5));
  return arith::MulFOp::create(b, loc, half, onePlus);
}

} // namespace

void mlir::attn::lowering::populateElementwiseToLinalgPatterns(
    RewritePatternSet &patterns) {
  using P = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  // Unary.
  add<NegOp>(patterns, [](OpBuilder &b, Location l, NegOp, ValueRange a) -> Value {
    if (isFloat(a[0]))
      return arith::NegFOp::create(b, l, a[0]);
    return arith::SubIOp::create(b, l, scalarConstant(b, l, a[0].getType(), 0), a[0]);
  });
  add<AbsOp>(patterns, [](OpBuilder &b, Location l, AbsOp, ValueRange a) -> Value {
    if (isFloat(a[0]))
      return math::AbsFOp::create(b, l, a[0]);
    return math::AbsIOp::create(b, l, a[0]);
  });
  add<ReluOp>(patterns, [](OpBuilder &b, Location l, ReluOp, ValueRange a) -> Value {
    return scalarMax(b, l, a[0], scalarConstant(b, l, a[0].getType(), 0));
  });
  add<ExpOp>(patterns, [](OpBuilder &b, Location l, ExpOp, ValueRange a) -> Value {
    return math::ExpOp::create(b, l, a[0]);
  });
  add<LogOp>(patterns, [](OpBuilder &b, Location l, LogOp, ValueRange a) -> Value {
    return math::LogOp::create(b, l, a[0]);
  });
  add<SqrtOp>(patterns, [](OpBuilder &b, Location l, SqrtOp, ValueRange a) -> Value {
    return math::SqrtOp::create(b, l, a[0]);
  });
  add<ReciprocalOp>(patterns, [](OpBuilder &b, Location l, ReciprocalOp, ValueRange a) -> Value {
    return arith::DivFOp::create(b, l, scalarConstant(b, l, a[0].getType(), 1.0), a[0]);
  });
  add<ErfOp>(patterns, [](OpBuilder &b, Location l, ErfOp, ValueRange a) -> Value {
    return math::ErfOp::create(b, l, a[0]);
  });
  add<TanhOp>(patterns, [](OpBuilder &b, Location l, TanhOp, ValueRange a) -> Value {
    return math::TanhOp::create(b, l, a[0]);
  });
  add<SigmoidOp>(patterns, [](OpBuilder &b, Location l, SigmoidOp, ValueRange a) -> Value {
    Type t = a[0].getType();
    Value expNeg = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, a[0]));
    Value denom = arith::AddFOp::create(b, l, scalarConstant(b, l, t, 1.0), expNeg);
    return arith::DivFOp::create(b, l, scalarConstant(b, l, t, 1.0), denom);
  });
  add<SinOp>(patterns, [](OpBuilder &b, Location l, SinOp, ValueRange a) -> Value {
    return math::SinOp::create(b, l, a[0]);
  });
  add<CosOp>(patterns, [](OpBuilder &b, Location l, CosOp, ValueRange a) -> Value {
    return math::CosOp::create(b, l, a[0]);
  });
  add<FloorOp>(patterns, [](OpBuilder &b, Location l, FloorOp, ValueRange a) -> Value {
    return math::FloorOp::create(b, l, a[0]);
  });
  add<CeilOp>(patterns, [](OpBuilder &b, Location l, CeilOp, ValueRange a) -> Value {
    return math::CeilOp::create(b, l, a[0]);
  });
  add<NotOp>(patterns, [](OpBuilder &b, Location l, NotOp, ValueRange a) -> Value {
    return arith::XOrIOp::create(b, l, a[0], scalarConstant(b, l, a[0].getType(), 1));
  });
  add<GeluOp>(patterns, [](OpBuilder &b, Location l, GeluOp op, ValueRange a) -> Value {
    return op.getApproximate() == GeluApproximation::tanh ? geluTanh(b, l, a[0])
                                                          : geluExact(b, l, a[0]);
  });
  add<ClipOp>(patterns, [](OpBuilder &b, Location l, ClipOp op, ValueRange a) -> Value {
    Value x = a[0];
    if (std::optional<APFloat> min = op.getMin())
      x = scalarMax(b, l, x, scalarConstant(b, l, x.getType(), min->convertToDouble()));
    if (std::optional<APFloat> max = op.getMax())
      x = scalarMin(b, l, x, scalarConstant(b, l, x.getType(), max->convertToDouble()));
    return x;
  });
  add<CastOp>(patterns, [](OpBuilder &b, Location l, CastOp op, ValueRange a) -> Value {
    return scalarCast(b, l, a[0], op.getType().getElementType());
  });

  // Binary, broadcasting.
  add<AddOp>(patterns, [](OpBuilder &b, Location l, AddOp, ValueRange a) {
    return scalarAdd(b, l, a[0], a[1]);
  });
  add<SubOp>(patterns, [](OpBuilder &b, Location l, SubOp, ValueRange a) {
    return scalarSub(b, l, a[0], a[1]);
  });
  add<MulOp>(patterns, [](OpBuilder &b, Location l, MulOp, ValueRange a) {
    return scalarMul(b, l, a[0], a[1]);
  });
  add<DivOp>(patterns, [](OpBuilder &b, Location l, DivOp, ValueRange a) {
    return scalarDiv(b, l, a[0], a[1]);
  });
  add<PowOp>(patterns, [](OpBuilder &b, Location l, PowOp, ValueRange a) -> Value {
    return math::PowFOp::create(b, l, a[0], a[1]);
  });
  add<MaxOp>(patterns, [](OpBuilder &b, Location l, MaxOp, ValueRange a) {
    return scalarMax(b, l, a[0], a[1]);
  });
  add<MinOp>(patterns, [](OpBuilder &b, Location l, MinOp, ValueRange a) {
    return scalarMin(b, l, a[0], a[1]);
  });
  add<AndOp>(patterns, [](OpBuilder &b, Location l, AndOp, ValueRange a) -> Value {
    return arith::AndIOp::create(b, l, a[0], a[1]);
  });
  add<OrOp>(patterns, [](OpBuilder &b, Location l, OrOp, ValueRange a) -> Value {
    return arith::OrIOp::create(b, l, a[0], a[1]);
  });
  add<XorOp>(patterns, [](OpBuilder &b, Location l, XorOp, ValueRange a) -> Value {
    return arith::XOrIOp::create(b, l, a[0], a[1]);
  });
  add<EqualOp>(patterns, [](OpBuilder &b, Location l, EqualOp, ValueRange a) {
    return compare(b, l, a[0], a[1], P::OEQ, I::eq);
  });
  add<LessOp>(patterns, [](OpBuilder &b, Location l, LessOp, ValueRange a) {
    return compare(b, l, a[0], a[1], P::OLT, I::slt);
  });
  add<LessEqualOp>(patterns, [](OpBuilder &b, Location l, LessEqualOp, ValueRange a) {
    return compare(b, l, a[0], a[1], P::OLE, I::sle);
  });
  add<GreaterOp>(patterns, [](OpBuilder &b, Location l, GreaterOp, ValueRange a) {
    return compare(b, l, a[0], a[1], P::OGT, I::sgt);
  });
  add<GreaterEqualOp>(patterns, [](OpBuilder &b, Location l, GreaterEqualOp, ValueRange a) {
    return compare(b, l, a[0], a[1], P::OGE, I::sge);
  });
  add<WhereOp>(patterns, [](OpBuilder &b, Location l, WhereOp, ValueRange a) -> Value {
    return arith::SelectOp::create(b, l, a[0], a[1], a[2]);
  });
}

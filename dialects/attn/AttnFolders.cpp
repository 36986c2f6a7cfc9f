//===- AttnFolders.cpp - Constant folding of elementwise attn ops ---------===//
//
// Folds ops with constant operands into constants: the shape arithmetic of
// exported graphs (Shape -> Gather -> Concat -> Reshape) and small masks.
// Results stay small (kMaxFoldedElements) unless they are splats. Float
// arithmetic is APFloat's, i.e. IEEE round-to-nearest-even in the element
// type; exp/tanh/erf and friends are not folded because libm need not agree
// with the code the compiler generates for them. Data movement and
// reductions fold in AttnMovementFolders.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialects/attn/AttnOps.h"
#include "dialects/attn/FoldingUtils.h"
#include "llvm/ADT/APSInt.h"
#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::folding;

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

/// Folds an elementwise op over constant operands with broadcasting.
/// `intFn` / `floatFn` take the operands' elements and return an optional
/// APInt or APFloat of the result's element type.
template <typename IntFn, typename FloatFn>
static OpFoldResult foldElementwise(Operation *op,
                                    ArrayRef<Attribute> operandAttrs,
                                    IntFn intFn, FloatFn floatFn) {
  SmallVector<Elements, 2> operands;
  bool splat = true;
  for (Attribute attr : operandAttrs) {
    std::optional<Elements> elements = Elements::read(attr);
    if (!elements)
      return {};
    splat &= elements->splat;
    operands.push_back(std::move(*elements));
  }
  RankedTensorType type = resultType(op);
  if (!fitsFoldLimit(type, splat))
    return {};
  int64_t count = splat ? 1 : type.getNumElements();
  SmallVector<SmallVector<int64_t>> sources;
  for (auto [operand, value] : llvm::zip(operands, op->getOperands()))
    sources.push_back(
        operand.splat
            ? SmallVector<int64_t>()
            : broadcastSources(cast<RankedTensorType>(value.getType()).getShape(),
                               type.getShape()));
  auto sourceIndex = [&](size_t operand, int64_t i) {
    return operands[operand].splat ? 0 : sources[operand][i];
  };
  if (operands.front().isFloat())
    return buildElements(type, count, [&](int64_t i) {
      SmallVector<APFloat, 2> args;
      for (size_t o = 0; o < operands.size(); ++o)
        args.push_back(operands[o].floatAt(sourceIndex(o, i)));
      return floatFn(args);
    });
  return buildElements(type, count, [&](int64_t i) {
    SmallVector<APInt, 2> args;
    for (size_t o = 0; o < operands.size(); ++o)
      args.push_back(operands[o].intAt(sourceIndex(o, i)));
    return intFn(args);
  });
}

using IntResult = std::optional<APInt>;
using FloatResult = std::optional<APFloat>;

/// Folds a binary op from per-element functions of (lhs, rhs).
template <typename Adaptor, typename IntFn, typename FloatFn>
static OpFoldResult foldBinary(Operation *op, Adaptor adaptor, IntFn intFn,
                               FloatFn floatFn) {
  return foldElementwise(
      op, {adaptor.getLhs(), adaptor.getRhs()},
      [&](ArrayRef<APInt> v) { return intFn(v[0], v[1]); },
      [&](ArrayRef<APFloat> v) { return floatFn(v[0], v[1]); });
}

/// Folds a unary op from per-element functions.
template <typename Adaptor, typename IntFn, typename FloatFn>
static OpFoldResult foldUnary(Operation *op, Adaptor adaptor, IntFn intFn,
                              FloatFn floatFn) {
  return foldElementwise(
      op, {adaptor.getInput()}, [&](ArrayRef<APInt> v) { return intFn(v[0]); },
      [&](ArrayRef<APFloat> v) { return floatFn(v[0]); });
}

// For ops that have no meaning on one kind of element.
static IntResult noInt(const APInt &, const APInt &) { return std::nullopt; }
static FloatResult noFloat(const APFloat &, const APFloat &) {
  return std::nullopt;
}
static IntResult noIntUnary(const APInt &) { return std::nullopt; }
static FloatResult noFloatUnary(const APFloat &) { return std::nullopt; }

/// An unordered (NaN) comparison is false.
static IntResult compareIs(const APFloat &a, const APFloat &b,
                           std::initializer_list<APFloat::cmpResult> accepted) {
  return boolValue(llvm::is_contained(accepted, a.compare(b)));
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor, [](const APInt &a, const APInt &b) -> IntResult { return a + b; },
      [](const APFloat &a, const APFloat &b) -> FloatResult { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor, [](const APInt &a, const APInt &b) -> IntResult { return a - b; },
      [](const APFloat &a, const APFloat &b) -> FloatResult { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor, [](const APInt &a, const APInt &b) -> IntResult { return a * b; },
      [](const APFloat &a, const APFloat &b) -> FloatResult { return a * b; });
}

// Integer division truncates toward zero; x / 0 and INT_MIN / -1 stay
// unfolded (undefined at run time, so not the folder's to decide).
OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor,
      [](const APInt &a, const APInt &b) -> IntResult {
        if (a.getBitWidth() == 1 || b.isZero() ||
            (a.isMinSignedValue() && b.isAllOnes()))
          return std::nullopt;
        return a.sdiv(b);
      },
      [](const APFloat &a, const APFloat &b) -> FloatResult { return a / b; });
}

// NaN propagates, as in numpy's maximum / minimum.
OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor,
      [](const APInt &a, const APInt &b) -> IntResult { return lessThan(a, b) ? b : a; },
      [](const APFloat &a, const APFloat &b) -> FloatResult {
        return llvm::maximum(a, b);
      });
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor,
      [](const APInt &a, const APInt &b) -> IntResult { return lessThan(b, a) ? b : a; },
      [](const APFloat &a, const APFloat &b) -> FloatResult {
        return llvm::minimum(a, b);
      });
}

OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor, [](const APInt &a, const APInt &b) -> IntResult { return a & b; },
      noFloat);
}

OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor, [](const APInt &a, const APInt &b) -> IntResult { return a | b; },
      noFloat);
}

OpFoldResult XorOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor, [](const APInt &a, const APInt &b) -> IntResult { return a ^ b; },
      noFloat);
}

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor,
      [](const APInt &a, const APInt &b) -> IntResult { return boolValue(a == b); },
      [](const APFloat &a, const APFloat &b) {
        return compareIs(a, b, {APFloat::cmpEqual});
      });
}

OpFoldResult LessOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor,
      [](const APInt &a, const APInt &b) -> IntResult { return boolValue(lessThan(a, b)); },
      [](const APFloat &a, const APFloat &b) {
        return compareIs(a, b, {APFloat::cmpLessThan});
      });
}

OpFoldResult LessEqualOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor,
      [](const APInt &a, const APInt &b) -> IntResult { return boolValue(!lessThan(b, a)); },
      [](const APFloat &a, const APFloat &b) {
        return compareIs(a, b, {APFloat::cmpLessThan, APFloat::cmpEqual});
      });
}

OpFoldResult GreaterOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor,
      [](const APInt &a, const APInt &b) -> IntResult { return boolValue(lessThan(b, a)); },
      [](const APFloat &a, const APFloat &b) {
        return compareIs(a, b, {APFloat::cmpGreaterThan});
      });
}

OpFoldResult GreaterEqualOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      *this, adaptor,
      [](const APInt &a, const APInt &b) -> IntResult { return boolValue(!lessThan(a, b)); },
      [](const APFloat &a, const APFloat &b) {
        return compareIs(a, b, {APFloat::cmpGreaterThan, APFloat::cmpEqual});
      });
}

// sqrt is correctly rounded in IEEE arithmetic, so the host's float / double
// sqrt gives the exact f32 / f64 result; narrower types round once more from
// double, which is still exact for sqrt (double has > 2p + 2 bits).
static FloatResult squareRoot(const APFloat &a) {
  const llvm::fltSemantics &semantics = a.getSemantics();
  if (&semantics == &APFloat::IEEEsingle())
    return APFloat(std::sqrt(a.convertToFloat()));
  if (APFloat::semanticsSizeInBits(semantics) > 64)
    return std::nullopt;
  bool losesInfo = false;
  APFloat wide = a;
  wide.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &losesInfo);
  APFloat result(std::sqrt(wide.convertToDouble()));
  result.convert(semantics, APFloat::rmNearestTiesToEven, &losesInfo);
  return result;
}

// Only exponents whose result IEEE arithmetic pins down exactly fold:
// 0, 1, 2 (one rounding of x * x), -1 and 0.5 (sqrt, correctly rounded;
// pow(-0, 0.5) = +0 and pow(-inf, 0.5) = +inf unlike sqrt).
OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr exponentAttr = asDenseElements(adaptor.getRhs());
  if (!exponentAttr || !exponentAttr.isSplat())
    return {};
  double exponent = exponentAttr.getSplatValue<APFloat>().convertToDouble();
  if (exponent == 1.0 && getLhs().getType() == getType())
    return getLhs();
  return foldBinary(
      *this, adaptor, noInt, [](const APFloat &x, const APFloat &e) -> FloatResult {
        double power = e.convertToDouble();
        if (power == 0.0)
          return APFloat::getOne(x.getSemantics());
        if (power == 1.0)
          return x;
        if (power == 2.0)
          return x * x;
        if (power == -1.0)
          return APFloat::getOne(x.getSemantics()) / x;
        if (power == 0.5) {
          if (x.isZero())
            return APFloat::getZero(x.getSemantics());
          if (x.isInfinity())
            return APFloat::getInf(x.getSemantics());
          return squareRoot(x);
        }
        return std::nullopt;
      });
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      *this, adaptor, [](const APInt &a) -> IntResult { return -a; },
      [](const APFloat &a) -> FloatResult { return llvm::neg(a); });
}

OpFoldResult AbsOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      *this, adaptor, [](const APInt &a) -> IntResult { return a.abs(); },
      [](const APFloat &a) -> FloatResult { return llvm::abs(a); });
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  return foldUnary(
      *this, adaptor, [](const APInt &a) -> IntResult { return ~a; },
      noFloatUnary);
}

static FloatResult roundToIntegral(APFloat value, APFloat::roundingMode mode) {
  value.roundToIntegral(mode);
  return value;
}

OpFoldResult FloorOp::fold(FoldAdaptor adaptor) {
  return foldUnary(*this, adaptor, noIntUnary, [](const APFloat &a) {
    return roundToIntegral(a, APFloat::rmTowardNegative);
  });
}

OpFoldResult CeilOp::fold(FoldAdaptor adaptor) {
  return foldUnary(*this, adaptor, noIntUnary, [](const APFloat &a) {
    return roundToIntegral(a, APFloat::rmTowardPositive);
  });
}

// log folds only where it is exact: log(1) = 0 and log(0) = -inf, which is
// how exporters write masks (Log of a 0/1 matrix).
OpFoldResult LogOp::fold(FoldAdaptor adaptor) {
  return foldUnary(*this, adaptor, noIntUnary, [](const APFloat &a) -> FloatResult {
    if (a.isZero())
      return APFloat::getInf(a.getSemantics(), /*Negative=*/true);
    if (a.isExactlyValue(1.0))
      return APFloat::getZero(a.getSemantics());
    return std::nullopt;
  });
}

OpFoldResult SqrtOp::fold(FoldAdaptor adaptor) {
  return foldUnary(*this, adaptor, noIntUnary, squareRoot);
}

/// Converts one element like ONNX Cast: float to integer truncates toward
/// zero (out of range or NaN: no fold), to i1 is `x != 0`, i1 widens to 0/1.
static std::optional<APInt> castToInt(const Elements &input, int64_t i,
                                      unsigned width) {
  if (input.isFloat()) {
    const APFloat &value = input.floatAt(i);
    if (width == 1)
      return boolValue(!value.isZero());
    llvm::APSInt result(width, /*isUnsigned=*/false);
    bool exact = false;
    if (value.convertToInteger(result, APFloat::rmTowardZero, &exact) &
        APFloat::opInvalidOp)
      return std::nullopt;
    return APInt(result);
  }
  const APInt &value = input.intAt(i);
  if (width == 1)
    return boolValue(!value.isZero());
  return value.getBitWidth() == 1 ? value.zext(width)
                                  : value.sextOrTrunc(width);
}

static std::optional<APFloat> castToFloat(const Elements &input, int64_t i,
                                          const llvm::fltSemantics &semantics) {
  bool losesInfo = false;
  if (input.isFloat()) {
    APFloat result = input.floatAt(i);
    result.convert(semantics, APFloat::rmNearestTiesToEven, &losesInfo);
    return result;
  }
  const APInt &value = input.intAt(i);
  APFloat result(semantics);
  result.convertFromAPInt(value, /*IsSigned=*/value.getBitWidth() > 1,
                          APFloat::rmNearestTiesToEven);
  return result;
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  std::optional<Elements> input = Elements::read(adaptor.getInput());
  RankedTensorType type = getType();
  // Unsigned constants are not read (Elements::read), so only casts into
  // an unsigned type need refusing here: castToInt converts signed.
  if (!input || !fitsFoldLimit(type, input->splat) ||
      type.getElementType().isUnsignedInteger())
    return {};
  int64_t count = input->splat ? 1 : type.getNumElements();
  if (auto floatType = dyn_cast<FloatType>(type.getElementType()))
    return buildElements(type, count, [&](int64_t i) {
      return castToFloat(*input, i, floatType.getFloatSemantics());
    });
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  return buildElements(type, count,
                       [&](int64_t i) { return castToInt(*input, i, width); });
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  // A uniform condition selects one operand outright when no broadcasting
  // is involved.
  if (auto condition = asDenseElements(adaptor.getCondition());
      condition && condition.isSplat()) {
    Value chosen = condition.getSplatValue<bool>() ? getTrueValue()
                                                   : getFalseValue();
    if (chosen.getType() == getType())
      return chosen;
  }
  std::optional<Elements> condition = Elements::read(adaptor.getCondition());
  std::optional<Elements> onTrue = Elements::read(adaptor.getTrueValue());
  std::optional<Elements> onFalse = Elements::read(adaptor.getFalseValue());
  if (!condition || !onTrue || !onFalse)
    return {};
  RankedTensorType type = getType();
  bool splat = condition->splat && onTrue->splat && onFalse->splat;
  if (!fitsFoldLimit(type, splat))
    return {};
  int64_t count = splat ? 1 : type.getNumElements();
  auto sourcesOf = [&](Value operand, const Elements &elements) {
    if (elements.splat)
      return SmallVector<int64_t>(count, 0);
    return broadcastSources(
        cast<RankedTensorType>(operand.getType()).getShape(), type.getShape());
  };
  SmallVector<int64_t> c = sourcesOf(getCondition(), *condition);
  SmallVector<int64_t> t = sourcesOf(getTrueValue(), *onTrue);
  SmallVector<int64_t> f = sourcesOf(getFalseValue(), *onFalse);
  if (onTrue->isFloat())
    return buildElements(type, count, [&](int64_t i) {
      return std::optional<APFloat>(condition->intAt(c[i]).getBoolValue()
                                        ? onTrue->floatAt(t[i])
                                        : onFalse->floatAt(f[i]));
    });
  return buildElements(type, count, [&](int64_t i) {
    return std::optional<APInt>(condition->intAt(c[i]).getBoolValue()
                                    ? onTrue->intAt(t[i])
                                    : onFalse->intAt(f[i]));
  });
}


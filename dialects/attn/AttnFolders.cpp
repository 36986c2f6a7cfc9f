//===- AttnFolders.cpp - Constant folding of attn ops ---------------------===//
//
// Folds ops with constant operands into constants: the shape arithmetic of
// exported graphs (Shape -> Gather -> Concat -> Reshape) and small masks.
// Results stay small (kMaxFoldedElements) unless they are splats. Float
// arithmetic is APFloat's, i.e. IEEE round-to-nearest-even in the element
// type; exp/tanh/erf and friends are not folded because libm need not agree
// with the code the compiler generates for them.
//
//===----------------------------------------------------------------------===//

#include "dialects/attn/AttnFolders.h"
#include "dialects/attn/AttnOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APSInt.h"
#include <cmath>
#include <type_traits>

using namespace mlir;
using namespace mlir::attn;

DenseElementsAttr mlir::attn::asDenseElements(Attribute value,
                                              int64_t maxElements) {
  if (auto dense = dyn_cast_if_present<DenseElementsAttr>(value))
    return dense;
  auto resource = dyn_cast_if_present<DenseResourceElementsAttr>(value);
  if (!resource)
    return {};
  ShapedType type = resource.getType();
  if (!type.hasStaticShape() || type.getNumElements() > maxElements)
    return {};
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  if (!blob)
    return {};
  ArrayRef<char> data = blob->getData();
  Type element = type.getElementType();
  // Resource blobs hold one byte per i1; DenseElementsAttr packs bits.
  if (element.isInteger(1)) {
    if ((int64_t)data.size() != type.getNumElements())
      return {};
    SmallVector<bool> bits(llvm::map_range(data, [](char c) { return c != 0; }));
    return DenseElementsAttr::get(type, bits);
  }
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0 ||
      (int64_t)data.size() !=
          type.getNumElements() * (element.getIntOrFloatBitWidth() / 8))
    return {};
  return DenseElementsAttr::getFromRawBuffer(type, data);
}

namespace {

/// A constant's elements widened to APInt (integers, i1) or APFloat; a splat
/// keeps its one element, so splats of any size fold cheaply.
struct Elements {
  Type elementType;
  bool splat = false;
  SmallVector<APInt> ints;
  SmallVector<APFloat> floats;

  static std::optional<Elements> read(Attribute attr) {
    DenseElementsAttr dense = asDenseElements(attr);
    if (!dense)
      return std::nullopt;
    Elements result;
    result.elementType = dense.getElementType();
    result.splat = dense.isSplat();
    if (!result.splat && dense.getNumElements() > kMaxFoldedElements)
      return std::nullopt;
    if (isa<FloatType>(result.elementType)) {
      if (result.splat)
        result.floats.push_back(dense.getSplatValue<APFloat>());
      else
        llvm::append_range(result.floats, dense.getValues<APFloat>());
    } else if (result.elementType.isSignlessInteger()) {
      if (result.splat)
        result.ints.push_back(dense.getSplatValue<APInt>());
      else
        llvm::append_range(result.ints, dense.getValues<APInt>());
    } else {
      return std::nullopt;
    }
    return result;
  }

  bool isFloat() const { return isa<FloatType>(elementType); }
  const APInt &intAt(int64_t i) const { return ints[splat ? 0 : i]; }
  const APFloat &floatAt(int64_t i) const { return floats[splat ? 0 : i]; }
};

} // namespace

static RankedTensorType resultType(Operation *op) {
  return cast<RankedTensorType>(op->getResult(0).getType());
}

/// Whether a result of `type` may be built (splats always may).
static bool fitsFoldLimit(RankedTensorType type, bool splat) {
  return splat || (type.hasStaticShape() &&
                   type.getNumElements() <= kMaxFoldedElements);
}

/// Builds a constant of `type` from `count` values computed by `compute(i)`
/// (an optional APInt or APFloat); any nullopt cancels the fold. One value
/// makes a splat.
template <typename ComputeFn>
static Attribute buildElements(RankedTensorType type, int64_t count,
                               ComputeFn compute) {
  using ElementT =
      typename std::invoke_result_t<ComputeFn, int64_t>::value_type;
  SmallVector<ElementT> values;
  values.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    std::optional<ElementT> value = compute(i);
    if (!value)
      return {};
    values.push_back(std::move(*value));
  }
  return DenseElementsAttr::get(type, ArrayRef<ElementT>(values));
}

/// Copies source elements: result element `i` is `source` element
/// `sources[i]`.
static Attribute pickElements(const Elements &source, RankedTensorType type,
                              ArrayRef<int64_t> sources) {
  if (source.isFloat())
    return buildElements(type, sources.size(), [&](int64_t i) {
      return std::optional<APFloat>(source.floatAt(sources[i]));
    });
  return buildElements(type, sources.size(), [&](int64_t i) {
    return std::optional<APInt>(source.intAt(sources[i]));
  });
}

/// The splat of `source` re-typed as `type` (data movement of a splat).
static Attribute retypeSplat(const Elements &source, RankedTensorType type) {
  return pickElements(source, type, {0});
}

static SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = (int64_t)shape.size() - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

static void delinearize(int64_t linear, ArrayRef<int64_t> shape,
                        SmallVectorImpl<int64_t> &index) {
  index.assign(shape.size(), 0);
  for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
    if (shape[d] == 0)
      return;
    index[d] = linear % shape[d];
    linear /= shape[d];
  }
}

/// For each element of `result`, the linear index in `operand` that numpy
/// broadcasting reads (broadcast.C1).
static SmallVector<int64_t> broadcastSources(ArrayRef<int64_t> operand,
                                             ArrayRef<int64_t> result) {
  SmallVector<int64_t> strides = rowMajorStrides(operand);
  size_t lead = result.size() - operand.size();
  int64_t count = 1;
  for (int64_t dim : result)
    count *= dim;
  SmallVector<int64_t> sources, index;
  sources.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    delinearize(i, result, index);
    int64_t linear = 0;
    for (size_t d = 0; d < operand.size(); ++d)
      if (operand[d] != 1)
        linear += index[lead + d] * strides[d];
    sources.push_back(linear);
  }
  return sources;
}

static bool lessThan(const APInt &a, const APInt &b) {
  // i1 is a boolean (0 < 1), wider integers are signed.
  return a.getBitWidth() == 1 ? a.ult(b) : a.slt(b);
}

static APInt boolValue(bool value) { return APInt(1, value ? 1 : 0); }

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
  if (!input || !fitsFoldLimit(type, input->splat))
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

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

/// Folds a one-input data-movement op whose result element `i` is input
/// element `sourceOf(index of i)`.
template <typename SourceFn>
static OpFoldResult foldMovement(Operation *op, Attribute inputAttr,
                                 SourceFn sourceOf) {
  std::optional<Elements> input = Elements::read(inputAttr);
  RankedTensorType type = resultType(op);
  if (!input || !fitsFoldLimit(type, input->splat))
    return {};
  if (input->splat)
    return retypeSplat(*input, type);
  ArrayRef<int64_t> inputShape =
      cast<RankedTensorType>(op->getOperand(0).getType()).getShape();
  SmallVector<int64_t> strides = rowMajorStrides(inputShape);
  SmallVector<int64_t> sources, index;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    delinearize(i, type.getShape(), index);
    int64_t linear = 0;
    for (auto [d, stride] : llvm::enumerate(strides))
      linear += sourceOf(index, d) * stride;
    sources.push_back(linear);
  }
  return pickElements(*input, type, sources);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) -> reshape(x): only the last shape matters.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    if (inner.getInput().getType() == getType())
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  // A weight blob is reshaped by re-typing its handle; no bytes move.
  if (auto resource =
          dyn_cast_if_present<DenseResourceElementsAttr>(adaptor.getInput()))
    return DenseResourceElementsAttr::get(getType(), resource.getRawHandle());
  std::optional<Elements> input = Elements::read(adaptor.getInput());
  if (!input || !fitsFoldLimit(getType(), input->splat))
    return {};
  return cast<DenseElementsAttr>(adaptor.getInput()).reshape(getType());
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> permutation = getPermutation();
  if (llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size())))
    return getInput();
  // transpose(transpose(x, p), q) -> transpose(x, p o q).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t p : permutation)
      composed.push_back(inner.getPermutation()[p]);
    if (llvm::equal(composed, llvm::seq<int64_t>(0, composed.size())))
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    return getResult();
  }
  // Result dim r reads input dim permutation[r]; invert for input dim d.
  SmallVector<int64_t> resultDimOf(permutation.size());
  for (auto [r, p] : llvm::enumerate(permutation))
    resultDimOf[p] = r;
  return foldMovement(*this, adaptor.getInput(),
                      [&](ArrayRef<int64_t> index, size_t d) {
                        return index[resultDimOf[d]];
                      });
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  ArrayRef<int64_t> inputShape = getInput().getType().getShape();
  size_t lead = getType().getRank() - inputShape.size();
  return foldMovement(*this, adaptor.getInput(),
                      [&](ArrayRef<int64_t> index, size_t d) {
                        return inputShape[d] == 1 ? 0 : index[lead + d];
                      });
}

OpFoldResult TileOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  ArrayRef<int64_t> inputShape = getInput().getType().getShape();
  return foldMovement(*this, adaptor.getInput(),
                      [&](ArrayRef<int64_t> index, size_t d) {
                        return index[d] % inputShape[d];
                      });
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> offsets = getOffsets(), strides = getStrides();
  if (getInput().getType() == getType() &&
      llvm::all_of(offsets, [](int64_t o) { return o == 0; }) &&
      llvm::all_of(strides, [](int64_t s) { return s == 1; }))
    return getInput();
  return foldMovement(*this, adaptor.getInput(),
                      [&](ArrayRef<int64_t> index, size_t d) {
                        return offsets[d] + index[d] * strides[d];
                      });
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  RankedTensorType type = getType();
  if (!fitsFoldLimit(type, /*splat=*/false))
    return {};
  SmallVector<Elements> inputs;
  for (Attribute attr : adaptor.getInputs()) {
    std::optional<Elements> elements = Elements::read(attr);
    if (!elements)
      return {};
    inputs.push_back(std::move(*elements));
  }
  // Result element -> (input, linear index in that input).
  int64_t axis = getAxis();
  SmallVector<int64_t> axisStart;
  int64_t start = 0;
  for (Value input : getInputs()) {
    axisStart.push_back(start);
    start += cast<RankedTensorType>(input.getType()).getDimSize(axis);
  }
  SmallVector<std::pair<int64_t, int64_t>> sources;
  SmallVector<int64_t> index;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    delinearize(i, type.getShape(), index);
    int64_t which = llvm::upper_bound(axisStart, index[axis]) - axisStart.begin() - 1;
    // upper_bound skips inputs that are empty along the axis.
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(getInputs()[which].getType()).getShape();
    index[axis] -= axisStart[which];
    SmallVector<int64_t> strides = rowMajorStrides(shape);
    int64_t linear = 0;
    for (auto [d, stride] : llvm::enumerate(strides))
      linear += index[d] * stride;
    sources.push_back({which, linear});
  }
  if (inputs.front().isFloat())
    return buildElements(type, sources.size(), [&](int64_t i) {
      return std::optional<APFloat>(
          inputs[sources[i].first].floatAt(sources[i].second));
    });
  return buildElements(type, sources.size(), [&](int64_t i) {
    return std::optional<APInt>(
        inputs[sources[i].first].intAt(sources[i].second));
  });
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  std::optional<Elements> indices = Elements::read(adaptor.getIndices());
  if (!indices)
    return {};
  RankedTensorType dataType = getData().getType();
  int64_t axis = getAxis(), extent = dataType.getDimSize(axis);
  int64_t indicesRank = getIndices().getType().getRank();
  // Negative indices count from the end; out of range stays unfolded.
  SmallVector<int64_t> positions;
  for (int64_t i = 0, e = indices->splat ? 1 : (int64_t)indices->ints.size();
       i < e; ++i) {
    int64_t position = indices->intAt(i).getSExtValue();
    if (position < 0)
      position += extent;
    if (position < 0 || position >= extent)
      return {};
    positions.push_back(position);
  }
  return foldMovement(*this, adaptor.getData(),
                      [&](ArrayRef<int64_t> index, size_t d) -> int64_t {
                        if ((int64_t)d < axis)
                          return index[d];
                        if ((int64_t)d > axis)
                          return index[d - 1 + indicesRank];
                        if (indices->splat)
                          return positions[0];
                        ArrayRef<int64_t> shape =
                            getIndices().getType().getShape();
                        int64_t linear = 0;
                        for (int64_t k = 0; k < indicesRank; ++k)
                          linear = linear * shape[k] + index[axis + k];
                        return positions[linear];
                      });
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {
enum class ReduceKind { Sum, Mean, Max, Min };
} // namespace

/// Folds a reduction of a constant; elements combine in row-major order.
static OpFoldResult foldReduce(Operation *op, Attribute inputAttr,
                               ArrayRef<int64_t> axes, ReduceKind kind) {
  if (axes.empty() && op->getOperand(0).getType() == resultType(op))
    return op->getOperand(0);
  std::optional<Elements> input = Elements::read(inputAttr);
  RankedTensorType type = resultType(op);
  if (!input || !fitsFoldLimit(type, /*splat=*/false))
    return {};
  ArrayRef<int64_t> inputShape =
      cast<RankedTensorType>(op->getOperand(0).getType()).getShape();
  // The result in keepdims form has the same row-major order either way.
  SmallVector<int64_t> kept(inputShape);
  int64_t reduced = 1;
  for (int64_t axis : axes) {
    reduced *= kept[axis];
    kept[axis] = 1;
  }
  if (reduced == 0 && (kind == ReduceKind::Max || kind == ReduceKind::Min))
    return {};
  SmallVector<int64_t> keptStrides = rowMajorStrides(kept);
  int64_t inputCount = 1;
  for (int64_t dim : inputShape)
    inputCount *= dim;
  // A huge splat would cost a long loop for one number; leave it.
  if (inputCount > 16 * kMaxFoldedElements)
    return {};
  SmallVector<SmallVector<int64_t>> members(type.getNumElements());
  SmallVector<int64_t> index;
  for (int64_t i = 0; i < inputCount; ++i) {
    delinearize(i, inputShape, index);
    int64_t target = 0;
    for (auto [d, stride] : llvm::enumerate(keptStrides))
      target += (kept[d] == 1 ? 0 : index[d]) * stride;
    members[target].push_back(i);
  }
  if (input->isFloat()) {
    const llvm::fltSemantics &semantics =
        cast<FloatType>(input->elementType).getFloatSemantics();
    return buildElements(type, members.size(), [&](int64_t r) {
      APFloat acc = kind == ReduceKind::Sum || kind == ReduceKind::Mean
                        ? APFloat::getZero(semantics)
                        : input->floatAt(members[r].front());
      for (int64_t i : members[r]) {
        const APFloat &value = input->floatAt(i);
        if (kind == ReduceKind::Max)
          acc = llvm::maximum(acc, value);
        else if (kind == ReduceKind::Min)
          acc = llvm::minimum(acc, value);
        else
          acc = acc + value;
      }
      if (kind == ReduceKind::Mean) {
        APFloat count(semantics);
        count.convertFromAPInt(APInt(64, reduced), false,
                               APFloat::rmNearestTiesToEven);
        acc = acc / count;
      }
      return std::optional<APFloat>(acc);
    });
  }
  unsigned width = input->elementType.getIntOrFloatBitWidth();
  return buildElements(type, members.size(), [&](int64_t r) {
    APInt acc = kind == ReduceKind::Sum || kind == ReduceKind::Mean
                    ? APInt(width, 0)
                    : input->intAt(members[r].front());
    for (int64_t i : members[r]) {
      const APInt &value = input->intAt(i);
      if (kind == ReduceKind::Max)
        acc = lessThan(acc, value) ? value : acc;
      else if (kind == ReduceKind::Min)
        acc = lessThan(value, acc) ? value : acc;
      else
        acc += value;
    }
    if (kind == ReduceKind::Mean) {
      if (width == 1 || reduced == 0)
        return std::optional<APInt>();
      acc = acc.sdiv(APInt(width, reduced));
    }
    return std::optional<APInt>(acc);
  });
}

OpFoldResult ReduceSumOp::fold(FoldAdaptor adaptor) {
  return foldReduce(*this, adaptor.getInput(), getAxes(), ReduceKind::Sum);
}
OpFoldResult ReduceMeanOp::fold(FoldAdaptor adaptor) {
  return foldReduce(*this, adaptor.getInput(), getAxes(), ReduceKind::Mean);
}
OpFoldResult ReduceMaxOp::fold(FoldAdaptor adaptor) {
  return foldReduce(*this, adaptor.getInput(), getAxes(), ReduceKind::Max);
}
OpFoldResult ReduceMinOp::fold(FoldAdaptor adaptor) {
  return foldReduce(*this, adaptor.getInput(), getAxes(), ReduceKind::Min);
}

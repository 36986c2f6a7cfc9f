//===- Generator.cpp - ONNX Constant, ConstantOfShape, Range --------------===//
//
// All three become attn.constant: their operands must be constants, which
// they are once input shapes are bound and shape arithmetic has folded.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxNode.h"
#include "frontends/onnx/ShapeExprs.h"
#include "frontends/onnx/Registry.h"
#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

/// Range and ConstantOfShape refuse results larger than this.
static constexpr int64_t kMaxGeneratedElements = int64_t(1) << 24;

static LogicalResult convertConstant(OnnxNode &node) {
  OpBuilder &b = node.builder();
  if (node.hasAttr("value")) {
    FailureOr<ElementsAttr> value = node.getTensor("value");
    if (failed(value))
      return failure();
    return node.setOutput(0, node.constant(*value));
  }
  if (node.hasAttr("value_float"))
    return node.setOutput(
        0, node.scalar(b.getF32Type(), node.getFloat("value_float", 0)));
  if (node.hasAttr("value_int"))
    return node.setOutput(
        0, node.scalar(b.getI64Type(), node.getInt("value_int", 0)));
  if (std::optional<SmallVector<int64_t>> ints = node.getInts("value_ints"))
    return node.setOutput(0, node.i64Vector(*ints));
  if (std::optional<SmallVector<float>> floats = node.getFloats("value_floats")) {
    auto type = RankedTensorType::get({(int64_t)floats->size()}, b.getF32Type());
    return node.setOutput(
        0, node.constant(DenseElementsAttr::get(type, ArrayRef<float>(*floats))));
  }
  return node.emitError() << "expected a value, value_float(s) or value_int(s) "
                             "attribute (sparse and string constants are not "
                             "supported)";
}

/// The elements of input `i` when it is shape arithmetic on run-time dims
/// (attnc compile --max-shape), else nullopt.
static std::optional<SmallVector<AffineExpr>> runTimeInput(OnnxNode &node, unsigned i) {
  const ShapeExprs *exprs = node.shapeExprs();
  if (!exprs || !node.hasInput(i) || !exprs->isRunTimeValue(node.input(i)))
    return std::nullopt;
  return exprs->elementsOf(node.input(i));
}

/// A constant built at `bounds` for each run-time dim of `shape`, then cut
/// to the run-time counts: ConstantOfShape and Range of run-time sizes.
static LogicalResult boundedThenCut(OnnxNode &node, ArrayRef<AffineExpr> shape,
                                    function_ref<DenseElementsAttr(ArrayRef<int64_t>)> build) {
  SmallVector<int64_t> bounds;
  SmallVector<std::optional<AffineExpr>> counts;
  for (AffineExpr dim : shape) {
    std::optional<int64_t> bound = node.shapeExprs()->upperBound(dim);
    if (!bound || *bound < 0)
      return node.emitError() << "cannot bound a size computed from run-time dims";
    bounds.push_back(*bound);
    counts.push_back(isa<AffineConstantExpr>(dim) ? std::nullopt : std::optional(dim));
  }
  std::optional<int64_t> count = elementCount(bounds);
  if (!count || *count > kMaxGeneratedElements)
    return node.emitError() << "shape " << formatShape(bounds) << " at the bounds has more than "
                            << kMaxGeneratedElements << " elements";
  Value full = node.constant(build(bounds));
  return node.setOutput(0, node.cutToRunTimeCounts(full, SmallVector<int64_t>(bounds.size(), 0),
                                                   counts));
}

static DenseElementsAttr fillOf(OnnxNode &node, ArrayRef<int64_t> shape, Attribute fill) {
  return DenseElementsAttr::get(RankedTensorType::get(shape, cast<TypedAttr>(fill).getType()),
                                fill);
}

static FailureOr<Attribute> constantOfShapeFill(OnnxNode &node) {
  // The fill value defaults to a float 0.
  Attribute fill = node.builder().getF32FloatAttr(0.0f);
  if (node.hasAttr("value")) {
    FailureOr<ElementsAttr> value = node.getTensor("value");
    if (failed(value))
      return failure();
    auto dense = dyn_cast<DenseElementsAttr>(*value);
    if (!dense || dense.getNumElements() != 1)
      return node.emitError() << "expected a one-element value, found "
                              << value->getType();
    fill = dense.getSplatValue<Attribute>();
  }
  return fill;
}

static LogicalResult convertConstantOfShape(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  if (std::optional<SmallVector<AffineExpr>> shape = runTimeInput(node, 0)) {
    FailureOr<Attribute> fill = constantOfShapeFill(node);
    if (failed(fill))
      return failure();
    return boundedThenCut(node, *shape, [&](ArrayRef<int64_t> bounds) {
      return fillOf(node, bounds, *fill);
    });
  }
  FailureOr<SmallVector<int64_t>> shape = node.constantInts(0, "shape");
  if (failed(shape))
    return failure();
  std::optional<int64_t> count = elementCount(*shape);
  if (!count)
    return node.emitError() << "expected a non-negative shape, found "
                            << formatShape(*shape);
  if (*count > kMaxGeneratedElements)
    return node.emitError() << "shape " << formatShape(*shape)
                            << " has more than " << kMaxGeneratedElements
                            << " elements";
  FailureOr<Attribute> fill = constantOfShapeFill(node);
  if (failed(fill))
    return failure();
  return node.setOutput(0, node.constant(fillOf(node, *shape, *fill)));
}

/// start + i * delta for i in [0, count).
static DenseElementsAttr rangeValues(Type element, double start, double delta, int64_t count) {
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < count; ++i) {
    double value = start + (double)i * delta;
    if (isa<FloatType>(element))
      values.push_back(FloatAttr::get(element, value));
    else
      values.push_back(IntegerAttr::get(element, (int64_t)value));
  }
  return DenseElementsAttr::get(RankedTensorType::get({count}, element), values);
}

/// Range(start, limit, 1) with a run-time start or limit (positions
/// past .. past + seq): start + [0, limit - start), the count cut from a
/// range at its bound (OnnxNode::runTimeRange).
static LogicalResult runTimeRange(OnnxNode &node, ArrayRef<AffineExpr> start,
                                  ArrayRef<AffineExpr> limit) {
  FailureOr<double> delta = node.constantScalar(2, "delta");
  if (failed(delta))
    return failure();
  if (*delta != 1 || start.size() != 1 || limit.size() != 1)
    return node.emitError() << "a Range with run-time bounds needs a delta of 1";
  return node.setOutput(0, node.runTimeRange(start[0], limit[0] - start[0],
                                             node.inputType(0).getElementType()));
}

/// The elements of input `i` as affine expressions: run-time shape
/// arithmetic or a whole-number constant.
static std::optional<SmallVector<AffineExpr>> wholeElements(OnnxNode &node, unsigned i) {
  if (std::optional<SmallVector<AffineExpr>> runTime = runTimeInput(node, i))
    return runTime;
  FailureOr<double> value = node.constantScalar(i, i == 0 ? "start" : "limit");
  if (failed(value))
    return std::nullopt;
  if (*value != std::floor(*value)) {
    node.emitError() << "a Range with run-time bounds needs whole-number bounds";
    return std::nullopt;
  }
  return SmallVector<AffineExpr>{getAffineConstantExpr((int64_t)*value, node.context())};
}

// Range: start + i * delta for i in [0, max(ceil((limit - start) / delta), 0)).
static LogicalResult convertRange(OnnxNode &node) {
  if (failed(node.requireInputs(3)))
    return failure();
  if (runTimeInput(node, 0) || runTimeInput(node, 1)) {
    std::optional<SmallVector<AffineExpr>> start = wholeElements(node, 0);
    std::optional<SmallVector<AffineExpr>> limit = wholeElements(node, 1);
    if (!start || !limit)
      return failure();
    return runTimeRange(node, *start, *limit);
  }
  FailureOr<double> start = node.constantScalar(0, "start");
  FailureOr<double> limit = node.constantScalar(1, "limit");
  FailureOr<double> delta = node.constantScalar(2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if (*delta == 0)
    return node.emitError() << "expected a non-zero delta";
  Type element = node.inputType(0).getElementType();
  double steps = std::ceil((*limit - *start) / *delta);
  int64_t count = steps > 0 ? (int64_t)steps : 0;
  if (count > kMaxGeneratedElements)
    return node.emitError() << "range of " << count << " elements is larger "
                            << "than " << kMaxGeneratedElements;
  return node.setOutput(0, node.constant(rangeValues(element, *start, *delta, count)));
}

void mlir::attn::onnx_frontend::registerGeneratorHandlers(
    HandlerRegistry &registry) {
  for (int64_t since : {1, 9, 11, 12, 13})
    registry.add("Constant", since, convertConstant);
  registry.add("ConstantOfShape", 9, convertConstantOfShape);
  registry.add("Range", 11, convertRange);
}

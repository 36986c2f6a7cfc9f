//===- Generator.cpp - ONNX Constant, ConstantOfShape, Range --------------===//
//
// All three become attn.constant: their operands must be constants, which
// they are once input shapes are bound and shape arithmetic has folded.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxNode.h"
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

static LogicalResult convertConstantOfShape(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
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
  auto type = RankedTensorType::get(*shape, cast<TypedAttr>(fill).getType());
  return node.setOutput(0, node.constant(DenseElementsAttr::get(type, fill)));
}

// Range: start + i * delta for i in [0, max(ceil((limit - start) / delta), 0)).
static LogicalResult convertRange(OnnxNode &node) {
  if (failed(node.requireInputs(3)))
    return failure();
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
  auto type = RankedTensorType::get({count}, element);
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < count; ++i) {
    double value = *start + (double)i * *delta;
    if (isa<FloatType>(element))
      values.push_back(FloatAttr::get(element, value));
    else
      values.push_back(IntegerAttr::get(element, (int64_t)value));
  }
  return node.setOutput(0, node.constant(DenseElementsAttr::get(type, values)));
}

void mlir::attn::onnx_frontend::registerGeneratorHandlers(
    HandlerRegistry &registry) {
  for (int64_t since : {1, 9, 11, 12, 13})
    registry.add("Constant", since, convertConstant);
  registry.add("ConstantOfShape", 9, convertConstantOfShape);
  registry.add("Range", 11, convertRange);
}

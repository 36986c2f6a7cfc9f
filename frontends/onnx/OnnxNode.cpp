//===- OnnxNode.cpp - What an op handler sees of one ONNX node ------------===//

#include "frontends/onnx/OnnxNode.h"
#include "frontends/onnx/ShapeExprs.h"
#include "dialects/attn/AttnFolders.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

OnnxNode::OnnxNode(const onnx::NodeProto &proto, int64_t opset, Location loc,
                   OpBuilder &builder, SmallVector<Value> inputs,
                   SmallVector<bool> outputUsed, StringRef modelDir)
    : proto(proto), opsetVersion(opset), location(loc), opBuilder(builder),
      inputs(std::move(inputs)), outputUsed(std::move(outputUsed)),
      outputs(proto.output_size()), modelDir(modelDir) {}

StringRef OnnxNode::opType() const { return proto.op_type(); }

StringRef OnnxNode::inputName(unsigned i) const {
  return i < (unsigned)proto.input_size() ? StringRef(proto.input(i))
                                          : StringRef();
}

LogicalResult OnnxNode::requireInputs(unsigned count) {
  for (unsigned i = 0; i < count; ++i)
    if (!hasInput(i))
      return emitError() << "expected at least " << count
                         << " inputs, input " << i << " is missing";
  return success();
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

const onnx::AttributeProto *OnnxNode::findAttr(StringRef name) const {
  for (const onnx::AttributeProto &attr : proto.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t OnnxNode::getInt(StringRef name, int64_t fallback) const {
  const onnx::AttributeProto *attr = findAttr(name);
  return attr && attr->type() == onnx::AttributeProto::INT ? attr->i()
                                                            : fallback;
}

float OnnxNode::getFloat(StringRef name, float fallback) const {
  const onnx::AttributeProto *attr = findAttr(name);
  return attr && attr->type() == onnx::AttributeProto::FLOAT ? attr->f()
                                                              : fallback;
}

std::string OnnxNode::getString(StringRef name, StringRef fallback) const {
  const onnx::AttributeProto *attr = findAttr(name);
  return attr && attr->type() == onnx::AttributeProto::STRING
             ? attr->s()
             : std::string(fallback);
}

std::optional<SmallVector<int64_t>> OnnxNode::getInts(StringRef name) const {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr || attr->type() != onnx::AttributeProto::INTS)
    return std::nullopt;
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

std::optional<SmallVector<float>> OnnxNode::getFloats(StringRef name) const {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr || attr->type() != onnx::AttributeProto::FLOATS)
    return std::nullopt;
  return SmallVector<float>(attr->floats().begin(), attr->floats().end());
}

FailureOr<ElementsAttr> OnnxNode::getTensor(StringRef name) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr || attr->type() != onnx::AttributeProto::TENSOR) {
    emitError() << "expected a tensor attribute '" << name << "'";
    return failure();
  }
  return convertTensor(attr->t(), context(), modelDir, location,
                       proto.output_size() ? StringRef(proto.output(0))
                                           : StringRef());
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

FailureOr<DenseElementsAttr> OnnxNode::constantInput(unsigned i,
                                                     StringRef role) {
  if (!hasInput(i)) {
    emitError() << "expected input " << i << " ('" << role << "')";
    return failure();
  }
  Attribute value;
  if (matchPattern(input(i), m_Constant(&value)))
    if (DenseElementsAttr dense = asDenseElements(value))
      return dense;
  // A graph input whose value is known (a test data set) is specialized
  // here, and only here: its other uses stay run-time inputs.
  if (knownInputValues && isa<BlockArgument>(input(i))) {
    auto known = knownInputValues->find(inputName(i));
    if (known != knownInputValues->end() && known->second.getType() == inputType(i))
      return known->second;
  }
  emitError() << "expected input " << i << " ('" << role << "', tensor '"
              << inputName(i)
              << "') to be a constant, found a value computed at run time";
  return failure();
}

FailureOr<SmallVector<int64_t>> OnnxNode::constantInts(unsigned i,
                                                       StringRef role) {
  FailureOr<DenseElementsAttr> value = constantInput(i, role);
  if (failed(value))
    return failure();
  if (!value->getElementType().isSignlessInteger() ||
      value->getElementType().isInteger(1)) {
    emitError() << "expected input " << i << " ('" << role
                << "') to hold integers, found " << value->getType();
    return failure();
  }
  SmallVector<int64_t> result;
  for (const APInt &element : value->getValues<APInt>())
    result.push_back(element.getSExtValue());
  return result;
}

FailureOr<double> OnnxNode::constantScalar(unsigned i, StringRef role) {
  FailureOr<DenseElementsAttr> value = constantInput(i, role);
  if (failed(value))
    return failure();
  if (value->getNumElements() != 1) {
    emitError() << "expected input " << i << " ('" << role
                << "') to be a scalar, found " << value->getType();
    return failure();
  }
  Type element = value->getElementType();
  if (isa<FloatType>(element))
    return (*value->getValues<APFloat>().begin()).convertToDouble();
  const APInt &integer = *value->getValues<APInt>().begin();
  return element.isInteger(1) || element.isUnsignedInteger() ? (double)integer.getZExtValue()
                                                              : (double)integer.getSExtValue();
}

Value OnnxNode::constant(ElementsAttr value) {
  return ConstantOp::create(opBuilder, location, value);
}

Value OnnxNode::scalar(Type elementType, double value,
                       ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, elementType);
  Attribute element;
  if (isa<FloatType>(elementType))
    element = FloatAttr::get(elementType, value);
  else
    element = IntegerAttr::get(elementType, (int64_t)value);
  return constant(DenseElementsAttr::get(type, element));
}

Value OnnxNode::i64Vector(ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({(int64_t)values.size()},
                                    opBuilder.getI64Type());
  return constant(DenseElementsAttr::get(type, values));
}

//===----------------------------------------------------------------------===//
// Building ops
//===----------------------------------------------------------------------===//

FailureOr<Value> OnnxNode::insertAndFold(OperationState &state) {
  Operation *op = opBuilder.create(state);
  if (failed(mlir::verify(op))) {
    op->erase();
    return failure();
  }
  SmallVector<Value, 1> folded;
  if (succeeded(opBuilder.tryFold(op, folded)) && !folded.empty()) {
    op->erase();
    return folded.front();
  }
  return op->getResult(0);
}

FailureOr<Value> OnnxNode::runTimeRange(AffineExpr start, AffineExpr count, Type elementType) {
  std::optional<int64_t> bound = shapeExprTable->upperBound(count);
  if (!bound || *bound < 0)
    return emitError() << "cannot bound the length of a range computed from run-time dims";
  SmallVector<int64_t> steps = llvm::to_vector(llvm::seq<int64_t>(0, *bound));
  Value range = i64Vector(steps);
  if (!isa<AffineConstantExpr>(count)) {
    FailureOr<Value> cut = cutToRunTimeCounts(range, {0}, {count});
    if (failed(cut))
      return failure();
    range = *cut;
  }
  if (auto constant = dyn_cast<AffineConstantExpr>(start); !constant || constant.getValue() != 0) {
    Value index = shapeExprTable->materialize(opBuilder, location, start);
    Value element = arith::IndexCastOp::create(opBuilder, location, opBuilder.getI64Type(), index);
    Value first = tensor::FromElementsOp::create(
        opBuilder, location, RankedTensorType::get({1}, opBuilder.getI64Type()), element);
    FailureOr<Value> shifted = create<AddOp>(range, first);
    if (failed(shifted))
      return failure();
    range = *shifted;
  }
  return castTo(range, elementType);
}

FailureOr<Value> OnnxNode::castTo(Value value, Type elementType) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType() == elementType)
    return value;
  OperationState state(location, CastOp::getOperationName());
  CastOp::build(opBuilder, state, type.clone(elementType), value);
  return insertAndFold(state);
}

FailureOr<int64_t> OnnxNode::normalizeAxis(int64_t axis, int64_t rank,
                                           StringRef what) {
  if (axis < -rank || axis >= rank) {
    emitError() << "expected " << what << " in [" << -rank << ", " << rank
                << ") for an input of rank " << rank << ", found " << axis;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<int64_t>>
OnnxNode::normalizeAxes(ArrayRef<int64_t> axes, int64_t rank, StringRef what) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    FailureOr<int64_t> normalized = normalizeAxis(axis, rank, what);
    if (failed(normalized))
      return failure();
    if (llvm::is_contained(result, *normalized)) {
      emitError() << "expected unique " << what << ", found " << formatShape(axes);
      return failure();
    }
    result.push_back(*normalized);
  }
  return result;
}

FailureOr<Value>
OnnxNode::cutToRunTimeCounts(Value full, ArrayRef<int64_t> offsets,
                             ArrayRef<std::optional<AffineExpr>> counts) {
  auto type = cast<RankedTensorType>(full.getType());
  SmallVector<int64_t> sizes(type.getShape()), strides(type.getRank(), 1);
  SmallVector<Value> dynamicSizes;
  for (auto [d, count] : llvm::enumerate(counts)) {
    if (!count)
      continue;
    sizes[d] = ShapedType::kDynamic;
    dynamicSizes.push_back(shapeExprTable->materialize(opBuilder, location, *count));
  }
  return create<SliceOp>(full, dynamicSizes, offsets, sizes, strides);
}

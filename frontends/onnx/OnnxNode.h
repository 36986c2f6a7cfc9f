//===- OnnxNode.h - What an op handler sees of one ONNX node ----*- C++ -*-===//
//
// A handler reads the node's inputs (already attn values), attributes and
// constant operands through OnnxNode, builds attn ops with create<OpTy>()
// (type inference + verification + folding, failures reported instead of
// aborting) and sets the node's outputs. It never touches the protobuf.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_ONNX_ONNXNODE_H
#define ATTNC_FRONTENDS_ONNX_ONNXNODE_H

#include "dialects/attn/AttnOps.h"
#include "frontends/onnx/Tensors.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace onnx {
class NodeProto;
class AttributeProto;
} // namespace onnx

namespace mlir::attn::onnx_frontend {

class ShapeExprs;

class OnnxNode {
public:
  OnnxNode(const onnx::NodeProto &proto, int64_t opset, Location loc,
           OpBuilder &builder, SmallVector<Value> inputs,
           SmallVector<bool> outputUsed, StringRef modelDir);

  StringRef opType() const;
  /// Values of graph inputs that constantInput() may fold in where an op
  /// needs a constant (ImportOptions::inputValues).
  void setKnownInputValues(const llvm::StringMap<DenseElementsAttr> *values) {
    knownInputValues = values;
  }
  /// Shape arithmetic on run-time dims seen so far (ShapeExprs.h).
  void setShapeExprs(const ShapeExprs *exprs) { shapeExprTable = exprs; }
  const ShapeExprs *shapeExprs() const { return shapeExprTable; }
  int64_t opset() const { return opsetVersion; }
  Location loc() const { return location; }
  OpBuilder &builder() { return opBuilder; }
  MLIRContext *context() { return opBuilder.getContext(); }

  //===--------------------------------------------------------------------===//
  // Inputs and outputs
  //===--------------------------------------------------------------------===//

  /// Number of inputs written on the node, including empty optional ones.
  unsigned numInputs() const { return inputs.size(); }
  /// Whether input `i` is given (present and not the empty name).
  bool hasInput(unsigned i) const { return i < inputs.size() && inputs[i]; }
  /// Input `i`, or null when absent.
  Value input(unsigned i) const { return hasInput(i) ? inputs[i] : Value(); }
  RankedTensorType inputType(unsigned i) const {
    return cast<RankedTensorType>(input(i).getType());
  }
  /// Fails with an error unless inputs [0, count) are all given.
  LogicalResult requireInputs(unsigned count);
  /// The tensor name of input `i` for messages.
  StringRef inputName(unsigned i) const;

  unsigned numOutputs() const { return outputs.size(); }
  /// Whether output `i` is read by another node or is a graph output.
  bool isOutputUsed(unsigned i) const {
    return i < outputUsed.size() && outputUsed[i];
  }
  /// Sets output `i`; passes a failed value's failure through so handlers
  /// can `return node.setOutput(0, node.create<AddOp>(a, b));`.
  LogicalResult setOutput(unsigned i, FailureOr<Value> value) {
    if (failed(value))
      return failure();
    if (i < outputs.size())
      outputs[i] = *value;
    return success();
  }
  Value output(unsigned i) const { return outputs[i]; }

  //===--------------------------------------------------------------------===//
  // Attributes
  //===--------------------------------------------------------------------===//

  bool hasAttr(StringRef name) const { return findAttr(name) != nullptr; }
  int64_t getInt(StringRef name, int64_t fallback) const;
  float getFloat(StringRef name, float fallback) const;
  std::string getString(StringRef name, StringRef fallback) const;
  /// The ints of a list attribute; nullopt when absent.
  std::optional<SmallVector<int64_t>> getInts(StringRef name) const;
  std::optional<SmallVector<float>> getFloats(StringRef name) const;
  /// A tensor attribute as a constant value (dense_resource when large), or
  /// failure after an error.
  FailureOr<ElementsAttr> getTensor(StringRef name);

  //===--------------------------------------------------------------------===//
  // Diagnostics
  //===--------------------------------------------------------------------===//

  /// An error at the node; the importer prefixes the node's name, op type,
  /// domain and opset, so the message says only what is wrong.
  InFlightDiagnostic emitError() const { return mlir::emitError(location); }

  //===--------------------------------------------------------------------===//
  // Constants
  //===--------------------------------------------------------------------===//

  /// The value of input `i` when it folds to a constant, else an error that
  /// names the input by `role` ("shape") and tensor name.
  FailureOr<DenseElementsAttr> constantInput(unsigned i, StringRef role);
  /// Same, read as a list of integers (for shapes, axes, sizes).
  FailureOr<SmallVector<int64_t>> constantInts(unsigned i, StringRef role);
  /// Same, one float or integer scalar (Clip bounds, Range operands).
  FailureOr<double> constantScalar(unsigned i, StringRef role);

  /// attn.constant holding `value`.
  Value constant(ElementsAttr value);
  /// A rank-0 (or `shape`-shaped splat) constant of `elementType`.
  Value scalar(Type elementType, double value, ArrayRef<int64_t> shape = {});
  /// A 1-D i64 constant.
  Value i64Vector(ArrayRef<int64_t> values);

  //===--------------------------------------------------------------------===//
  // Building ops
  //===--------------------------------------------------------------------===//

  /// Creates OpTy (any attn op with inferred result type) from its build
  /// arguments after the result type, and folds it. Inference and verifier
  /// failures come back as an error at the node instead of an abort.
  template <typename OpTy, typename... Args>
  FailureOr<Value> create(Args &&...args) {
    OperationState state(location, OpTy::getOperationName());
    OpTy::build(opBuilder, state, Type(), std::forward<Args>(args)...);
    state.types.clear();
    SmallVector<Type, 1> inferred;
    if (failed(OpTy::inferReturnTypes(
            context(), location, state.operands,
            state.attributes.getDictionary(context()),
            state.getRawProperties(), state.regions, inferred)))
      return failure();
    state.addTypes(inferred);
    return insertAndFold(state);
  }

  /// `full` cut along each dim `d` with `counts[d]` to that run-time count
  /// from `offsets[d]` (an attn.slice with dynamic sizes computed from the
  /// run-time dims, ShapeExprs::materialize); other dims are kept whole.
  FailureOr<Value> cutToRunTimeCounts(Value full, ArrayRef<int64_t> offsets,
                                      ArrayRef<std::optional<AffineExpr>> counts);

  /// `start + [0, 1, ..., count)` as a 1-D tensor of `elementType`, both
  /// computed from run-time dims: the range up to count's bound, cut to the
  /// count at run time, plus the start (a Range with a run-time start, the
  /// rows a Slice with a run-time start reads). Fails, naming the node,
  /// when the count has no bound.
  FailureOr<Value> runTimeRange(AffineExpr start, AffineExpr count, Type elementType);

  /// `value` converted to `elementType` with attn.cast (folded when
  /// constant; `value` itself when the type already matches).
  FailureOr<Value> castTo(Value value, Type elementType);

  /// Normalizes an ONNX axis in [-rank, rank) to [0, rank), or fails with
  /// an error naming `what`.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                   StringRef what = "axis");
  /// Same for a list; `unique` rejects repeats. Keeps the given order.
  FailureOr<SmallVector<int64_t>> normalizeAxes(ArrayRef<int64_t> axes,
                                                int64_t rank,
                                                StringRef what = "axes");

private:
  const onnx::AttributeProto *findAttr(StringRef name) const;
  FailureOr<Value> insertAndFold(OperationState &state);

  const onnx::NodeProto &proto;
  int64_t opsetVersion;
  Location location;
  OpBuilder &opBuilder;
  SmallVector<Value> inputs;
  SmallVector<bool> outputUsed;
  SmallVector<Value> outputs;
  std::string modelDir;
  const llvm::StringMap<DenseElementsAttr> *knownInputValues = nullptr;
  const ShapeExprs *shapeExprTable = nullptr;
};

/// Handler for ONNX ops that are exactly one attn op over their first
/// `NumInputs` inputs (Add, Relu, Equal, ...).
template <typename OpTy, unsigned NumInputs>
LogicalResult convertOneToOne(OnnxNode &node) {
  if (failed(node.requireInputs(NumInputs)))
    return failure();
  if constexpr (NumInputs == 1)
    return node.setOutput(0, node.create<OpTy>(node.input(0)));
  else
    return node.setOutput(0, node.create<OpTy>(node.input(0), node.input(1)));
}

} // namespace mlir::attn::onnx_frontend

#endif // ATTNC_FRONTENDS_ONNX_ONNXNODE_H

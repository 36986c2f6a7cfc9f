//===- Math.cpp - ONNX elementwise math, MatMul, Gemm, CumSum -------------===//
//
// Handlers registered at 13 have had their current semantics since opset 13
// or earlier (13 is the oldest opset attnc imports).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxNode.h"
#include "frontends/onnx/Registry.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

/// Max, Min, Sum: a left fold of the binary op over all inputs.
template <typename OpTy>
static LogicalResult convertVariadic(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  Value result = node.input(0);
  for (unsigned i = 1; i < node.numInputs(); ++i) {
    FailureOr<Value> next = node.create<OpTy>(result, node.input(i));
    if (failed(next))
      return failure();
    result = *next;
  }
  return node.setOutput(0, result);
}

// Pow's exponent may have another type than its base. attn.pow is float
// only, so an integer base is raised in f64 and cast back (exact for the
// small integers shape arithmetic uses).
static LogicalResult convertPow(OnnxNode &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  Type baseType = node.inputType(0).getElementType();
  Type computeType =
      isa<FloatType>(baseType) ? baseType : node.builder().getF64Type();
  FailureOr<Value> base = node.castTo(node.input(0), computeType);
  FailureOr<Value> exponent = node.castTo(node.input(1), computeType);
  if (failed(base) || failed(exponent))
    return failure();
  FailureOr<Value> result = node.create<PowOp>(*base, *exponent);
  if (failed(result))
    return failure();
  return node.setOutput(0, node.castTo(*result, baseType));
}

// Clip-13: min and max are optional inputs that must fold to constants.
static LogicalResult convertClip(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  FloatAttr bounds[2];
  StringRef roles[2] = {"min", "max"};
  for (unsigned i = 1; i <= 2; ++i) {
    if (!node.hasInput(i))
      continue;
    FailureOr<double> bound = node.constantScalar(i, roles[i - 1]);
    if (failed(bound))
      return failure();
    bounds[i - 1] = node.builder().getF64FloatAttr(*bound);
  }
  return node.setOutput(
      0, node.create<ClipOp>(node.input(0), bounds[0], bounds[1]));
}

// Clip-6: the bounds are attributes (defaults: the float range).
static LogicalResult convertClipAttr(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  float lowest = node.getFloat("min", -std::numeric_limits<float>::max());
  float highest = node.getFloat("max", std::numeric_limits<float>::max());
  return node.setOutput(0, node.create<ClipOp>(node.input(0),
                                               node.builder().getF64FloatAttr(lowest),
                                               node.builder().getF64FloatAttr(highest)));
}

// Gemm: alpha * A' @ B' + beta * C. With alpha == 1, beta * C is
// attn.linear's bias; otherwise the product is scaled before the add.
static LogicalResult convertGemm(OnnxNode &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  float alpha = node.getFloat("alpha", 1.0f);
  float beta = node.getFloat("beta", 1.0f);
  Type element = node.inputType(0).getElementType();
  Value a = node.input(0);
  if (node.getInt("transA", 0)) {
    FailureOr<Value> transposed =
        node.create<TransposeOp>(a, ArrayRef<int64_t>{1, 0});
    if (failed(transposed))
      return failure();
    a = *transposed;
  }
  bool transposeWeight = node.getInt("transB", 0) != 0;
  Value bias = node.input(2);
  if (bias && beta != 1.0f) {
    FailureOr<Value> scaled =
        node.create<MulOp>(bias, node.scalar(element, beta));
    if (failed(scaled))
      return failure();
    bias = *scaled;
  }
  if (alpha == 1.0f)
    return node.setOutput(0, node.create<LinearOp>(a, node.input(1), bias,
                                                   transposeWeight));
  FailureOr<Value> product =
      node.create<LinearOp>(a, node.input(1), Value(), transposeWeight);
  if (failed(product))
    return failure();
  FailureOr<Value> scaled =
      node.create<MulOp>(*product, node.scalar(element, alpha));
  if (failed(scaled) || !bias)
    return node.setOutput(0, scaled);
  return node.setOutput(0, node.create<AddOp>(*scaled, bias));
}

// CumSum: the axis is a scalar input that must be constant.
static LogicalResult convertCumSum(OnnxNode &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  FailureOr<SmallVector<int64_t>> axis = node.constantInts(1, "axis");
  if (failed(axis))
    return failure();
  if (axis->size() != 1)
    return node.emitError() << "expected input 1 ('axis') to hold one value, "
                               "found "
                            << axis->size();
  FailureOr<int64_t> normalized =
      node.normalizeAxis(axis->front(), node.inputType(0).getRank());
  if (failed(normalized))
    return failure();
  return node.setOutput(
      0, node.create<CumSumOp>(node.input(0), *normalized,
                               node.getInt("exclusive", 0) != 0,
                               node.getInt("reverse", 0) != 0));
}

void mlir::attn::onnx_frontend::registerMathHandlers(HandlerRegistry &registry) {
  // Each op from the first version in effect at opset 7 whose inference
  // semantics the handler implements (numpy broadcasting from Add-7 and
  // Max/Min/Sum-8; the versions between only added element types).
  for (int64_t since : {7, 13, 14}) {
    registry.add("Add", since, convertOneToOne<AddOp, 2>);
    registry.add("Sub", since, convertOneToOne<SubOp, 2>);
    registry.add("Mul", since, convertOneToOne<MulOp, 2>);
    registry.add("Div", since, convertOneToOne<DivOp, 2>);
  }
  for (int64_t since : {7, 12, 13, 15})
    registry.add("Pow", since, convertPow);
  for (int64_t since : {6, 8, 12, 13}) {
    registry.add("Max", since, convertVariadic<MaxOp>);
    registry.add("Min", since, convertVariadic<MinOp>);
  }
  for (int64_t since : {6, 8, 13})
    registry.add("Sum", since, convertVariadic<AddOp>);
  for (int64_t since : {6, 13}) {
    registry.add("Sqrt", since, convertOneToOne<SqrtOp, 1>);
    registry.add("Reciprocal", since, convertOneToOne<ReciprocalOp, 1>);
    registry.add("Neg", since, convertOneToOne<NegOp, 1>);
    registry.add("Abs", since, convertOneToOne<AbsOp, 1>);
    registry.add("Exp", since, convertOneToOne<ExpOp, 1>);
    registry.add("Log", since, convertOneToOne<LogOp, 1>);
    registry.add("Tanh", since, convertOneToOne<TanhOp, 1>);
    registry.add("Sigmoid", since, convertOneToOne<SigmoidOp, 1>);
    registry.add("Relu", since, convertOneToOne<ReluOp, 1>);
    registry.add("Floor", since, convertOneToOne<FloorOp, 1>);
    registry.add("Ceil", since, convertOneToOne<CeilOp, 1>);
  }
  for (int64_t since : {9, 13})
    registry.add("Erf", since, convertOneToOne<ErfOp, 1>);
  registry.add("Sin", 7, convertOneToOne<SinOp, 1>);
  registry.add("Cos", 7, convertOneToOne<CosOp, 1>);
  registry.add("Clip", 6, convertClipAttr);
  for (int64_t since : {11, 12, 13})
    registry.add("Clip", since, convertClip);
  for (int64_t since : {1, 9, 13})
    registry.add("MatMul", since, convertOneToOne<MatmulOp, 2>);
  for (int64_t since : {7, 9, 11, 13})
    registry.add("Gemm", since, convertGemm);
  for (int64_t since : {11, 14})
    registry.add("CumSum", since, convertCumSum);
}

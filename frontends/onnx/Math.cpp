//===- Math.cpp - ONNX elementwise math, MatMul, Gemm, CumSum -------------===//
//
// Handlers registered at 13 have had their current semantics since opset 13
// or earlier (13 is the oldest opset attnc imports).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxNode.h"
#include "frontends/onnx/Registry.h"

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
  registry.add("Add", 13, convertOneToOne<AddOp, 2>);
  registry.add("Sub", 13, convertOneToOne<SubOp, 2>);
  registry.add("Mul", 13, convertOneToOne<MulOp, 2>);
  registry.add("Div", 13, convertOneToOne<DivOp, 2>);
  registry.add("Pow", 13, convertPow);
  registry.add("Max", 13, convertVariadic<MaxOp>);
  registry.add("Min", 13, convertVariadic<MinOp>);
  registry.add("Sum", 13, convertVariadic<AddOp>);
  registry.add("Sqrt", 13, convertOneToOne<SqrtOp, 1>);
  registry.add("Reciprocal", 13, convertOneToOne<ReciprocalOp, 1>);
  registry.add("Neg", 13, convertOneToOne<NegOp, 1>);
  registry.add("Abs", 13, convertOneToOne<AbsOp, 1>);
  registry.add("Exp", 13, convertOneToOne<ExpOp, 1>);
  registry.add("Log", 13, convertOneToOne<LogOp, 1>);
  registry.add("Erf", 13, convertOneToOne<ErfOp, 1>);
  registry.add("Tanh", 13, convertOneToOne<TanhOp, 1>);
  registry.add("Sigmoid", 13, convertOneToOne<SigmoidOp, 1>);
  registry.add("Relu", 13, convertOneToOne<ReluOp, 1>);
  registry.add("Sin", 13, convertOneToOne<SinOp, 1>);
  registry.add("Cos", 13, convertOneToOne<CosOp, 1>);
  registry.add("Floor", 13, convertOneToOne<FloorOp, 1>);
  registry.add("Ceil", 13, convertOneToOne<CeilOp, 1>);
  registry.add("Clip", 13, convertClip);
  registry.add("MatMul", 13, convertOneToOne<MatmulOp, 2>);
  registry.add("Gemm", 13, convertGemm);
  registry.add("CumSum", 13, convertCumSum);
}

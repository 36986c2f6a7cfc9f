//===- NN.cpp - ONNX activations, normalizations, Conv, Dropout -----------===//
//
// Inference semantics throughout: Dropout is the identity and
// BatchNormalization uses the running statistics.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxNode.h"
#include "frontends/onnx/Registry.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

// Softmax-13 / LogSoftmax-13: one axis, no 2-D coercion.
template <typename OpTy>
static LogicalResult convertSoftmax(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getInt("axis", -1), node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return node.setOutput(0, node.create<OpTy>(node.input(0), *axis));
}

// Softmax-1/11 and LogSoftmax-1/11: the input is seen as a matrix, the
// dims before `axis` (default 1) as rows and the rest as one row each, and
// the op normalizes over those whole rows.
template <typename OpTy>
static LogicalResult convertSoftmaxCoerced(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  ArrayRef<int64_t> shape = node.inputType(0).getShape();
  int64_t rank = shape.size();
  FailureOr<int64_t> axis = node.normalizeAxis(node.getInt("axis", 1), rank);
  if (failed(axis))
    return failure();
  if (*axis == rank - 1)
    return node.setOutput(0, node.create<OpTy>(node.input(0), *axis));
  int64_t rows = 1, columns = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < *axis ? rows : columns) *= shape[d];
  FailureOr<Value> matrix =
      node.create<ReshapeOp>(node.input(0), ArrayRef<int64_t>{rows, columns});
  if (failed(matrix))
    return failure();
  FailureOr<Value> normalized = node.create<OpTy>(*matrix, int64_t(1));
  if (failed(normalized))
    return failure();
  return node.setOutput(0, node.create<ReshapeOp>(*normalized, shape));
}

static LogicalResult convertGelu(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  std::string approximate = node.getString("approximate", "none");
  std::optional<GeluApproximation> mode =
      symbolizeGeluApproximation(approximate);
  if (!mode)
    return node.emitError() << "expected approximate 'none' or 'tanh', found '"
                            << approximate << "'";
  return node.setOutput(0, node.create<GeluOp>(node.input(0), *mode));
}

/// LayerNormalization's optional Mean and InvStdDev outputs (training aids,
/// but graphs may return them): statistics over dims [axis, rank), kept as
/// unit dims.
static LogicalResult setLayerNormStatistics(OnnxNode &node, int64_t axis,
                                            float epsilon) {
  RankedTensorType type = node.inputType(0);
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(axis, type.getRank()));
  FailureOr<Value> mean = node.create<ReduceMeanOp>(node.input(0), axes, true);
  if (failed(node.setOutput(1, mean)))
    return failure();
  if (!node.isOutputUsed(2))
    return success();
  FailureOr<Value> centered = node.create<SubOp>(node.input(0), *mean);
  if (failed(centered))
    return failure();
  FailureOr<Value> squared = node.create<MulOp>(*centered, *centered);
  if (failed(squared))
    return failure();
  FailureOr<Value> variance = node.create<ReduceMeanOp>(*squared, axes, true);
  auto scalar = RankedTensorType::get({}, type.getElementType());
  FailureOr<Value> eps = node.create<ConstantOp>(DenseElementsAttr::get(
      scalar, FloatAttr::get(type.getElementType(), epsilon).getValue()));
  if (failed(variance) || failed(eps))
    return failure();
  FailureOr<Value> shifted = node.create<AddOp>(*variance, *eps);
  if (failed(shifted))
    return failure();
  FailureOr<Value> stddev = node.create<SqrtOp>(*shifted);
  if (failed(stddev))
    return failure();
  return node.setOutput(2, node.create<ReciprocalOp>(*stddev));
}

// LayerNormalization-17, with its Mean / InvStdDev outputs when read.
static LogicalResult convertLayerNorm(OnnxNode &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getInt("axis", -1), node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  float eps = node.getFloat("epsilon", 1e-5f);
  APFloat epsilon(eps);
  if ((node.isOutputUsed(1) || node.isOutputUsed(2)) &&
      failed(setLayerNormStatistics(node, *axis, eps)))
    return failure();
  return node.setOutput(
      0, node.create<LayerNormOp>(node.input(0), node.input(1), node.input(2),
                                  *axis, epsilon));
}

static LogicalResult convertRmsNorm(OnnxNode &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getInt("axis", -1), node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  APFloat epsilon(node.getFloat("epsilon", 1e-5f));
  return node.setOutput(0, node.create<RmsNormOp>(node.input(0), node.input(1),
                                                  *axis, epsilon));
}

// BatchNormalization (inference): (x - mean) / sqrt(var + eps) * scale + b,
// each [C] parameter reshaped to [C, 1, ...] so it broadcasts over NC...
// Constant parameters fold.
static LogicalResult convertBatchNorm(OnnxNode &node) {
  if (failed(node.requireInputs(5)))
    return failure();
  if (node.getInt("training_mode", 0) != 0)
    return node.emitError() << "training_mode = 1 is not supported";
  RankedTensorType type = node.inputType(0);
  if (type.getRank() < 2)
    return node.emitError() << "expected an input of rank >= 2, found rank "
                            << type.getRank();
  SmallVector<int64_t> paramShape(type.getRank() - 1, 1);
  paramShape[0] = type.getDimSize(1);
  SmallVector<Value, 4> params;
  for (unsigned i = 1; i <= 4; ++i) {
    FailureOr<Value> param = node.castTo(node.input(i), type.getElementType());
    if (failed(param))
      return failure();
    FailureOr<Value> reshaped = node.create<ReshapeOp>(*param, paramShape);
    if (failed(reshaped))
      return failure();
    params.push_back(*reshaped);
  }
  Value scale = params[0], bias = params[1], mean = params[2], var = params[3];
  Value epsilon =
      node.scalar(type.getElementType(), node.getFloat("epsilon", 1e-5f));
  FailureOr<Value> centered = node.create<SubOp>(node.input(0), mean);
  FailureOr<Value> variance = node.create<AddOp>(var, epsilon);
  if (failed(centered) || failed(variance))
    return failure();
  FailureOr<Value> deviation = node.create<SqrtOp>(*variance);
  if (failed(deviation))
    return failure();
  FailureOr<Value> normalized = node.create<DivOp>(*centered, *deviation);
  if (failed(normalized))
    return failure();
  FailureOr<Value> scaled = node.create<MulOp>(*normalized, scale);
  if (failed(scaled))
    return failure();
  return node.setOutput(0, node.create<AddOp>(*scaled, bias));
}

/// Begin/end pads for auto_pad SAME_UPPER / SAME_LOWER: the output keeps
/// ceil(in / stride) positions; an odd total puts the extra pad at the end
/// (UPPER) or the beginning (LOWER).
static void samePads(int64_t in, int64_t kernel, int64_t stride,
                     int64_t dilation, bool upper, int64_t &begin,
                     int64_t &end) {
  int64_t out = (in + stride - 1) / stride;
  int64_t span = (kernel - 1) * dilation + 1;
  int64_t total = std::max<int64_t>(0, (out - 1) * stride + span - in);
  begin = upper ? total / 2 : total - total / 2;
  end = total - begin;
}

static LogicalResult convertConv(OnnxNode &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  RankedTensorType input = node.inputType(0), weight = node.inputType(1);
  int64_t spatial = input.getRank() - 2;
  if (spatial != 1 && spatial != 2)
    return node.emitError() << "expected a 1-D or 2-D convolution (input "
                               "rank 3 or 4), found rank "
                            << input.getRank();
  if (weight.getRank() != input.getRank())
    return node.emitError() << "expected a weight of rank " << input.getRank()
                            << ", found rank " << weight.getRank();
  ArrayRef<int64_t> kernel = weight.getShape().drop_front(2);
  if (std::optional<SmallVector<int64_t>> declared =
          node.getInts("kernel_shape");
      declared && ArrayRef<int64_t>(*declared) != kernel)
    return node.emitError() << "kernel_shape " << formatShape(*declared)
                            << " does not match the weight's kernel "
                            << formatShape(kernel);
  SmallVector<int64_t> strides =
      node.getInts("strides").value_or(SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> dilations =
      node.getInts("dilations").value_or(SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> pads =
      node.getInts("pads").value_or(SmallVector<int64_t>(2 * spatial, 0));
  if ((int64_t)strides.size() != spatial ||
      (int64_t)dilations.size() != spatial ||
      (int64_t)pads.size() != 2 * spatial)
    return node.emitError() << "expected " << spatial << " strides, "
                            << spatial << " dilations and " << 2 * spatial
                            << " pads, found " << strides.size() << ", "
                            << dilations.size() << " and " << pads.size();
  std::string autoPad = node.getString("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    pads.assign(2 * spatial, 0);
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int64_t i = 0; i < spatial; ++i)
      samePads(input.getDimSize(2 + i), kernel[i], strides[i], dilations[i],
               autoPad == "SAME_UPPER", pads[i], pads[spatial + i]);
  } else if (autoPad != "NOTSET") {
    return node.emitError() << "expected auto_pad NOTSET, VALID, SAME_UPPER "
                               "or SAME_LOWER, found '"
                            << autoPad << "'";
  }
  return node.setOutput(
      0, node.create<ConvOp>(node.input(0), node.input(1), node.input(2),
                             strides, pads, dilations, node.getInt("group", 1)));
}

// Dropout at inference is the identity; its mask output is all true.
static LogicalResult convertDropout(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  if (node.hasInput(2)) {
    FailureOr<double> training = node.constantScalar(2, "training_mode");
    if (failed(training))
      return failure();
    if (*training != 0)
      return node.emitError() << "training_mode = true is not supported";
  }
  if (node.isOutputUsed(1))
    (void)node.setOutput(1, node.scalar(node.builder().getI1Type(), 1,
                                        node.inputType(0).getShape()));
  return node.setOutput(0, node.input(0));
}

void mlir::attn::onnx_frontend::registerNNHandlers(HandlerRegistry &registry) {
  for (int64_t since : {1, 11}) {
    registry.add("Softmax", since, convertSoftmaxCoerced<SoftmaxOp>);
    registry.add("LogSoftmax", since, convertSoftmaxCoerced<LogSoftmaxOp>);
  }
  registry.add("Softmax", 13, convertSoftmax<SoftmaxOp>);
  registry.add("LogSoftmax", 13, convertSoftmax<LogSoftmaxOp>);
  registry.add("Gelu", 20, convertGelu);
  registry.add("LayerNormalization", 17, convertLayerNorm);
  registry.add("RMSNormalization", 23, convertRmsNorm);
  // Inference semantics unchanged since the version in effect at opset 7
  // (BatchNormalization-7's `spatial` = 1 is its only form; Dropout in
  // inference is the identity whether its ratio is an attribute or input).
  for (int64_t since : {7, 9, 14, 15})
    registry.add("BatchNormalization", since, convertBatchNorm);
  for (int64_t since : {1, 11})
    registry.add("Conv", since, convertConv);
  for (int64_t since : {7, 10, 12, 13})
    registry.add("Dropout", since, convertDropout);
}

//===- Attention.cpp - ONNX Attention (opset 23) -> attn.sdpa -------------===//
//
// 3-D inputs [B, S, H * D] are split into heads ([B, H, S, D]) and the
// result merged back; past_key / past_value are concatenated in front of the
// new keys, and a causal mask then stands at offset past_length (bottom-right
// aligned, as the ONNX reference does). Grouped-query attention needs nothing
// extra: attn.sdpa maps query head h to key head h / (Hq / Hkv), ONNX's
// np.repeat order.
//
// One corner differs from the ONNX reference: a query row that sees no key
// yields zeros (sdpa.C10) where the reference's -inf bias yields NaN.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxNode.h"
#include "frontends/onnx/Registry.h"
#include "llvm/Support/Format.h"
#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

/// [B, S, H * D] -> [B, H, S, D].
static FailureOr<Value> splitHeads(OnnxNode &node, Value value, int64_t heads,
                                   StringRef role) {
  RankedTensorType type = cast<RankedTensorType>(value.getType());
  int64_t hidden = type.getDimSize(2);
  if (heads <= 0 || hidden % heads != 0)
    return node.emitError() << "expected " << role << " hidden size ("
                            << hidden << ") to be a multiple of its head "
                            << "count (" << heads << ")";
  FailureOr<Value> reshaped = node.create<ReshapeOp>(
      value, ArrayRef<int64_t>{type.getDimSize(0), type.getDimSize(1), heads,
                               hidden / heads});
  if (failed(reshaped))
    return failure();
  return node.create<TransposeOp>(*reshaped, ArrayRef<int64_t>{0, 2, 1, 3});
}

/// [B, H, S, D] -> [B, S, H * D].
static FailureOr<Value> mergeHeads(OnnxNode &node, Value value) {
  FailureOr<Value> transposed =
      node.create<TransposeOp>(value, ArrayRef<int64_t>{0, 2, 1, 3});
  if (failed(transposed))
    return failure();
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(transposed->getType()).getShape();
  return node.create<ReshapeOp>(
      *transposed, ArrayRef<int64_t>{shape[0], shape[1], shape[2] * shape[3]});
}

/// The attention mask as an sdpa dense_mask: boolean stays boolean (true is
/// visible), a float mask is additive in q's type. A mask shorter than the
/// total key length is padded with "hidden" (false / -inf), as ONNX says.
static FailureOr<Value> convertMask(OnnxNode &node, Value mask,
                                    Type queryElement, int64_t keyLength) {
  auto type = cast<RankedTensorType>(mask.getType());
  Type element = type.getElementType();
  bool isBool = element.isInteger(1);
  if (!isBool && !isa<FloatType>(element))
    return node.emitError() << "expected attn_mask of bool or float type, "
                               "found "
                            << type;
  if (!isBool) {
    FailureOr<Value> cast = node.castTo(mask, queryElement);
    if (failed(cast))
      return failure();
    mask = *cast;
    element = queryElement;
  }
  if (type.getRank() == 0)
    return mask;
  int64_t length = type.getShape().back();
  if (length == keyLength || length == 1)
    return mask;
  if (length > keyLength)
    return node.emitError() << "expected attn_mask's last dim (" << length
                            << ") to be at most the total key length ("
                            << keyLength << ")";
  SmallVector<int64_t> padShape(type.getShape());
  padShape.back() = keyLength - length;
  double hidden = isBool ? 0.0 : -std::numeric_limits<double>::infinity();
  Value padding = node.scalar(element, hidden, padShape);
  return node.create<ConcatOp>(ValueRange{mask, padding}, type.getRank() - 1);
}

static LogicalResult convertAttention(OnnxNode &node) {
  if (failed(node.requireInputs(3)))
    return failure();
  if (int64_t mode = node.getInt("qk_matmul_output_mode", 0))
    return node.emitError() << "qk_matmul_output_mode " << mode
                            << " is not supported";
  if (float softcap = node.getFloat("softcap", 0.0f); softcap != 0.0f) {
    std::string value;
    llvm::raw_string_ostream(value) << llvm::format("%g", softcap);
    return node.emitError() << "softcap " << value << " is not supported";
  }
  if (node.isOutputUsed(3))
    return node.emitError() << "output 3 (qk_matmul_output) is not supported";
  if (node.hasInput(6))
    return node.emitError() << "input 6 (nonpad_kv_seqlen) is not supported";
  if (node.hasInput(4) != node.hasInput(5))
    return node.emitError() << "expected past_key and past_value together";

  int64_t rank = node.inputType(0).getRank();
  if ((rank != 3 && rank != 4) || node.inputType(1).getRank() != rank ||
      node.inputType(2).getRank() != rank)
    return node.emitError() << "expected Q, K and V all of rank 3 or all of "
                               "rank 4, found ranks "
                            << rank << ", " << node.inputType(1).getRank()
                            << " and " << node.inputType(2).getRank();
  Value q = node.input(0), k = node.input(1), v = node.input(2);
  if (rank == 3) {
    if (!node.hasAttr("q_num_heads") || !node.hasAttr("kv_num_heads"))
      return node.emitError()
             << "expected q_num_heads and kv_num_heads for 3-D inputs";
    int64_t qHeads = node.getInt("q_num_heads", 0);
    int64_t kvHeads = node.getInt("kv_num_heads", 0);
    FailureOr<Value> q4 = splitHeads(node, q, qHeads, "Q");
    if (failed(q4))
      return failure();
    FailureOr<Value> k4 = splitHeads(node, k, kvHeads, "K");
    if (failed(k4))
      return failure();
    FailureOr<Value> v4 = splitHeads(node, v, kvHeads, "V");
    if (failed(v4))
      return failure();
    q = *q4, k = *k4, v = *v4;
  }

  int64_t pastLength = 0;
  if (node.hasInput(4)) {
    pastLength = node.inputType(4).getDimSize(2);
    FailureOr<Value> key = node.create<ConcatOp>(
        ValueRange{node.input(4), k}, /*axis=*/2);
    if (failed(key))
      return failure();
    FailureOr<Value> value = node.create<ConcatOp>(
        ValueRange{node.input(5), v}, /*axis=*/2);
    if (failed(value))
      return failure();
    k = *key, v = *value;
  }
  (void)node.setOutput(1, k);
  (void)node.setOutput(2, v);

  auto queryType = cast<RankedTensorType>(q.getType());
  int64_t keyLength = cast<RankedTensorType>(k.getType()).getDimSize(2);
  Value denseMask;
  if (node.hasInput(3)) {
    FailureOr<Value> mask = convertMask(node, node.input(3),
                                        queryType.getElementType(), keyLength);
    if (failed(mask))
      return failure();
    denseMask = *mask;
  }
  float scale = node.hasAttr("scale")
                    ? node.getFloat("scale", 1.0f)
                    : 1.0f / std::sqrt((float)queryType.getDimSize(3));
  WindowAttr window;
  Value offset;
  if (node.getInt("is_causal", 0)) {
    window = WindowAttr::getCausal(node.context());
    if (pastLength > 0)
      offset = node.scalar(node.builder().getI64Type(), pastLength);
  }
  FailureOr<Value> result =
      node.create<SdpaOp>(q, k, v, offset, /*key_mask=*/Value(), denseMask,
                          APFloat(scale), window, LayoutAttr());
  if (failed(result))
    return failure();
  if (rank == 3)
    result = mergeHeads(node, *result);
  return node.setOutput(0, result);
}

void mlir::attn::onnx_frontend::registerAttentionHandlers(
    HandlerRegistry &registry) {
  registry.add("Attention", 23, convertAttention);
}

//===- AttnOps.cpp - attn op verifiers and type inference -----------------===//
//
// Result-type inference doubles as the structural verifier of the inferred
// ops (InferTypeOpInterface runs it before the op's own verify()), so every
// message below reads like a verifier message. Constraint ids (`sdpa.C3`)
// refer to spec.md. Folders (except the constant's) are in AttnFolders.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialects/attn/AttnOps.h"
#include "dialects/attn/RunTimeDims.h"
#include "dialects/attn/Broadcast.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"
#include <cmath>

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

/// Formats a shape as `[1, ?, 64]` for messages.
static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << '[';
  llvm::interleaveComma(shape, os, [&](int64_t dim) {
    if (ShapedType::isDynamic(dim))
      os << '?';
    else
      os << dim;
  });
  os << ']';
  return text;
}

/// Emits "'attn.x' op <message>" at `loc` (when there is one) so inference
/// failures read exactly like verifier errors.
template <typename... Args>
static LogicalResult opError(std::optional<Location> loc, StringRef opName,
                             Args &&...args) {
  return emitOptionalError(loc, "'", opName, "' op ",
                           std::forward<Args>(args)...);
}

static RankedTensorType rankedType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

static bool sameDim(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

/// Checks that `axis` indexes a dim of a rank-`rank` tensor.
static LogicalResult checkAxis(std::optional<Location> loc, StringRef opName,
                               int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return opError(loc, opName, "expected axis in [0, ", rank, "), found ",
                   axis);
  return success();
}

/// Checks the element types of `values` agree; names them by `roles`.
static LogicalResult checkSameElementType(std::optional<Location> loc,
                                          StringRef opName, ValueRange values,
                                          ArrayRef<StringRef> roles) {
  Type first = rankedType(values[0]).getElementType();
  for (auto [value, role] : llvm::zip(values.drop_front(), roles.drop_front())) {
    Type element = rankedType(value).getElementType();
    if (element != first)
      return opError(loc, opName, "expected ", role, " element type ", element,
                     " to match ", roles.front(), " element type ", first);
  }
  return success();
}

/// Infers the broadcast result of elementwise operands; `resultElement`
/// is the result's element type (the operands' own one when null).
static LogicalResult inferElementwise(std::optional<Location> loc,
                                      StringRef opName, ValueRange operands,
                                      ArrayRef<StringRef> roles,
                                      Type resultElement,
                                      SmallVectorImpl<Type> &inferred) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value operand : operands)
    shapes.push_back(rankedType(operand).getShape());
  std::optional<SmallVector<int64_t>> shape = broadcastShapes(shapes);
  if (!shape) {
    std::string all;
    llvm::raw_string_ostream os(all);
    llvm::interleaveComma(shapes, os,
                          [&](ArrayRef<int64_t> s) { os << shapeStr(s); });
    return opError(loc, opName, "expected broadcast-compatible operand shapes, "
                                "found ",
                   all);
  }
  if (!resultElement)
    resultElement = rankedType(operands.back()).getElementType();
  inferred.push_back(RankedTensorType::get(*shape, resultElement));
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  if (!type)
    return opError(loc, getOperationName(),
                   "expected a ranked tensor value, found ",
                   adaptor.getValue().getType());
  inferred.push_back(type);
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

LogicalResult ClipOp::verify() {
  std::optional<APFloat> min = getMin(), max = getMax();
  if (min && max && min->convertToDouble() > max->convertToDouble())
    return emitOpError("expected min (")
           << min->convertToDouble() << ") to be at most max ("
           << max->convertToDouble() << ")";
  return success();
}

// Binary ops share one rule: operands of one element type, broadcast shapes.
#define ATTN_BINARY_INFER(OpTy, resultIsBool)                                  \
  LogicalResult OpTy::inferReturnTypes(MLIRContext *context,                   \
                                       std::optional<Location> loc,            \
                                       Adaptor adaptor,                        \
                                       SmallVectorImpl<Type> &inferred) {      \
    ValueRange operands = adaptor.getOperands();                               \
    if (failed(checkSameElementType(loc, getOperationName(), operands,         \
                                    {"lhs", "rhs"})))                          \
      return failure();                                                        \
    Type element = resultIsBool ? Type(IntegerType::get(context, 1)) : Type(); \
    return inferElementwise(loc, getOperationName(), operands, {"lhs", "rhs"}, \
                            element, inferred);                                \
  }

ATTN_BINARY_INFER(AddOp, false)
ATTN_BINARY_INFER(SubOp, false)
ATTN_BINARY_INFER(MulOp, false)
ATTN_BINARY_INFER(DivOp, false)
ATTN_BINARY_INFER(PowOp, false)
ATTN_BINARY_INFER(MaxOp, false)
ATTN_BINARY_INFER(MinOp, false)
ATTN_BINARY_INFER(AndOp, false)
ATTN_BINARY_INFER(OrOp, false)
ATTN_BINARY_INFER(XorOp, false)
ATTN_BINARY_INFER(EqualOp, true)
ATTN_BINARY_INFER(LessOp, true)
ATTN_BINARY_INFER(LessEqualOp, true)
ATTN_BINARY_INFER(GreaterOp, true)
ATTN_BINARY_INFER(GreaterEqualOp, true)
#undef ATTN_BINARY_INFER

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  Value values[] = {adaptor.getTrueValue(), adaptor.getFalseValue()};
  if (failed(checkSameElementType(loc, getOperationName(), ValueRange(values),
                                  {"true_value", "false_value"})))
    return failure();
  return inferElementwise(loc, getOperationName(), adaptor.getOperands(),
                          {"condition", "true_value", "false_value"}, Type(),
                          inferred);
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  if (failed(checkSameElementType(loc, name, adaptor.getOperands(),
                                  {"lhs", "rhs"})))
    return failure();
  RankedTensorType lhs = rankedType(adaptor.getLhs());
  RankedTensorType rhs = rankedType(adaptor.getRhs());
  if (lhs.getRank() == 0 || rhs.getRank() == 0)
    return opError(loc, name, "expected operands of rank >= 1, found ranks ",
                   lhs.getRank(), " and ", rhs.getRank());
  // matmul.C1: a 1-D lhs is a row vector, a 1-D rhs a column vector; their
  // unit dims are dropped from the result.
  SmallVector<int64_t> a(lhs.getShape()), b(rhs.getShape());
  if (a.size() == 1)
    a.insert(a.begin(), 1);
  if (b.size() == 1)
    b.push_back(1);
  int64_t k = a.back(), kRhs = b[b.size() - 2];
  if (!sameDim(k, kRhs))
    return opError(loc, name, "expected contraction dims to match, found lhs ",
                   shapeStr(lhs.getShape()), " and rhs ",
                   shapeStr(rhs.getShape()));
  ArrayRef<int64_t> batchA = ArrayRef<int64_t>(a).drop_back(2);
  ArrayRef<int64_t> batchB = ArrayRef<int64_t>(b).drop_back(2);
  std::optional<SmallVector<int64_t>> batch = broadcastShapes({batchA, batchB});
  if (!batch)
    return opError(loc, name, "expected broadcast-compatible batch dims, found ",
                   shapeStr(batchA), " and ", shapeStr(batchB));
  SmallVector<int64_t> shape = *batch;
  if (lhs.getRank() > 1)
    shape.push_back(a[a.size() - 2]);
  if (rhs.getRank() > 1)
    shape.push_back(b.back());
  inferred.push_back(RankedTensorType::get(shape, lhs.getElementType()));
  return success();
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  if (failed(checkSameElementType(loc, name, adaptor.getOperands(),
                                  {"input", "weight", "bias"})))
    return failure();
  RankedTensorType input = rankedType(adaptor.getInput());
  RankedTensorType weight = rankedType(adaptor.getWeight());
  if (input.getRank() < 1 || weight.getRank() != 2)
    return opError(loc, name, "expected input of rank >= 1 and a rank-2 "
                              "weight, found ranks ",
                   input.getRank(), " and ", weight.getRank());
  bool transposed = adaptor.getTransposeWeight();
  int64_t k = weight.getDimSize(transposed ? 1 : 0);
  int64_t n = weight.getDimSize(transposed ? 0 : 1);
  if (!sameDim(input.getShape().back(), k))
    return opError(loc, name, "expected input features (",
                   input.getShape().back(), ") to match weight features (", k,
                   ")");
  SmallVector<int64_t> shape(input.getShape().drop_back());
  shape.push_back(n);
  if (Value bias = adaptor.getBias()) {
    ArrayRef<int64_t> biasShape = rankedType(bias).getShape();
    if (!isBroadcastableTo(biasShape, shape))
      return opError(loc, name, "expected bias ", shapeStr(biasShape),
                     " to broadcast to the result ", shapeStr(shape));
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  if (failed(checkSameElementType(loc, name, adaptor.getOperands(),
                                  {"input", "weight", "bias"})))
    return failure();
  RankedTensorType input = rankedType(adaptor.getInput());
  RankedTensorType weight = rankedType(adaptor.getWeight());
  int64_t rank = input.getRank();
  // conv.C1: 1-D or 2-D convolution, NC[H]W layout.
  if ((rank != 3 && rank != 4) || weight.getRank() != rank)
    return opError(loc, name, "expected input and weight of rank 3 or 4, "
                              "found ranks ",
                   rank, " and ", weight.getRank());
  int64_t spatial = rank - 2;
  ArrayRef<int64_t> strides = adaptor.getStrides(), pads = adaptor.getPads(),
                    dilations = adaptor.getDilations();
  if ((int64_t)strides.size() != spatial || (int64_t)dilations.size() != spatial ||
      (int64_t)pads.size() != 2 * spatial)
    return opError(loc, name, "expected ", spatial, " strides, ", spatial,
                   " dilations and ", 2 * spatial, " pads, found ",
                   strides.size(), ", ", dilations.size(), " and ", pads.size());
  if (llvm::any_of(strides, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(dilations, [](int64_t d) { return d < 1; }) ||
      llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return opError(loc, name, "expected positive strides and dilations and "
                              "non-negative pads");
  int64_t groups = adaptor.getGroups();
  int64_t channels = input.getDimSize(1), filters = weight.getDimSize(0);
  // conv.C2: channels split evenly into groups.
  if (groups < 1 || filters % groups != 0 ||
      !sameDim(channels, weight.getDimSize(1) * groups))
    return opError(loc, name, "expected groups (", groups,
                   ") to divide the filters (", filters,
                   ") and input channels (", channels,
                   ") to equal weight channels (", weight.getDimSize(1),
                   ") times groups");
  if (Value bias = adaptor.getBias()) {
    ArrayRef<int64_t> biasShape = rankedType(bias).getShape();
    if (biasShape.size() != 1 || biasShape[0] != filters)
      return opError(loc, name, "expected bias of shape [", filters,
                     "], found ", shapeStr(biasShape));
  }
  SmallVector<int64_t> shape = {input.getDimSize(0), filters};
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t in = input.getDimSize(2 + i), kernel = weight.getDimSize(2 + i);
    int64_t span = dilations[i] * (kernel - 1) + 1;
    int64_t padded = in + pads[i] + pads[spatial + i];
    if (padded < span)
      return opError(loc, name, "expected padded spatial dim ", i, " (",
                     padded, ") to hold the dilated kernel (", span, ")");
    shape.push_back((padded - span) / strides[i] + 1);
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = rankedType(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  SmallVector<bool> seen(input.getRank(), false);
  bool valid = (int64_t)perm.size() == input.getRank();
  for (int64_t p : perm) {
    if (!valid || p < 0 || p >= input.getRank() || seen[p]) {
      valid = false;
      break;
    }
    seen[p] = true;
  }
  if (!valid)
    return opError(loc, getOperationName(), "expected permutation to be a "
                                            "permutation of [0, ",
                   input.getRank(), "), found ", shapeStr(perm));
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(input.getDimSize(p));
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = rankedType(adaptor.getInput());
  ArrayRef<int64_t> shape = adaptor.getShape();
  // Run-time dims (`?`) pair up in order with the input's (shapes.C2).
  if (llvm::any_of(shape, ShapedType::isDynamic) || !input.hasStaticShape()) {
    if (!runTimeReshape(input.getShape(), shape))
      return opError(loc, getOperationName(), "expected shape ", shapeStr(shape),
                     " to keep the input's run-time dims in order, with the same element "
                     "count between them, found input ", shapeStr(input.getShape()));
    inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
    return success();
  }
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
    return opError(loc, getOperationName(),
                   "expected a resolved shape with non-negative dims, found ",
                   shapeStr(shape));
  if (input.hasStaticShape()) {
    int64_t count = 1;
    for (int64_t d : shape)
      count *= d;
    if (count != input.getNumElements())
      return opError(loc, getOperationName(), "expected shape ",
                     shapeStr(shape), " to hold the input's ",
                     input.getNumElements(), " elements");
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult BroadcastToOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = rankedType(adaptor.getInput());
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes({input.getShape(), adaptor.getShape()});
  if (!shape)
    return opError(loc, getOperationName(), "expected input ",
                   shapeStr(input.getShape()), " to broadcast with shape ",
                   shapeStr(adaptor.getShape()));
  inferred.push_back(RankedTensorType::get(*shape, input.getElementType()));
  return success();
}

LogicalResult TileOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = rankedType(adaptor.getInput());
  ArrayRef<int64_t> repeats = adaptor.getRepeats();
  if ((int64_t)repeats.size() != input.getRank() ||
      llvm::any_of(repeats, [](int64_t r) { return r < 0; }))
    return opError(loc, getOperationName(), "expected ", input.getRank(),
                   " non-negative repeats, found ", shapeStr(repeats));
  SmallVector<int64_t> shape;
  for (auto [dim, repeat] : llvm::zip(input.getShape(), repeats))
    shape.push_back(ShapedType::isDynamic(dim) ? dim : dim * repeat);
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  RankedTensorType input = rankedType(adaptor.getInput());
  ArrayRef<int64_t> offsets = adaptor.getOffsets(), sizes = adaptor.getSizes(),
                    strides = adaptor.getStrides();
  int64_t rank = input.getRank();
  // slice.C1: one (offset, size, stride) per dim.
  if ((int64_t)offsets.size() != rank || (int64_t)sizes.size() != rank ||
      (int64_t)strides.size() != rank)
    return opError(loc, name, "expected ", rank,
                   " offsets, sizes and strides, found ", offsets.size(), ", ",
                   sizes.size(), " and ", strides.size());
  for (int64_t i = 0; i < rank; ++i) {
    // slice.C4: a run-time dim is taken whole (offset 0, stride 1), or a
    // static one cut to a run-time count (a `dynamic_sizes` operand).
    if (ShapedType::isDynamic(sizes[i])) {
      bool whole = input.isDynamicDim(i) && offsets[i] == 0 && strides[i] == 1;
      bool counted = !input.isDynamicDim(i) && strides[i] == 1 && offsets[i] >= 0 &&
                     offsets[i] <= input.getDimSize(i);
      if (!whole && !counted)
        return opError(loc, name, "expected a run-time size in dim ", i,
                       " only for a run-time dim taken whole (offset 0, stride 1) or a "
                       "static dim cut at stride 1 to a dynamic size");
      continue;
    }
    // slice.C2: non-zero strides, non-negative sizes.
    if (strides[i] == 0 || sizes[i] < 0)
      return opError(loc, name, "expected a non-zero stride and a "
                                "non-negative size in dim ",
                     i, ", found stride ", strides[i], " and size ", sizes[i]);
    int64_t dim = input.getDimSize(i);
    if (sizes[i] == 0 || ShapedType::isDynamic(dim))
      continue;
    // slice.C3: the first and the last index read are in bounds.
    int64_t last = offsets[i] + (sizes[i] - 1) * strides[i];
    if (offsets[i] < 0 || offsets[i] >= dim || last < 0 || last >= dim)
      return opError(loc, name, "expected dim ", i, " indices ", offsets[i],
                     " to ", last, " to lie in [0, ", dim, ")");
  }
  // One dynamic size per `?` size of a static input dim, in order.
  int64_t counted = 0;
  for (int64_t i = 0; i < rank; ++i)
    counted += ShapedType::isDynamic(sizes[i]) && !input.isDynamicDim(i);
  if ((int64_t)adaptor.getDynamicSizes().size() != counted)
    return opError(loc, name, "expected one dynamic size per '?' size of a static dim (",
                   counted, "), found ", adaptor.getDynamicSizes().size());
  inferred.push_back(RankedTensorType::get(sizes, input.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return opError(loc, name, "expected at least one input");
  RankedTensorType first = rankedType(inputs.front());
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, name, axis, first.getRank())))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (auto [index, input] : llvm::enumerate(inputs.drop_front())) {
    RankedTensorType type = rankedType(input);
    if (type.getElementType() != first.getElementType() ||
        type.getRank() != first.getRank())
      return opError(loc, name, "expected input ", index + 1, " (", type,
                     ") to have the element type and rank of input 0 (", first,
                     ")");
    for (int64_t d = 0; d < first.getRank(); ++d) {
      if (d == axis)
        continue;
      if (!sameDim(shape[d], type.getDimSize(d)))
        return opError(loc, name, "expected input ", index + 1, " ",
                       shapeStr(type.getShape()),
                       " to match input 0 outside axis ", axis, ", found ",
                       shapeStr(first.getShape()));
    }
    int64_t extent = type.getDimSize(axis);
    shape[axis] = ShapedType::isDynamic(shape[axis]) || ShapedType::isDynamic(extent)
                      ? ShapedType::kDynamic
                      : shape[axis] + extent;
  }
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult KvAppendOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  RankedTensorType cache = rankedType(adaptor.getCache());
  RankedTensorType rows = rankedType(adaptor.getRows());
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, name, axis, cache.getRank())))
    return failure();
  if (rows.getElementType() != cache.getElementType() || rows.getRank() != cache.getRank())
    return opError(loc, name, "expected the rows (", rows,
                   ") to have the element type and rank of the cache (", cache, ")");
  SmallVector<int64_t> shape(cache.getShape());
  for (int64_t d = 0; d < cache.getRank(); ++d)
    if (d != axis && !sameDim(shape[d], rows.getDimSize(d)))
      return opError(loc, name, "expected the rows ", shapeStr(rows.getShape()),
                     " to match the cache ", shapeStr(cache.getShape()), " outside axis ",
                     axis);
  int64_t capacity = adaptor.getCapacity();
  if (capacity < 1)
    return opError(loc, name, "expected a positive capacity, found ", capacity);
  int64_t held = cache.isDynamicDim(axis) ? 0 : cache.getDimSize(axis);
  int64_t added = rows.isDynamicDim(axis) ? 0 : rows.getDimSize(axis);
  if (held + added > capacity)
    return opError(loc, name, "expected the cache's ", held, " and the rows' ", added,
                   " positions to fit its capacity ", capacity);
  if (std::optional<int64_t> ring = adaptor.getRing(); ring && (*ring < 1 || added > *ring))
    return opError(loc, name, "expected a ring of at least 1 slot and of room for the rows' ",
                   added, " positions, found ", *ring);
  shape[axis] = cache.isDynamicDim(axis) || rows.isDynamicDim(axis) ? ShapedType::kDynamic
                                                                     : held + added;
  inferred.push_back(RankedTensorType::get(shape, cache.getElementType()));
  return success();
}

LogicalResult KvWindowOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                           Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  RankedTensorType cache = rankedType(adaptor.getCache());
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, name, axis, cache.getRank())))
    return failure();
  int64_t slots = adaptor.getSlots();
  if (slots < 1)
    return opError(loc, name, "expected a positive number of slots, found ", slots);
  SmallVector<int64_t> shape(cache.getShape());
  if (!cache.isDynamicDim(axis))
    shape[axis] = std::min(shape[axis], slots);
  inferred.push_back(RankedTensorType::get(shape, cache.getElementType()));
  inferred.push_back(RankedTensorType::get({}, IntegerType::get(context, 64)));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType data = rankedType(adaptor.getData());
  RankedTensorType indices = rankedType(adaptor.getIndices());
  int64_t axis = adaptor.getAxis();
  if (failed(checkAxis(loc, getOperationName(), axis, data.getRank())))
    return failure();
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  inferred.push_back(RankedTensorType::get(shape, data.getElementType()));
  return success();
}

LogicalResult TriluOp::verify() {
  if (getInput().getType().getRank() < 2)
    return emitOpError("expected an input of rank >= 2, found rank ")
           << getInput().getType().getRank();
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

/// Shared by the four reductions: sorted unique axes in range.
static LogicalResult inferReduce(std::optional<Location> loc, StringRef name,
                                 RankedTensorType input, ArrayRef<int64_t> axes,
                                 bool keepdims, SmallVectorImpl<Type> &inferred) {
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= input.getRank() || (i > 0 && axes[i - 1] >= axis))
      return opError(loc, name, "expected sorted unique axes in [0, ",
                     input.getRank(), "), found ", shapeStr(axes));
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < input.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(input.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

#define ATTN_REDUCE_INFER(OpTy)                                                \
  LogicalResult OpTy::inferReturnTypes(MLIRContext *,                          \
                                       std::optional<Location> loc,            \
                                       Adaptor adaptor,                        \
                                       SmallVectorImpl<Type> &inferred) {      \
    return inferReduce(loc, getOperationName(), rankedType(adaptor.getInput()),\
                       adaptor.getAxes(), adaptor.getKeepdims(), inferred);    \
  }
ATTN_REDUCE_INFER(ReduceSumOp)
ATTN_REDUCE_INFER(ReduceMeanOp)
ATTN_REDUCE_INFER(ReduceMaxOp)
ATTN_REDUCE_INFER(ReduceMinOp)
#undef ATTN_REDUCE_INFER

LogicalResult CumSumOp::verify() {
  return checkAxis(getLoc(), getOperationName(), getAxis(),
                   getInput().getType().getRank());
}

LogicalResult SoftmaxOp::verify() {
  return checkAxis(getLoc(), getOperationName(), getAxis(),
                   getInput().getType().getRank());
}

LogicalResult LogSoftmaxOp::verify() {
  return checkAxis(getLoc(), getOperationName(), getAxis(),
                   getInput().getType().getRank());
}

/// Shared by layer_norm and rms_norm: `axis` in range and each parameter
/// broadcastable to the normalized dims [axis, rank).
static LogicalResult inferNorm(std::optional<Location> loc, StringRef name,
                               ValueRange operands, ArrayRef<StringRef> roles,
                               int64_t axis, SmallVectorImpl<Type> &inferred) {
  if (failed(checkSameElementType(loc, name, operands, roles)))
    return failure();
  RankedTensorType input = rankedType(operands.front());
  if (failed(checkAxis(loc, name, axis, input.getRank())))
    return failure();
  ArrayRef<int64_t> normalized = input.getShape().drop_front(axis);
  for (auto [operand, role] : llvm::zip(operands.drop_front(), roles.drop_front())) {
    ArrayRef<int64_t> shape = rankedType(operand).getShape();
    if (!isBroadcastableTo(shape, normalized))
      return opError(loc, name, "expected ", role, " ", shapeStr(shape),
                     " to broadcast to the normalized dims ",
                     shapeStr(normalized));
  }
  inferred.push_back(input);
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  return inferNorm(loc, getOperationName(), adaptor.getOperands(),
                   {"input", "scale", "bias"}, adaptor.getAxis(), inferred);
}

LogicalResult RmsNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return inferNorm(loc, getOperationName(), adaptor.getOperands(),
                   {"input", "scale"}, adaptor.getAxis(), inferred);
}

//===----------------------------------------------------------------------===//
// SdpaOp
//===----------------------------------------------------------------------===//

// Inference checks what the result shape depends on (sdpa.C1-C5); verify()
// checks the optional mask operands and attributes (sdpa.C6-C10).
LogicalResult SdpaOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  StringRef name = getOperationName();
  RankedTensorType q = rankedType(adaptor.getQuery());
  RankedTensorType k = rankedType(adaptor.getKey());
  RankedTensorType v = rankedType(adaptor.getValue());
  // sdpa.C1
  if (q.getRank() != 4 || k.getRank() != 4 || v.getRank() != 4)
    return opError(loc, name, "expected rank-4 query, key and value, found "
                              "ranks ",
                   q.getRank(), ", ", k.getRank(), " and ", v.getRank());
  // sdpa.C2
  Value qkv[] = {adaptor.getQuery(), adaptor.getKey(), adaptor.getValue()};
  if (failed(checkSameElementType(loc, name, ValueRange(qkv),
                                  {"query", "key", "value"})))
    return failure();
  // sdpa.C11: read each tensor's heads and length where its layout puts them.
  LayoutAttr layout = adaptor.getLayoutAttr();
  auto seqMajor = [&](SdpaTensor t) { return layout && layout.isSeqMajor(unsigned(t)); };
  auto heads = [&](RankedTensorType type, SdpaTensor t) {
    return type.getDimSize(sdpaHeadAxis(seqMajor(t)));
  };
  auto length = [&](RankedTensorType type, SdpaTensor t) {
    return type.getDimSize(sdpaSeqAxis(seqMajor(t)));
  };
  int64_t batch = q.getDimSize(0), hq = heads(q, SdpaTensor::Query), d = q.getDimSize(3);
  if (!sameDim(k.getDimSize(0), batch) || !sameDim(v.getDimSize(0), batch))
    return opError(loc, name, "expected query, key and value batch (",
                   batch, ", ", k.getDimSize(0), ", ", v.getDimSize(0),
                   ") to match");
  // sdpa.C3
  int64_t hkv = heads(k, SdpaTensor::Key), vHeads = heads(v, SdpaTensor::Value);
  if (!sameDim(vHeads, hkv))
    return opError(loc, name, "expected key heads (", hkv,
                   ") to match value heads (", vHeads, ")");
  if (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv) &&
      (hkv == 0 || hq % hkv != 0))
    return opError(loc, name, "expected key heads (", hkv,
                   ") to divide query heads (", hq, ")");
  // sdpa.C4
  int64_t t = length(k, SdpaTensor::Key), vLength = length(v, SdpaTensor::Value);
  if (!sameDim(t, vLength))
    return opError(loc, name, "expected key length (", t,
                   ") to match value length (", vLength, ")");
  // sdpa.C5
  if (!sameDim(k.getDimSize(3), d))
    return opError(loc, name, "expected key head dim (", k.getDimSize(3),
                   ") to match query head dim (", d, ")");
  int64_t s = length(q, SdpaTensor::Query), dv = v.getDimSize(3);
  SmallVector<int64_t> shape = seqMajor(SdpaTensor::Result)
                                   ? SmallVector<int64_t>{batch, s, hq, dv}
                                   : SmallVector<int64_t>{batch, hq, s, dv};
  inferred.push_back(RankedTensorType::get(shape, q.getElementType()));
  return success();
}

LogicalResult SdpaOp::verify() {
  RankedTensorType q = getQuery().getType();
  SdpaDims dims = getDims();
  int64_t batch = dims.batch, t = dims.keyLen;
  // sdpa.C6
  if (Value offset = getOffset()) {
    ArrayRef<int64_t> shape = rankedType(offset).getShape();
    if (!(shape.empty() || (shape.size() == 1 && sameDim(shape[0], batch))))
      return emitOpError("expected offset of shape [] or [")
             << batch << "], found " << shapeStr(shape);
  }
  // sdpa.C7
  if (Value keyMask = getKeyMask()) {
    ArrayRef<int64_t> shape = rankedType(keyMask).getShape();
    if (shape.size() != 2 || !sameDim(shape[0], batch) || !sameDim(shape[1], t))
      return emitOpError("expected key_mask of shape [")
             << batch << ", " << t << "], found " << shapeStr(shape);
    Type element = rankedType(keyMask).getElementType();
    if (!element.isInteger(1) && element != q.getElementType())
      return emitOpError("expected key_mask element type i1 or ")
             << q.getElementType() << ", found " << element;
  }
  // sdpa.C8
  if (Value denseMask = getDenseMask()) {
    RankedTensorType type = rankedType(denseMask);
    Type element = type.getElementType();
    if (!element.isInteger(1) && element != q.getElementType())
      return emitOpError("expected dense_mask element type i1 or ")
             << q.getElementType() << ", found " << element;
    SmallVector<int64_t> scores = {batch, dims.queryHeads, dims.queryLen, t};
    ArrayRef<int64_t> shape = type.getShape();
    bool fits = shape.size() <= 4;
    for (size_t i = 0; fits && i < shape.size(); ++i) {
      int64_t target = scores[4 - shape.size() + i];
      fits = shape[i] == 1 || sameDim(shape[i], target);
    }
    if (!fits)
      return emitOpError("expected dense_mask ")
             << shapeStr(shape) << " to broadcast to the scores "
             << shapeStr(scores);
  }
  // sdpa.C9
  float scale = getScale().convertToFloat();
  if (!std::isfinite(scale))
    return emitOpError("expected a finite scale, found ") << scale;
  return success();
}

WindowAttr SdpaOp::getWindow() {
  if (WindowAttr window = getMaskAttr())
    return window;
  return WindowAttr::getUnbounded(getContext());
}

Value SdpaOp::getKeyVisibility() {
  Value keyMask = getKeyMask();
  return keyMask && rankedType(keyMask).getElementType().isInteger(1) ? keyMask : Value();
}

Value SdpaOp::getKeyBias() {
  Value keyMask = getKeyMask();
  return keyMask && !rankedType(keyMask).getElementType().isInteger(1) ? keyMask : Value();
}

bool SdpaOp::isSeqMajor(SdpaTensor tensor) {
  LayoutAttr layout = getLayoutAttr();
  return layout && layout.isSeqMajor(unsigned(tensor));
}

SdpaDims SdpaOp::getDims() {
  RankedTensorType q = getQuery().getType(), k = getKey().getType(), v = getValue().getType();
  bool qSeq = isSeqMajor(SdpaTensor::Query), kSeq = isSeqMajor(SdpaTensor::Key);
  return {q.getDimSize(0),
          q.getDimSize(sdpaHeadAxis(qSeq)),
          k.getDimSize(sdpaHeadAxis(kSeq)),
          q.getDimSize(sdpaSeqAxis(qSeq)),
          k.getDimSize(sdpaSeqAxis(kSeq)),
          q.getDimSize(3),
          v.getDimSize(3)};
}

#define GET_OP_CLASSES
#include "dialects/attn/AttnOps.cpp.inc"

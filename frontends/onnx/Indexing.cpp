//===- Indexing.cpp - ONNX Concat, Split, Slice, Gather, Trilu ------------===//
//
// Split and Slice resolve ONNX's clamped, possibly negative bounds into
// attn.slice's in-bounds (offset, size, stride) triples.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxNode.h"
#include "frontends/onnx/ShapeExprs.h"
#include "frontends/onnx/Registry.h"
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

static LogicalResult convertConcat(OnnxNode &node) {
  if (failed(node.requireInputs(node.numInputs())))
    return failure();
  if (node.numInputs() == 0)
    return node.emitError() << "expected at least one input";
  FailureOr<int64_t> axis = node.normalizeAxis(node.getInt("axis", 0),
                                               node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  // Parts of run-time length (a KV cache's past and new rows) sit at
  // offsets computed at run time; the result's length is their sum.
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < node.numInputs(); ++i)
    inputs.push_back(node.input(i));
  return node.setOutput(0, node.create<ConcatOp>(inputs, *axis));
}

/// The sizes a Split without a `split` input cuts: num_outputs chunks of
/// ceil(dim / n), the last one smaller (opset 18), or before 18 one equal
/// chunk per output.
static FailureOr<SmallVector<int64_t>> defaultSplitSizes(OnnxNode &node,
                                                         int64_t dim) {
  bool numOutputsForm = node.opset() >= 18 && node.hasAttr("num_outputs");
  int64_t parts = numOutputsForm ? node.getInt("num_outputs", 0)
                                 : (int64_t)node.numOutputs();
  if (parts <= 0)
    return node.emitError() << "expected a positive num_outputs, found "
                            << parts;
  int64_t chunk = numOutputsForm ? (dim + parts - 1) / parts : dim / parts;
  if (!numOutputsForm && dim % parts != 0)
    return node.emitError() << "cannot split dim of size " << dim << " into "
                            << parts << " equal parts";
  SmallVector<int64_t> sizes(parts, chunk);
  sizes.back() = dim - chunk * (parts - 1);
  if (sizes.back() < 0)
    return node.emitError() << "cannot split dim of size " << dim << " into "
                            << parts << " parts of " << chunk;
  return sizes;
}

/// Split along `axis` into `given` sizes (equal parts without them).
static LogicalResult split(OnnxNode &node, std::optional<SmallVector<int64_t>> given) {
  RankedTensorType type = node.inputType(0);
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getInt("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  int64_t dim = type.getDimSize(*axis);
  if (ShapedType::isDynamic(dim))
    return node.emitError() << "cannot split run-time dim " << *axis << " of "
                            << node.input(0).getType() << " (not supported yet)";
  FailureOr<SmallVector<int64_t>> sizes =
      given ? FailureOr<SmallVector<int64_t>>(*given) : defaultSplitSizes(node, dim);
  if (failed(sizes))
    return failure();
  int64_t total = 0;
  for (int64_t size : *sizes)
    total += size;
  if (sizes->size() != node.numOutputs() || total != dim ||
      llvm::any_of(*sizes, [](int64_t s) { return s < 0; }))
    return node.emitError() << "expected " << node.numOutputs()
                            << " non-negative split sizes adding up to " << dim
                            << ", found " << formatShape(*sizes);
  SmallVector<int64_t> offsets(type.getRank(), 0), strides(type.getRank(), 1);
  SmallVector<int64_t> shape(type.getShape());
  for (auto [i, size] : llvm::enumerate(*sizes)) {
    shape[*axis] = size;
    if (failed(node.setOutput(i, node.create<SliceOp>(node.input(0), ValueRange{}, offsets,
                                                      shape, strides))))
      return failure();
    offsets[*axis] += size;
  }
  return success();
}

// Split-13: the sizes are an optional input.
static LogicalResult convertSplit(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  if (!node.hasInput(1))
    return split(node, std::nullopt);
  FailureOr<SmallVector<int64_t>> sizes = node.constantInts(1, "split");
  if (failed(sizes))
    return failure();
  return split(node, *sizes);
}

// Split-2/11: the sizes are an optional attribute.
static LogicalResult convertSplitAttr(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  return split(node, node.getInts("split"));
}

/// ONNX Slice bounds for one axis -> (offset, size) of an in-bounds slice.
/// Negative starts/ends count from the end; they clamp to [0, dim] going
/// forward and to [-1, dim - 1] going backward.
static std::pair<int64_t, int64_t> resolveSlice(int64_t start, int64_t end,
                                                int64_t step, int64_t dim) {
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  // ceil(distance / |step|) written so that huge steps cannot overflow.
  int64_t size;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    size = end > start ? (end - start - 1) / step + 1 : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    int64_t magnitude = step == std::numeric_limits<int64_t>::min()
                            ? std::numeric_limits<int64_t>::max()
                            : -step;
    size = start > end ? (start - end - 1) / magnitude + 1 : 0;
  }
  return {size > 0 ? start : 0, size};
}

// Slice-13: starts, ends and the optional axes / steps are constant inputs.
/// Slice with every list given: `axes` defaults to 0..n-1, `steps` to 1s.
static LogicalResult slice(OnnxNode &node, ArrayRef<int64_t> startList, ArrayRef<int64_t> endList,
                           std::optional<SmallVector<int64_t>> axisList,
                           std::optional<SmallVector<int64_t>> stepList) {
  ArrayRef<int64_t> shape = node.inputType(0).getShape();
  int64_t rank = shape.size();
  size_t count = startList.size();
  SmallVector<int64_t> starts(startList), ends(endList);
  SmallVector<int64_t> axes =
      axisList ? *axisList : llvm::to_vector(llvm::seq<int64_t>(0, count));
  SmallVector<int64_t> steps = stepList ? *stepList : SmallVector<int64_t>(count, 1);
  if (ends.size() != count || axes.size() != count || steps.size() != count)
    return node.emitError() << "expected starts, ends, axes and steps of one "
                               "length, found "
                            << count << ", " << ends.size() << ", "
                            << axes.size() << " and " << steps.size();
  FailureOr<SmallVector<int64_t>> normalized = node.normalizeAxes(axes, rank);
  if (failed(normalized))
    return failure();

  SmallVector<int64_t> offsets(rank, 0), sizes(shape), strides(rank, 1);
  for (size_t i = 0; i < count; ++i) {
    int64_t axis = (*normalized)[i], step = steps[i];
    if (step == 0)
      return node.emitError() << "expected non-zero steps, found "
                              << formatShape(steps);
    if (ShapedType::isDynamic(shape[axis]))
      return node.emitError() << "cannot slice run-time dim " << axis << " of "
                              << node.input(0).getType() << " (not supported yet)";
    auto [offset, size] = resolveSlice(starts[i], ends[i], step, shape[axis]);
    offsets[axis] = offset;
    sizes[axis] = size;
    strides[axis] = step;
  }
  return node.setOutput(
      0, node.create<SliceOp>(node.input(0), ValueRange{}, offsets, sizes, strides));
}

/// `expr` as MLIR prints it ("s0 + 1").
static std::string affineText(AffineExpr expr) {
  std::string text;
  llvm::raw_string_ostream os(text);
  expr.print(os);
  return text;
}

/// Slice of static dims to a run-time end (attnc compile --max-shape), as
/// exporters cut position tables and causal-mask buffers to the sequence
/// length: constant non-negative starts, steps of 1, and ends whose bound
/// stays within the dim.
static LogicalResult runTimeSlice(OnnxNode &node, ArrayRef<AffineExpr> starts,
                                  ArrayRef<AffineExpr> ends) {
  const ShapeExprs &exprs = *node.shapeExprs();
  RankedTensorType type = node.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, starts.size()));
  if (node.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> given = node.constantInts(3, "axes");
    if (failed(given))
      return failure();
    axes = *given;
  }
  if (node.hasInput(4)) {
    FailureOr<SmallVector<int64_t>> steps = node.constantInts(4, "steps");
    if (failed(steps))
      return failure();
    if (llvm::any_of(*steps, [](int64_t step) { return step != 1; }))
      return node.emitError() << "a slice to a run-time end needs steps of 1";
  }
  FailureOr<SmallVector<int64_t>> normalized = node.normalizeAxes(axes, rank);
  if (failed(normalized) || ends.size() != starts.size() || axes.size() != starts.size())
    return node.emitError() << "expected starts, ends and axes of one length";
  SmallVector<int64_t> offsets(rank, 0), sizes(type.getShape());
  SmallVector<std::optional<AffineExpr>> counts(rank);
  // Axes whose rows start at a run-time offset: (axis, start, count).
  SmallVector<std::tuple<int64_t, AffineExpr, AffineExpr>> runTimeStarts;
  for (auto [i, axis] : llvm::enumerate(*normalized)) {
    auto start = dyn_cast<AffineConstantExpr>(starts[i]);
    int64_t dim = type.getDimSize(axis);
    if (ShapedType::isDynamic(dim))
      return node.emitError() << "a slice with run-time bounds needs a static dim (axis " << axis
                              << ")";
    if (!start) {
      // A run-time start (GPT-2's causal rows `bias[past : past + seq]`):
      // within the dim for every value of the run-time dims.
      std::optional<int64_t> low = exprs.lowerBound(starts[i]);
      std::optional<int64_t> high = exprs.upperBound(ends[i]);
      if (!low || *low < 0 || !high || *high > dim)
        return node.emitError() << "the run-time start and end of axis " << axis
                                << " may fall outside its dim " << dim << " (start "
                                << affineText(starts[i]) << " from "
                                << (low ? std::to_string(*low) : std::string("unknown"))
                                << ", end " << affineText(ends[i]) << " up to "
                                << (high ? std::to_string(*high) : std::string("unknown"))
                                << ", with s0, s1, ... the run-time dims)";
      runTimeStarts.push_back({axis, starts[i], ends[i] - starts[i]});
      continue;
    }
    if (start.getValue() < 0)
      return node.emitError() << "a slice with run-time bounds needs a non-negative start "
                                 "(axis "
                              << axis << ")";
    int64_t offset = std::min(start.getValue(), dim);
    if (auto end = dyn_cast<AffineConstantExpr>(ends[i])) {
      // A constant end: a static size, clamped as ONNX clamps.
      offsets[axis] = offset;
      sizes[axis] = std::max<int64_t>(0, std::clamp<int64_t>(end.getValue() < 0 ? end.getValue() + dim : end.getValue(), 0, dim) - offset);
      continue;
    }
    std::optional<int64_t> bound = exprs.upperBound(ends[i]);
    if (!bound || *bound > dim)
      return node.emitError() << "the run-time end of axis " << axis
                              << " may exceed its dim " << dim << " (bound "
                              << (bound ? std::to_string(*bound) : std::string("unknown"))
                              << ")";
    offsets[axis] = offset;
    counts[axis] = ends[i] - offset;
  }
  // Constant ends first (a static slice), then the run-time counts.
  Value input = node.input(0);
  if (llvm::any_of(llvm::zip(sizes, type.getShape()),
                   [](auto pair) { return std::get<0>(pair) != std::get<1>(pair); })) {
    SmallVector<int64_t> staticOffsets(rank, 0), strides(rank, 1);
    for (int64_t d = 0; d < rank; ++d)
      if (!counts[d])
        staticOffsets[d] = offsets[d];
    FailureOr<Value> cut = node.create<SliceOp>(input, ValueRange{}, staticOffsets, sizes, strides);
    if (failed(cut))
      return failure();
    input = *cut;
    for (int64_t d = 0; d < rank; ++d)
      if (!counts[d])
        offsets[d] = 0;
  }
  FailureOr<Value> cut = node.cutToRunTimeCounts(input, offsets, counts);
  if (failed(cut))
    return failure();
  // Rows from a run-time start: a gather of start + [0, count).
  for (auto [axis, start, count] : runTimeStarts) {
    FailureOr<Value> rows =
        node.runTimeRange(start, count, node.builder().getI64Type());
    if (failed(rows))
      return failure();
    cut = node.create<GatherOp>(*cut, *rows, axis);
    if (failed(cut))
      return failure();
  }
  return node.setOutput(0, *cut);
}

// Slice-10/11/13: starts, ends and the optional axes and steps are inputs.
static LogicalResult convertSlice(OnnxNode &node) {
  if (failed(node.requireInputs(3)))
    return failure();
  if (const ShapeExprs *exprs = node.shapeExprs();
      exprs && (exprs->isRunTimeValue(node.input(1)) || exprs->isRunTimeValue(node.input(2))))
    if (auto starts = exprs->elementsOf(node.input(1)))
      if (auto ends = exprs->elementsOf(node.input(2)))
        return runTimeSlice(node, *starts, *ends);
  std::optional<SmallVector<int64_t>> lists[4];
  StringRef roles[4] = {"starts", "ends", "axes", "steps"};
  for (unsigned i = 0; i < 4; ++i) {
    if (i >= 2 && !node.hasInput(i + 1))
      continue;
    FailureOr<SmallVector<int64_t>> list = node.constantInts(i + 1, roles[i]);
    if (failed(list))
      return failure();
    lists[i] = *list;
  }
  return slice(node, *lists[0], *lists[1], lists[2], lists[3]);
}

// Slice-1: starts, ends and the optional axes are attributes; no steps.
static LogicalResult convertSliceAttr(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  std::optional<SmallVector<int64_t>> starts = node.getInts("starts"), ends = node.getInts("ends");
  if (!starts || !ends)
    return node.emitError() << "expected 'starts' and 'ends' attributes";
  return slice(node, *starts, *ends, node.getInts("axes"), std::nullopt);
}

// Gather: negative indices are resolved by the lowering at run time (and by
// the folder when the indices are constant).
static LogicalResult convertGather(OnnxNode &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  FailureOr<int64_t> axis = node.normalizeAxis(node.getInt("axis", 0),
                                               node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return node.setOutput(
      0, node.create<GatherOp>(node.input(0), node.input(1), *axis));
}

// Trilu-14: k (the diagonal) is an optional constant input.
static LogicalResult convertTrilu(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  int64_t diagonal = 0;
  if (node.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> k = node.constantInts(1, "k");
    if (failed(k))
      return failure();
    if (k->size() != 1)
      return node.emitError() << "expected input 1 ('k') to hold one value, "
                                 "found "
                              << k->size();
    diagonal = k->front();
  }
  return node.setOutput(0, node.create<TriluOp>(node.input(0),
                                                node.getInt("upper", 1) != 0,
                                                diagonal));
}

void mlir::attn::onnx_frontend::registerIndexingHandlers(
    HandlerRegistry &registry) {
  for (int64_t since : {4, 11, 13})
    registry.add("Concat", since, convertConcat);
  for (int64_t since : {2, 11})
    registry.add("Split", since, convertSplitAttr);
  registry.add("Split", 13, convertSplit);
  registry.add("Slice", 1, convertSliceAttr);
  for (int64_t since : {10, 11, 13})
    registry.add("Slice", since, convertSlice);
  for (int64_t since : {1, 11, 13})
    registry.add("Gather", since, convertGather);
  registry.add("Trilu", 14, convertTrilu);
}

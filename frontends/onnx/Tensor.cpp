//===- Tensor.cpp - ONNX shape-changing ops, Cast, Shape, Size ------------===//
//
// Reshape, Flatten, Squeeze and Unsqueeze all become attn.reshape with a
// resolved shape; Shape and Size become constants, since every shape is
// static once the inputs are bound.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxNode.h"
#include "frontends/onnx/ShapeExprs.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "frontends/onnx/Registry.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t result = 1;
  for (int64_t dim : dims)
    result *= dim;
  return result;
}

static FailureOr<SmallVector<int64_t>> runTimeReshapeTarget(OnnxNode &node, bool allowZero);

// Reshape-14: 0 copies the input dim (unless allowzero), -1 is inferred.
static LogicalResult convertReshape(OnnxNode &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  bool allowZero = node.getInt("allowzero", 0) != 0;
  // A target computed from run-time dims (attnc compile --max-shape).
  const ShapeExprs *exprs = node.shapeExprs();
  if (exprs && !node.inputType(0).hasStaticShape() && exprs->elementsOf(node.input(1))) {
    FailureOr<SmallVector<int64_t>> target = runTimeReshapeTarget(node, allowZero);
    if (failed(target))
      return failure();
    return node.setOutput(0, node.create<ReshapeOp>(node.input(0), *target));
  }
  FailureOr<SmallVector<int64_t>> requested = node.constantInts(1, "shape");
  if (failed(requested))
    return failure();
  ArrayRef<int64_t> input = node.inputType(0).getShape();
  SmallVector<int64_t> shape;
  std::optional<size_t> inferred;
  for (auto [i, dim] : llvm::enumerate(*requested)) {
    if (dim == 0 && !allowZero) {
      if (i >= input.size())
        return node.emitError() << "shape " << formatShape(*requested)
                                << " copies dim " << i << " (0), but the "
                                << "input " << formatShape(input)
                                << " has no such dim";
      dim = input[i];
    } else if (dim == -1) {
      if (inferred)
        return node.emitError() << "shape " << formatShape(*requested)
                                << " has more than one -1";
      inferred = i;
      dim = 1;
    } else if (dim < 0) {
      return node.emitError() << "shape " << formatShape(*requested)
                              << " has a negative dim other than -1";
    }
    shape.push_back(dim);
  }
  if (!elementCount(shape))
    return node.emitError() << "shape " << formatShape(*requested)
                            << " has more elements than int64 can count";
  if (inferred) {
    int64_t known = product(shape);
    if (known == 0 || product(input) % known != 0)
      return node.emitError() << "cannot infer the -1 in shape "
                              << formatShape(*requested) << " for an input of "
                              << "shape " << formatShape(input);
    shape[*inferred] = product(input) / known;
  }
  return node.setOutput(0, node.create<ReshapeOp>(node.input(0), shape));
}

// Flatten: dims before `axis` (which may equal the rank) become one, the
// rest another.
static LogicalResult convertFlatten(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  ArrayRef<int64_t> input = node.inputType(0).getShape();
  int64_t rank = input.size(), axis = node.getInt("axis", 1);
  if (axis < -rank || axis > rank)
    return node.emitError() << "expected axis in [" << -rank << ", " << rank
                            << "], found " << axis;
  if (axis < 0)
    axis += rank;
  SmallVector<int64_t> shape = {product(input.take_front(axis)),
                                product(input.drop_front(axis))};
  return node.setOutput(0, node.create<ReshapeOp>(node.input(0), shape));
}

static LogicalResult convertTranspose(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  int64_t rank = node.inputType(0).getRank();
  SmallVector<int64_t> permutation = node.getInts("perm").value_or(
      llvm::to_vector(llvm::reverse(llvm::seq<int64_t>(0, rank))));
  return node.setOutput(0,
                        node.create<TransposeOp>(node.input(0), permutation));
}

/// Squeeze: `given` axes (or, without them, every unit dim) go.
static LogicalResult squeeze(OnnxNode &node, std::optional<SmallVector<int64_t>> given) {
  ArrayRef<int64_t> input = node.inputType(0).getShape();
  SmallVector<int64_t> axes;
  if (given) {
    FailureOr<SmallVector<int64_t>> normalized = node.normalizeAxes(*given, input.size());
    if (failed(normalized))
      return failure();
    axes = *normalized;
    for (int64_t axis : axes)
      if (input[axis] != 1)
        return node.emitError() << "cannot squeeze dim " << axis << " of size "
                                << input[axis] << " in "
                                << formatShape(input);
  } else {
    for (auto [i, dim] : llvm::enumerate(input))
      if (dim == 1)
        axes.push_back(i);
  }
  SmallVector<int64_t> shape;
  for (auto [i, dim] : llvm::enumerate(input))
    if (!llvm::is_contained(axes, (int64_t)i))
      shape.push_back(dim);
  return node.setOutput(0, node.create<ReshapeOp>(node.input(0), shape));
}

// Squeeze-13: axes is an optional input.
static LogicalResult convertSqueeze(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  if (!node.hasInput(1))
    return squeeze(node, std::nullopt);
  FailureOr<SmallVector<int64_t>> given = node.constantInts(1, "axes");
  if (failed(given))
    return failure();
  return squeeze(node, *given);
}

// Squeeze-1/11: axes is an optional attribute.
static LogicalResult convertSqueezeAttr(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  return squeeze(node, node.getInts("axes"));
}

/// Unsqueeze: `given` axes index the result, whose rank is the input's
/// plus the number of axes.
static LogicalResult unsqueeze(OnnxNode &node, ArrayRef<int64_t> given) {
  ArrayRef<int64_t> input = node.inputType(0).getShape();
  int64_t rank = input.size() + given.size();
  FailureOr<SmallVector<int64_t>> axes = node.normalizeAxes(given, rank);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> shape;
  const int64_t *next = input.begin();
  for (int64_t i = 0; i < rank; ++i)
    shape.push_back(llvm::is_contained(*axes, i) ? 1 : *next++);
  return node.setOutput(0, node.create<ReshapeOp>(node.input(0), shape));
}

// Unsqueeze-13: axes is an input.
static LogicalResult convertUnsqueeze(OnnxNode &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  FailureOr<SmallVector<int64_t>> given = node.constantInts(1, "axes");
  if (failed(given))
    return failure();
  return unsqueeze(node, *given);
}

// Unsqueeze-1/11: axes is a required attribute.
static LogicalResult convertUnsqueezeAttr(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  std::optional<SmallVector<int64_t>> given = node.getInts("axes");
  if (!given)
    return node.emitError() << "expected an 'axes' attribute";
  return unsqueeze(node, *given);
}

/// Expand to a shape computed from run-time dims: a target dim equal to
/// the input's aligned run-time dim keeps it; constants broadcast as usual.
static LogicalResult runTimeExpand(OnnxNode &node, ArrayRef<AffineExpr> target) {
  const ShapeExprs &exprs = *node.shapeExprs();
  RankedTensorType input = node.inputType(0);
  int64_t rank = std::max<int64_t>(input.getRank(), target.size());
  SmallVector<int64_t> shape;
  for (auto [i, element] : llvm::enumerate(target)) {
    int64_t aligned = (int64_t)i - (rank - input.getRank());
    if (auto c = dyn_cast<AffineConstantExpr>(element)) {
      shape.push_back(c.getValue());
      continue;
    }
    if (aligned < 0 || !input.isDynamicDim(aligned) ||
        exprs.dimOf(node.input(0), aligned) != element)
      return node.emitError() << "shape element " << i
                              << " is a run-time value that is not the input's run-time dim "
                                 "there (not supported yet)";
    shape.push_back(ShapedType::kDynamic);
  }
  return node.setOutput(0, node.create<BroadcastToOp>(node.input(0), shape));
}

static LogicalResult convertExpand(OnnxNode &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  if (const ShapeExprs *exprs = node.shapeExprs();
      exprs && exprs->isRunTimeValue(node.input(1)))
    if (auto target = exprs->elementsOf(node.input(1)))
      return runTimeExpand(node, *target);
  FailureOr<SmallVector<int64_t>> shape = node.constantInts(1, "shape");
  if (failed(shape))
    return failure();
  // A run-time dim against a constant target dim other than 1 would be
  // stretched or cut at run time: refused.
  RankedTensorType inputType = node.inputType(0);
  for (int64_t d = 0; d < inputType.getRank(); ++d) {
    int64_t aligned = d + (int64_t)shape->size() - inputType.getRank();
    if (inputType.isDynamicDim(d) && aligned >= 0 && (*shape)[aligned] != 1)
      return node.emitError() << "cannot expand run-time dim " << d << " of "
                              << node.input(0).getType() << " to the constant "
                              << (*shape)[aligned];
  }
  if (!elementCount(*shape))
    return node.emitError() << "expected a non-negative shape, found "
                            << formatShape(*shape);
  return node.setOutput(0, node.create<BroadcastToOp>(node.input(0), *shape));
}

static LogicalResult convertTile(OnnxNode &node) {
  if (failed(node.requireInputs(2)))
    return failure();
  FailureOr<SmallVector<int64_t>> repeats = node.constantInts(1, "repeats");
  if (failed(repeats))
    return failure();
  ArrayRef<int64_t> input = node.inputType(0).getShape();
  SmallVector<int64_t> tiled;
  for (auto [dim, repeat] : llvm::zip(input, *repeats))
    tiled.push_back(repeat < 0 || dim * (double)repeat > 9.0e18 ? -1
                                                               : dim * repeat);
  if (repeats->size() != input.size() || !elementCount(tiled))
    return node.emitError() << "expected " << input.size()
                            << " non-negative repeats that keep the result "
                               "countable, found "
                            << formatShape(*repeats);
  return node.setOutput(0, node.create<TileOp>(node.input(0), *repeats));
}

static LogicalResult convertCast(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  int64_t to = node.getInt("to", 0);
  Type element = convertElementType(node.context(), to);
  if (!element)
    return node.emitError() << "cast to unsupported element type '"
                            << elementTypeName(to) << "'";
  return node.setOutput(0, node.castTo(node.input(0), element));
}

static LogicalResult convertIdentity(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  return node.setOutput(0, node.input(0));
}

// Shape-15 adds start/end (negative counts from the back, clamped to the
// rank); before 15 they are absent and the defaults take the whole shape.
static LogicalResult convertShape(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  ArrayRef<int64_t> shape = node.inputType(0).getShape();
  int64_t rank = shape.size();
  auto clampIndex = [&](int64_t index) {
    if (index < 0)
      index += rank;
    return std::clamp<int64_t>(index, 0, rank);
  };
  int64_t start = clampIndex(node.getInt("start", 0));
  int64_t end = clampIndex(node.getInt("end", rank));
  ArrayRef<int64_t> dims = shape.slice(start, std::max<int64_t>(end - start, 0));
  if (llvm::none_of(dims, ShapedType::isDynamic))
    return node.setOutput(0, node.i64Vector(dims));
  // Run-time dims: the shape is built at run time (ShapeExprs follows what
  // it holds for the ops that take it as a parameter).
  OpBuilder &b = node.builder();
  Location loc = node.loc();
  SmallVector<Value> elements;
  for (auto [i, dim] : llvm::enumerate(dims)) {
    if (!ShapedType::isDynamic(dim)) {
      elements.push_back(arith::ConstantIntOp::create(b, loc, b.getI64Type(), dim));
      continue;
    }
    Value size = tensor::DimOp::create(b, loc, node.input(0), start + i);
    elements.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(), size));
  }
  return node.setOutput(0, tensor::FromElementsOp::create(
                               b, loc, RankedTensorType::get({(int64_t)dims.size()},
                                                             b.getI64Type()),
                               elements)
                               .getResult());
}

/// A Reshape's target from shape arithmetic on run-time dims (ShapeExprs):
/// a constant element is a dim (0 copies the input's, unless allowzero);
/// one equal to a run-time dim of the input stays that run-time dim. -1 and
/// other expressions are refused.
static FailureOr<SmallVector<int64_t>> runTimeReshapeTarget(OnnxNode &node, bool allowZero) {
  const ShapeExprs *exprs = node.shapeExprs();
  std::optional<SmallVector<AffineExpr>> elements =
      exprs ? exprs->elementsOf(node.input(1)) : std::nullopt;
  if (!elements)
    return node.emitError() << "expected input 1 ('shape') to be a constant, or shape "
                               "arithmetic on the input's dims that attnc can follow";
  RankedTensorType input = node.inputType(0);
  // A 0 copies the input's dim.
  std::optional<size_t> inferred;
  for (auto [i, element] : llvm::enumerate(*elements)) {
    auto c = dyn_cast<AffineConstantExpr>(element);
    if (c && c.getValue() == -1 && !inferred)
      inferred = i;
    else if (c && c.getValue() == 0 && !allowZero && i < (size_t)input.getRank())
      (*elements)[i] = *exprs->dimOf(node.input(0), i);
  }
  // A -1 is the input's element count over the other elements' product:
  // both as a constant times run-time dims, the quotient a constant times
  // at most one run-time dim.
  if (inferred) {
    auto product = [&](auto &&factors) -> std::optional<std::pair<int64_t, SmallVector<AffineExpr>>> {
      int64_t constant = 1;
      SmallVector<AffineExpr> symbols;
      for (std::optional<AffineExpr> factor : factors) {
        if (!factor)
          return std::nullopt;
        if (auto c = dyn_cast<AffineConstantExpr>(*factor))
          constant *= c.getValue();
        else if (isa<AffineSymbolExpr>(*factor))
          symbols.push_back(*factor);
        else
          return std::nullopt;
      }
      return std::pair{constant, symbols};
    };
    SmallVector<std::optional<AffineExpr>> inputDims, otherElements;
    for (int64_t d = 0; d < input.getRank(); ++d)
      inputDims.push_back(exprs->dimOf(node.input(0), d));
    for (auto [i, element] : llvm::enumerate(*elements))
      if (i != *inferred)
        otherElements.push_back(element);
    auto total = product(inputDims), known = product(otherElements);
    bool divides = total && known && known->first > 0 && total->first % known->first == 0;
    SmallVector<AffineExpr> left = divides ? total->second : SmallVector<AffineExpr>{};
    for (AffineExpr symbol : divides ? known->second : SmallVector<AffineExpr>{}) {
      auto it = llvm::find(left, symbol);
      if (it == left.end()) {
        divides = false;
        break;
      }
      left.erase(it);
    }
    if (!divides || left.size() > 1)
      return node.emitError() << "cannot infer the -1 of a shape with run-time elements";
    AffineExpr quotient = getAffineConstantExpr(total->first / known->first, node.context());
    (*elements)[*inferred] = left.empty() ? quotient : quotient * left.front();
  }
  SmallVector<int64_t> shape;
  for (auto [i, element] : llvm::enumerate(*elements)) {
    if (auto c = dyn_cast<AffineConstantExpr>(element)) {
      int64_t dim = c.getValue();
      if (dim == 0 && !allowZero && i < (size_t)input.getRank())
        dim = input.getDimSize(i);
      if (dim < 0)
        return node.emitError() << "shape element " << i << " is " << dim;
      shape.push_back(dim);
      continue;
    }
    bool isInputDim = false;
    for (int64_t d = 0; d < input.getRank() && !isInputDim; ++d)
      isInputDim = input.isDynamicDim(d) && exprs->dimOf(node.input(0), d) == element;
    if (!isInputDim)
      return node.emitError() << "shape element " << i
                              << " is a run-time value that is not one of the input's "
                                 "run-time dims (not supported yet)";
    shape.push_back(ShapedType::kDynamic);
  }
  return shape;
}

static LogicalResult convertSize(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  return node.setOutput(0, node.scalar(node.builder().getI64Type(),
                                       node.inputType(0).getNumElements()));
}

void mlir::attn::onnx_frontend::registerTensorHandlers(
    HandlerRegistry &registry) {
  // Each op from the first version in effect at opset 7 whose inference
  // semantics the handler implements; later versions only added types.
  for (int64_t since : {5, 13})
    registry.add("Reshape", since, convertReshape);
  for (int64_t since : {1, 9, 11, 13})
    registry.add("Flatten", since, convertFlatten);
  for (int64_t since : {1, 13})
    registry.add("Transpose", since, convertTranspose);
  for (int64_t since : {1, 11})
    registry.add("Squeeze", since, convertSqueezeAttr);
  registry.add("Squeeze", 13, convertSqueeze);
  for (int64_t since : {1, 11})
    registry.add("Unsqueeze", since, convertUnsqueezeAttr);
  registry.add("Unsqueeze", 13, convertUnsqueeze);
  for (int64_t since : {8, 13})
    registry.add("Expand", since, convertExpand);
  for (int64_t since : {6, 13})
    registry.add("Tile", since, convertTile);
  for (int64_t since : {6, 9, 13})
    registry.add("Cast", since, convertCast);
  registry.add("Identity", 1, convertIdentity);
  for (int64_t since : {1, 13})
    registry.add("Shape", since, convertShape);
  for (int64_t since : {1, 13})
    registry.add("Size", since, convertSize);
}

//===- AttnMovementFolders.cpp - Folding of attn data movement, reductions ===//
//
// Reshape, transpose, broadcast_to, tile, slice, concat and gather of
// constants copy elements; reshape/transpose chains collapse; reductions of
// small constants are evaluated in row-major order.
//
//===----------------------------------------------------------------------===//

#include "dialects/attn/AttnOps.h"
#include "dialects/attn/FoldingUtils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::folding;

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

/// Folds a one-input data-movement op whose result element `i` is input
/// element `sourceOf(index of i)`.
template <typename SourceFn>
static OpFoldResult foldMovement(Operation *op, Attribute inputAttr,
                                 SourceFn sourceOf) {
  std::optional<Elements> input = Elements::read(inputAttr);
  RankedTensorType type = resultType(op);
  if (!input || !fitsFoldLimit(type, input->splat))
    return {};
  if (input->splat)
    return pickElements(*input, type, {0});
  ArrayRef<int64_t> inputShape =
      cast<RankedTensorType>(op->getOperand(0).getType()).getShape();
  SmallVector<int64_t> strides = rowMajorStrides(inputShape);
  SmallVector<int64_t> sources, index;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    delinearize(i, type.getShape(), index);
    int64_t linear = 0;
    for (auto [d, stride] : llvm::enumerate(strides))
      linear += sourceOf(index, d) * stride;
    sources.push_back(linear);
  }
  return pickElements(*input, type, sources);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) -> reshape(x): only the last shape matters.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    if (inner.getInput().getType() == getType())
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  // A weight blob is reshaped by re-typing its handle; no bytes move.
  if (auto resource =
          dyn_cast_if_present<DenseResourceElementsAttr>(adaptor.getInput()))
    return DenseResourceElementsAttr::get(getType(), resource.getRawHandle());
  std::optional<Elements> input = Elements::read(adaptor.getInput());
  if (!input || !fitsFoldLimit(getType(), input->splat))
    return {};
  return cast<DenseElementsAttr>(adaptor.getInput()).reshape(getType());
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> permutation = getPermutation();
  if (llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size())))
    return getInput();
  // transpose(transpose(x, p), q) -> transpose(x, p o q).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t p : permutation)
      composed.push_back(inner.getPermutation()[p]);
    if (llvm::equal(composed, llvm::seq<int64_t>(0, composed.size())))
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    return getResult();
  }
  // Result dim r reads input dim permutation[r]; invert for input dim d.
  SmallVector<int64_t> resultDimOf(permutation.size());
  for (auto [r, p] : llvm::enumerate(permutation))
    resultDimOf[p] = r;
  return foldMovement(*this, adaptor.getInput(),
                      [&](ArrayRef<int64_t> index, size_t d) {
                        return index[resultDimOf[d]];
                      });
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  ArrayRef<int64_t> inputShape = getInput().getType().getShape();
  size_t lead = getType().getRank() - inputShape.size();
  return foldMovement(*this, adaptor.getInput(),
                      [&](ArrayRef<int64_t> index, size_t d) {
                        return inputShape[d] == 1 ? 0 : index[lead + d];
                      });
}

// Trilu of a constant (masks built as full(-inf).triu(1), ones().tril()).
OpFoldResult TriluOp::fold(FoldAdaptor adaptor) {
  std::optional<Elements> input = Elements::read(adaptor.getInput());
  RankedTensorType type = getType();
  if (!input || !fitsFoldLimit(type, /*splat=*/false))
    return {};
  int64_t rank = type.getRank();
  int64_t rows = type.getDimSize(rank - 2), cols = type.getDimSize(rank - 1);
  bool upper = getUpper();
  int64_t diagonal = getDiagonal();
  auto keep = [&](int64_t i) {
    int64_t distance = i % cols - (i / cols) % rows;
    return upper ? distance >= diagonal : distance <= diagonal;
  };
  int64_t count = type.getNumElements();
  if (input->isFloat()) {
    APFloat zero = APFloat::getZero(input->floatAt(0).getSemantics());
    return buildElements(type, count, [&](int64_t i) -> std::optional<APFloat> {
      return keep(i) ? input->floatAt(i) : zero;
    });
  }
  APInt zero = APInt::getZero(input->intAt(0).getBitWidth());
  return buildElements(type, count, [&](int64_t i) -> std::optional<APInt> {
    return keep(i) ? input->intAt(i) : zero;
  });
}

OpFoldResult TileOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  ArrayRef<int64_t> inputShape = getInput().getType().getShape();
  return foldMovement(*this, adaptor.getInput(),
                      [&](ArrayRef<int64_t> index, size_t d) {
                        return index[d] % inputShape[d];
                      });
}

/// A static slice of a shape vector built at run time (tensor.from_elements
/// of dims, some of them run-time): when every element it picks is a
/// constant, the slice is that constant. `v.size(-1)` of a [1, 12, ?, 64]
/// tensor is then 64 at compile time, so an attention scale computed from
/// it stays a constant.
static Attribute foldSliceOfShapeVector(SliceOp op) {
  auto vector = op.getInput().getDefiningOp<tensor::FromElementsOp>();
  if (!vector || op.getType().getRank() != 1 || !op.getDynamicSizes().empty())
    return {};
  SmallVector<Attribute> picked;
  int64_t offset = op.getOffsets()[0], stride = op.getStrides()[0];
  for (int64_t i = 0, e = op.getType().getNumElements(); i < e; ++i) {
    int64_t at = offset + i * stride;
    if (at < 0 || at >= (int64_t)vector.getElements().size())
      return {};
    Attribute element;
    if (!matchPattern(vector.getElements()[at], m_Constant(&element)) ||
        !isa<IntegerAttr, FloatAttr>(element))
      return {};
    picked.push_back(element);
  }
  return DenseElementsAttr::get(op.getType(), picked);
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> offsets = getOffsets(), strides = getStrides();
  if (getInput().getType() == getType() &&
      llvm::all_of(offsets, [](int64_t o) { return o == 0; }) &&
      llvm::all_of(strides, [](int64_t s) { return s == 1; }))
    return getInput();
  if (!getType().hasStaticShape())
    return {};
  if (Attribute picked = foldSliceOfShapeVector(*this))
    return picked;
  return foldMovement(*this, adaptor.getInput(),
                      [&](ArrayRef<int64_t> index, size_t d) {
                        return offsets[d] + index[d] * strides[d];
                      });
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  RankedTensorType type = getType();
  if (!fitsFoldLimit(type, /*splat=*/false))
    return {};
  SmallVector<Elements> inputs;
  for (Attribute attr : adaptor.getInputs()) {
    std::optional<Elements> elements = Elements::read(attr);
    if (!elements)
      return {};
    inputs.push_back(std::move(*elements));
  }
  // Result element -> (input, linear index in that input).
  int64_t axis = getAxis();
  SmallVector<int64_t> axisStart;
  int64_t start = 0;
  for (Value input : getInputs()) {
    axisStart.push_back(start);
    start += cast<RankedTensorType>(input.getType()).getDimSize(axis);
  }
  SmallVector<std::pair<int64_t, int64_t>> sources;
  SmallVector<int64_t> index;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    delinearize(i, type.getShape(), index);
    int64_t which = llvm::upper_bound(axisStart, index[axis]) - axisStart.begin() - 1;
    // upper_bound skips inputs that are empty along the axis.
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(getInputs()[which].getType()).getShape();
    index[axis] -= axisStart[which];
    SmallVector<int64_t> strides = rowMajorStrides(shape);
    int64_t linear = 0;
    for (auto [d, stride] : llvm::enumerate(strides))
      linear += index[d] * stride;
    sources.push_back({which, linear});
  }
  if (inputs.front().isFloat())
    return buildElements(type, sources.size(), [&](int64_t i) {
      return std::optional<APFloat>(
          inputs[sources[i].first].floatAt(sources[i].second));
    });
  return buildElements(type, sources.size(), [&](int64_t i) {
    return std::optional<APInt>(
        inputs[sources[i].first].intAt(sources[i].second));
  });
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  std::optional<Elements> indices = Elements::read(adaptor.getIndices());
  if (!indices)
    return {};
  RankedTensorType dataType = getData().getType();
  int64_t axis = getAxis(), extent = dataType.getDimSize(axis);
  int64_t indicesRank = getIndices().getType().getRank();
  // Negative indices count from the end; out of range stays unfolded.
  SmallVector<int64_t> positions;
  for (int64_t i = 0, e = indices->splat ? 1 : (int64_t)indices->ints.size();
       i < e; ++i) {
    int64_t position = indices->intAt(i).getSExtValue();
    if (position < 0)
      position += extent;
    if (position < 0 || position >= extent)
      return {};
    positions.push_back(position);
  }
  return foldMovement(*this, adaptor.getData(),
                      [&](ArrayRef<int64_t> index, size_t d) -> int64_t {
                        if ((int64_t)d < axis)
                          return index[d];
                        if ((int64_t)d > axis)
                          return index[d - 1 + indicesRank];
                        if (indices->splat)
                          return positions[0];
                        ArrayRef<int64_t> shape =
                            getIndices().getType().getShape();
                        int64_t linear = 0;
                        for (int64_t k = 0; k < indicesRank; ++k)
                          linear = linear * shape[k] + index[axis + k];
                        return positions[linear];
                      });
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {
enum class ReduceKind { Sum, Mean, Max, Min };
} // namespace

/// Folds a reduction of a constant; elements combine in row-major order.
static OpFoldResult foldReduce(Operation *op, Attribute inputAttr,
                               ArrayRef<int64_t> axes, ReduceKind kind) {
  if (axes.empty() && op->getOperand(0).getType() == resultType(op))
    return op->getOperand(0);
  std::optional<Elements> input = Elements::read(inputAttr);
  RankedTensorType type = resultType(op);
  if (!input || !fitsFoldLimit(type, /*splat=*/false))
    return {};
  ArrayRef<int64_t> inputShape =
      cast<RankedTensorType>(op->getOperand(0).getType()).getShape();
  // The result in keepdims form has the same row-major order either way.
  SmallVector<int64_t> kept(inputShape);
  int64_t reduced = 1;
  for (int64_t axis : axes) {
    reduced *= kept[axis];
    kept[axis] = 1;
  }
  if (reduced == 0 && (kind == ReduceKind::Max || kind == ReduceKind::Min))
    return {};
  SmallVector<int64_t> keptStrides = rowMajorStrides(kept);
  int64_t inputCount = 1;
  for (int64_t dim : inputShape)
    inputCount *= dim;
  // A huge splat would cost a long loop for one number; leave it.
  if (inputCount > 16 * kMaxFoldedElements)
    return {};
  SmallVector<SmallVector<int64_t>> members(type.getNumElements());
  SmallVector<int64_t> index;
  for (int64_t i = 0; i < inputCount; ++i) {
    delinearize(i, inputShape, index);
    int64_t target = 0;
    for (auto [d, stride] : llvm::enumerate(keptStrides))
      target += (kept[d] == 1 ? 0 : index[d]) * stride;
    members[target].push_back(i);
  }
  if (input->isFloat()) {
    const llvm::fltSemantics &semantics =
        cast<FloatType>(input->elementType).getFloatSemantics();
    return buildElements(type, members.size(), [&](int64_t r) {
      APFloat acc = kind == ReduceKind::Sum || kind == ReduceKind::Mean
                        ? APFloat::getZero(semantics)
                        : input->floatAt(members[r].front());
      for (int64_t i : members[r]) {
        const APFloat &value = input->floatAt(i);
        if (kind == ReduceKind::Max)
          acc = llvm::maximum(acc, value);
        else if (kind == ReduceKind::Min)
          acc = llvm::minimum(acc, value);
        else
          acc = acc + value;
      }
      if (kind == ReduceKind::Mean) {
        APFloat count(semantics);
        count.convertFromAPInt(APInt(64, reduced), false,
                               APFloat::rmNearestTiesToEven);
        acc = acc / count;
      }
      return std::optional<APFloat>(acc);
    });
  }
  unsigned width = input->elementType.getIntOrFloatBitWidth();
  return buildElements(type, members.size(), [&](int64_t r) {
    APInt acc = kind == ReduceKind::Sum || kind == ReduceKind::Mean
                    ? APInt(width, 0)
                    : input->intAt(members[r].front());
    for (int64_t i : members[r]) {
      const APInt &value = input->intAt(i);
      if (kind == ReduceKind::Max)
        acc = lessThan(acc, value) ? value : acc;
      else if (kind == ReduceKind::Min)
        acc = lessThan(value, acc) ? value : acc;
      else
        acc += value;
    }
    if (kind == ReduceKind::Mean) {
      if (width == 1 || reduced == 0)
        return std::optional<APInt>();
      acc = acc.sdiv(APInt(width, reduced));
    }
    return std::optional<APInt>(acc);
  });
}

OpFoldResult ReduceSumOp::fold(FoldAdaptor adaptor) {
  return foldReduce(*this, adaptor.getInput(), getAxes(), ReduceKind::Sum);
}
OpFoldResult ReduceMeanOp::fold(FoldAdaptor adaptor) {
  return foldReduce(*this, adaptor.getInput(), getAxes(), ReduceKind::Mean);
}
OpFoldResult ReduceMaxOp::fold(FoldAdaptor adaptor) {
  return foldReduce(*this, adaptor.getInput(), getAxes(), ReduceKind::Max);
}
OpFoldResult ReduceMinOp::fold(FoldAdaptor adaptor) {
  return foldReduce(*this, adaptor.getInput(), getAxes(), ReduceKind::Min);
}

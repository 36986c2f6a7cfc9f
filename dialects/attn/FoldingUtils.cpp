//===- FoldingUtils.cpp - Element access for the attn folders -------------===//

#include "dialects/attn/FoldingUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::folding;

DenseElementsAttr mlir::attn::asDenseElements(Attribute value,
                                              int64_t maxElements) {
  if (auto dense = dyn_cast_if_present<DenseElementsAttr>(value))
    return dense;
  auto resource = dyn_cast_if_present<DenseResourceElementsAttr>(value);
  if (!resource)
    return {};
  ShapedType type = resource.getType();
  if (!type.hasStaticShape() || type.getNumElements() > maxElements)
    return {};
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  if (!blob)
    return {};
  ArrayRef<char> data = blob->getData();
  Type element = type.getElementType();
  // Resource blobs hold one byte per i1; DenseElementsAttr packs bits.
  if (element.isInteger(1)) {
    if ((int64_t)data.size() != type.getNumElements())
      return {};
    SmallVector<bool> bits(llvm::map_range(data, [](char c) { return c != 0; }));
    return DenseElementsAttr::get(type, bits);
  }
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0 ||
      (int64_t)data.size() !=
          type.getNumElements() * (element.getIntOrFloatBitWidth() / 8))
    return {};
  return DenseElementsAttr::getFromRawBuffer(type, data);
}

std::optional<Elements> Elements::read(Attribute attr) {
  DenseElementsAttr dense = asDenseElements(attr);
  if (!dense)
    return std::nullopt;
  Elements result;
  result.elementType = dense.getElementType();
  result.splat = dense.isSplat();
  if (!result.splat && dense.getNumElements() > kMaxFoldedElements)
    return std::nullopt;
  if (isa<FloatType>(result.elementType)) {
    if (result.splat)
      result.floats.push_back(dense.getSplatValue<APFloat>());
    else
      llvm::append_range(result.floats, dense.getValues<APFloat>());
  } else if (result.elementType.isSignlessInteger()) {
    if (result.splat)
      result.ints.push_back(dense.getSplatValue<APInt>());
    else
      llvm::append_range(result.ints, dense.getValues<APInt>());
  } else {
    return std::nullopt;
  }
  return result;
}

Attribute folding::pickElements(const Elements &source, RankedTensorType type,
                               ArrayRef<int64_t> sources) {
  if (source.isFloat())
    return buildElements(type, sources.size(), [&](int64_t i) {
      return std::optional<APFloat>(source.floatAt(sources[i]));
    });
  return buildElements(type, sources.size(), [&](int64_t i) {
    return std::optional<APInt>(source.intAt(sources[i]));
  });
}

SmallVector<int64_t> folding::rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = (int64_t)shape.size() - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

void folding::delinearize(int64_t linear, ArrayRef<int64_t> shape,
                         SmallVectorImpl<int64_t> &index) {
  index.assign(shape.size(), 0);
  for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
    if (shape[d] == 0)
      return;
    index[d] = linear % shape[d];
    linear /= shape[d];
  }
}

SmallVector<int64_t> folding::broadcastSources(ArrayRef<int64_t> operand,
                                              ArrayRef<int64_t> result) {
  SmallVector<int64_t> strides = rowMajorStrides(operand);
  size_t lead = result.size() - operand.size();
  int64_t count = 1;
  for (int64_t dim : result)
    count *= dim;
  SmallVector<int64_t> sources, index;
  sources.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    delinearize(i, result, index);
    int64_t linear = 0;
    for (size_t d = 0; d < operand.size(); ++d)
      if (operand[d] != 1)
        linear += index[lead + d] * strides[d];
    sources.push_back(linear);
  }
  return sources;
}

//===- Broadcast.cpp - numpy broadcasting of static shapes ----------------===//

#include "dialects/attn/Broadcast.h"
#include "mlir/IR/BuiltinTypeInterfaces.h"

namespace mlir::attn {

std::optional<SmallVector<int64_t>>
broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (ArrayRef<int64_t> shape : shapes)
    rank = std::max(rank, shape.size());
  SmallVector<int64_t> result(rank, 1);
  for (ArrayRef<int64_t> shape : shapes) {
    size_t lead = rank - shape.size();
    for (auto [i, dim] : llvm::enumerate(shape)) {
      int64_t &out = result[lead + i];
      if (dim == 1 || dim == out)
        continue;
      if (out == 1) {
        out = dim;
        continue;
      }
      if (ShapedType::isDynamic(dim))
        continue;
      if (ShapedType::isDynamic(out)) {
        out = dim;
        continue;
      }
      return std::nullopt;
    }
  }
  return result;
}

bool isBroadcastableTo(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  if (from.size() > to.size())
    return false;
  size_t lead = to.size() - from.size();
  for (auto [i, dim] : llvm::enumerate(from))
    if (dim != 1 && dim != to[lead + i])
      return false;
  return true;
}

} // namespace mlir::attn

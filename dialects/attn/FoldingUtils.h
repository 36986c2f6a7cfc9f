//===- FoldingUtils.h - Element access for the attn folders -----*- C++ -*-===//
//
// Shared by AttnFolders.cpp (elementwise) and AttnMovementFolders.cpp (data
// movement, reductions): constants read as APInt / APFloat lists, results
// built under the size limit, and row-major index arithmetic.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECTS_ATTN_FOLDINGUTILS_H
#define ATTNC_DIALECTS_ATTN_FOLDINGUTILS_H

#include "dialects/attn/AttnFolders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"
#include <optional>
#include <type_traits>

namespace mlir::attn::folding {

/// A constant's elements widened to APInt (integers, i1) or APFloat; a splat
/// keeps its one element, so splats of any size fold cheaply.
struct Elements {
  Type elementType;
  bool splat = false;
  SmallVector<APInt> ints;
  SmallVector<APFloat> floats;

  /// The elements of a constant operand's attribute, or nullopt when it is
  /// not a constant the folders read (absent, too large, not int/float).
  static std::optional<Elements> read(Attribute attr);

  bool isFloat() const { return isa<FloatType>(elementType); }
  const APInt &intAt(int64_t i) const { return ints[splat ? 0 : i]; }
  const APFloat &floatAt(int64_t i) const { return floats[splat ? 0 : i]; }
};

inline RankedTensorType resultType(Operation *op) {
  return cast<RankedTensorType>(op->getResult(0).getType());
}

/// Whether a result of `type` may be built (splats always may).
inline bool fitsFoldLimit(RankedTensorType type, bool splat) {
  return splat || (type.hasStaticShape() &&
                   type.getNumElements() <= kMaxFoldedElements);
}

/// Builds a constant of `type` from `count` values computed by `compute(i)`
/// (an optional APInt or APFloat); any nullopt cancels the fold. One value
/// makes a splat.
template <typename ComputeFn>
Attribute buildElements(RankedTensorType type, int64_t count,
                        ComputeFn compute) {
  using ElementT =
      typename std::invoke_result_t<ComputeFn, int64_t>::value_type;
  SmallVector<ElementT> values;
  values.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    std::optional<ElementT> value = compute(i);
    if (!value)
      return {};
    values.push_back(std::move(*value));
  }
  return DenseElementsAttr::get(type, ArrayRef<ElementT>(values));
}

/// Copies source elements: result element `i` is `source` element
/// `sources[i]` (one source makes a splat).
Attribute pickElements(const Elements &source, RankedTensorType type,
                       ArrayRef<int64_t> sources);

SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape);

/// The row-major multi-index of `linear` in `shape`.
void delinearize(int64_t linear, ArrayRef<int64_t> shape,
                 SmallVectorImpl<int64_t> &index);

/// For each element of `result`, the linear index in `operand` that numpy
/// broadcasting reads (broadcast.C1).
SmallVector<int64_t> broadcastSources(ArrayRef<int64_t> operand,
                                      ArrayRef<int64_t> result);

/// Integer order: i1 is a boolean (0 < 1), wider integers are signed.
inline bool lessThan(const APInt &a, const APInt &b) {
  return a.getBitWidth() == 1 ? a.ult(b) : a.slt(b);
}

inline APInt boolValue(bool value) { return APInt(1, value ? 1 : 0); }

} // namespace mlir::attn::folding

#endif // ATTNC_DIALECTS_ATTN_FOLDINGUTILS_H

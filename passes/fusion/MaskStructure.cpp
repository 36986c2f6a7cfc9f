//===- MaskStructure.cpp - Prove the structure of an attention mask -----===//

#include "passes/fusion/MaskStructure.h"
#include "passes/fusion/MaskEvaluator.h"
#include <cmath>

namespace mlir::attn {

/// Masks up to this many elements are read (64 Mi: a 8192 x 8192 mask).
static constexpr int64_t kMaxMaskElements = int64_t(1) << 26;

FailureOr<MaskStructure> inferMaskStructure(SdpaOp op, std::string &reason,
                                            Value mask) {
  auto fail = [&](const Twine &why) -> FailureOr<MaskStructure> {
    reason = why.str();
    return failure();
  };
  if (!mask)
    mask = op.getDenseMask();
  if (!mask)
    return fail("no dense mask");
  // Constant masks, and masks the graph computes from constants (Range /
  // compare, Trilu, slices of a registered buffer), are evaluated here.
  std::optional<EvaluatedTensor> evaluated =
      evaluateConstantSubgraph(mask, kMaxMaskElements);
  if (!evaluated)
    return fail("the mask is computed at run time (not from constants only)");
  auto type = cast<RankedTensorType>(mask.getType());
  bool boolean = type.getElementType().isInteger(1);

  // Pad the mask's shape to [mB, mH, S or 1, T or 1].
  SmallVector<int64_t> shape(type.getShape());
  while (shape.size() < 4)
    shape.insert(shape.begin(), 1);
  SdpaDims dims = op.getDims();
  int64_t batch = dims.batch, s = dims.queryLen, t = dims.keyLen;
  int64_t mB = shape[0], mH = shape[1], mS = shape[2], mT = shape[3];

  // visible[b][h][i][j] from the flattened values.
  std::vector<char> visible(evaluated->data.size());
  size_t index = 0;
  if (boolean) {
    for (double v : evaluated->data)
      visible[index++] = v != 0;
  } else {
    for (double x : evaluated->data) {
      if (x == 0)
        visible[index++] = 1;
      else if (x <= -1e4)
        visible[index++] = 0;
      else
        return fail("the mask holds a bias (" + Twine(std::to_string(x)) +
                    "), not only 0 and -inf / large negative values");
    }
  }
  auto at = [&](int64_t b, int64_t h, int64_t i, int64_t j) -> bool {
    b = mB == 1 ? 0 : b;
    h = mH == 1 ? 0 : h;
    i = mS == 1 ? 0 : i;
    j = mT == 1 ? 0 : j;
    return visible[((b * mH + h) * mS + i) * mT + j];
  };
  for (int64_t b = 0; b < mB; ++b)
    for (int64_t h = 1; h < mH; ++h)
      for (int64_t i = 0; i < mS; ++i)
        for (int64_t j = 0; j < mT; ++j)
          if (at(b, h, i, j) != at(b, 0, i, j))
            return fail("the mask differs between heads");
  int64_t rows = mB == 1 ? 1 : batch;
  for (int64_t b = 0; b < rows; ++b)
    for (int64_t i = 0; i < s; ++i) {
      bool any = false;
      for (int64_t j = 0; j < t && !any; ++j)
        any = at(b, 0, i, j);
      if (!any)
        return fail("query row " + Twine(i) + " (batch " + Twine(b) +
                    ") sees no key; the graph's result there depends on its fill");
    }

  // A key column is kept by the key mask when some query sees it.
  std::vector<std::vector<bool>> keys(rows, std::vector<bool>(t, false));
  bool anyKeyHidden = false;
  for (int64_t b = 0; b < rows; ++b)
    for (int64_t j = 0; j < t; ++j) {
      for (int64_t i = 0; i < s && !keys[b][j]; ++i)
        keys[b][j] = at(b, 0, i, j);
      anyKeyHidden |= !keys[b][j];
    }

  // Try top-left (offset 0) and bottom-right (T - S) alignment. Both can
  // fit (causal with S < T is also a window reaching T - S keys right of
  // the diagonal); the reading a person would name has the smaller reach
  // to the right, so keep the first exact fit with the least `right`.
  SmallVector<int64_t> offsets = {0};
  if (t != s)
    offsets.push_back(t - s);
  std::optional<MaskStructure> best;
  int64_t bestRight = 0;
  for (int64_t offset : offsets) {
    // The tightest band holding every visible entry (over kept keys).
    int64_t left = -1, right = -1;
    for (int64_t b = 0; b < rows; ++b)
      for (int64_t i = 0; i < s; ++i)
        for (int64_t j = 0; j < t; ++j)
          if (keys[b][j] && at(b, 0, i, j)) {
            left = std::max(left, offset + i - j);
            right = std::max(right, j - i - offset);
          }
    // A band must include the diagonal for both bounds to be non-negative.
    if (left < 0 || right < 0)
      continue;
    bool exact = true;
    for (int64_t b = 0; b < rows && exact; ++b)
      for (int64_t i = 0; i < s && exact; ++i)
        for (int64_t j = 0; j < t && exact; ++j) {
          int64_t d = j - i - offset;
          bool inBand = d >= -left && d <= right;
          exact = at(b, 0, i, j) == (inBand && keys[b][j]);
        }
    if (!exact)
      continue;
    MaskStructure structure;
    // A bound no query can reach hides nothing.
    bool leftUnbounded = left >= offset + s - 1;
    bool rightUnbounded = right >= t - 1 - offset;
    if (!leftUnbounded || !rightUnbounded)
      structure.window = WindowAttr::get(
          op.getContext(), leftUnbounded ? WindowAttr::kUnbounded : left,
          rightUnbounded ? WindowAttr::kUnbounded : right);
    structure.offset = structure.window ? offset : 0;
    if (anyKeyHidden) {
      structure.keyMask = keys;
      if (rows == 1 && batch > 1)
        structure.keyMask->assign(batch, keys[0]);
    }
    if (!best || right < bestRight) {
      best = std::move(structure);
      bestRight = right;
    }
  }
  if (best)
    return *best;
  return fail("the visible entries are neither a band (window) nor a band "
              "with key padding");
}

} // namespace mlir::attn

//===- FlashCommon.cpp - Pieces both attn.sdpa kernels share -------------===//

#include "passes/tiling/FlashCommon.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tiling;

Value tiling::zigzagBlock(IndexMath &im, Value slot, Value count) {
  Value half = im.div(slot, 2);
  Value odd =
      arith::CmpIOp::create(im.b, im.loc, arith::CmpIPredicate::ne, im.rem(slot, 2), im.c(0));
  std::optional<int64_t> known = getConstantIntValue(count);
  Value last = known ? im.c(*known - 1) : im.sub(count, im.c(1));
  return arith::SelectOp::create(im.b, im.loc, odd, im.sub(last, half), half);
}

namespace {

/// Bias at or below which a key is "weightless" next to any key above it:
/// adding a score of magnitude below 2^70 leaves such a bias where exp of
/// its difference to the row's maximum underflows to exactly 0 in f32
/// (finfo.min, the HF padding value, is -3.4e38).
constexpr double kWeightlessBias = -1e30;

/// min (`which` even) or max + 1 (odd) of the keys j for which `counts`
/// holds, folded into `acc`.
Value foldBound(OpBuilder &b, Location loc, Value counts, Value which, Value acc) {
  Value j = arith::IndexCastOp::create(b, loc, b.getI64Type(), linalg::IndexOp::create(b, loc, 1));
  Value isMax = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ne,
      arith::RemUIOp::create(b, loc, which, arith::ConstantIndexOp::create(b, loc, 2)),
      arith::ConstantIndexOp::create(b, loc, 0));
  Value one = arith::ConstantIntOp::create(b, loc, 1, 64);
  Value candidate = arith::SelectOp::create(
      b, loc, isMax, arith::MaxSIOp::create(b, loc, acc, arith::AddIOp::create(b, loc, j, one)),
      arith::MinSIOp::create(b, loc, acc, j));
  return arith::SelectOp::create(b, loc, counts, candidate, acc);
}

/// [B, 2·pairs] i64: `pairs` (first, one past last) ranges per batch row.
RankedTensorType boundsType(OpBuilder &b, Value keyMask, int64_t pairs) {
  int64_t batch = cast<RankedTensorType>(keyMask.getType()).getDimSize(0);
  return RankedTensorType::get({batch, 2 * pairs}, b.getI64Type());
}

/// (T, 0) per batch row, `pairs` times over: [B, 2·pairs], the empty range.
Value emptyBounds(OpBuilder &b, Location loc, Value keyMask, int64_t pairs) {
  auto maskType = cast<RankedTensorType>(keyMask.getType());
  int64_t batch = maskType.getDimSize(0), t = maskType.getDimSize(1);
  RankedTensorType type = boundsType(b, keyMask, pairs);
  if (ShapedType::isDynamic(t)) {
    // A run-time key length: from the mask's own dim.
    Value keys = arith::IndexCastOp::create(
        b, loc, b.getI64Type(),
        tensor::DimOp::create(b, loc, keyMask, arith::ConstantIndexOp::create(b, loc, 1)));
    Value zero = arith::ConstantIntOp::create(b, loc, 0, 64);
    SmallVector<Value> empty;
    for (int64_t i = 0; i < batch * pairs; ++i)
      empty.append({keys, zero});
    return tensor::FromElementsOp::create(b, loc, type, empty);
  }
  SmallVector<int64_t> empty;
  for (int64_t i = 0; i < batch * pairs; ++i)
    empty.append({t, 0});
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, ArrayRef<int64_t>(empty)));
}

AffineMap boundsMap(MLIRContext *c, unsigned rows, AffineExpr column) {
  return AffineMap::get(rows, 0, {getAffineDimExpr(0, c), column}, c);
}

} // namespace

Value tiling::buildKeyBounds(OpBuilder &b, Location loc, SdpaOp op) {
  Value keyMask = op.getKeyMask();
  MLIRContext *c = b.getContext();
  auto floatType = dyn_cast<FloatType>(cast<RankedTensorType>(keyMask.getType()).getElementType());
  // Every query sees every key of its batch row: no window, no dense mask.
  bool sharedKeys = floatType && op.getWindow().isUnbounded() && !op.getDenseMask();
  int64_t pairs = sharedKeys ? 2 : 1;
  utils::IteratorType iterators[] = {utils::IteratorType::parallel,
                                     utils::IteratorType::reduction,
                                     utils::IteratorType::parallel};
  // Loops (b, j, which): pair 0 over the keys that are not hidden (true,
  // or a bias other than -inf), pair 1 over the keys whose bias is above
  // kWeightlessBias.
  Value bounds =
      linalg::GenericOp::create(
          b, loc, boundsType(b, keyMask, pairs), keyMask,
          emptyBounds(b, loc, keyMask, pairs),
          ArrayRef<AffineMap>{
              AffineMap::get(3, 0, {getAffineDimExpr(0, c), getAffineDimExpr(1, c)}, c),
              boundsMap(c, 3, getAffineDimExpr(2, c))},
          iterators,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value which = linalg::IndexOp::create(nb, l, 2);
            Value counts = a[0];
            if (floatType) {
              // Unordered compares: a NaN bias always counts (and poisons
              // its row, as it must).
              auto constant = [&](double v) {
                return arith::ConstantOp::create(nb, l, nb.getFloatAttr(floatType, v));
              };
              counts = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UNE, a[0],
                                             constant(-std::numeric_limits<double>::infinity()));
              if (sharedKeys) {
                Value weighty = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::UGT, a[0],
                                                      constant(kWeightlessBias));
                Value secondPair = arith::CmpIOp::create(
                    nb, l, arith::CmpIPredicate::uge, which, arith::ConstantIndexOp::create(nb, l, 2));
                counts = arith::SelectOp::create(nb, l, secondPair, weighty, counts);
              }
            }
            linalg::YieldOp::create(nb, l, ValueRange{foldBound(nb, l, counts, which, a[1])});
          })
          .getResult(0);
  if (!sharedKeys)
    return bounds;
  // The weighty keys' range where a row has one, else the range of all
  // its keys that are not -inf: a row of only weightless keys averages
  // them, as the graph's softmax does.
  auto half = [&](int64_t first) -> Value {
    OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1), two = b.getIndexAttr(2);
    OpFoldResult rows = b.getIndexAttr(cast<RankedTensorType>(bounds.getType()).getDimSize(0));
    return tensor::ExtractSliceOp::create(
        b, loc, bounds, ArrayRef<OpFoldResult>{zero, b.getIndexAttr(first)},
        ArrayRef<OpFoldResult>{rows, two}, ArrayRef<OpFoldResult>{one, one});
  };
  Value all = half(0), weighty = half(2);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, c);
  auto column = [&](int64_t k) { return boundsMap(c, 2, getAffineConstantExpr(k, c)); };
  return linalg::GenericOp::create(
             b, loc, all.getType(), ValueRange{all, weighty, weighty, weighty},
             emptyBounds(b, loc, keyMask, 1),
             ArrayRef<AffineMap>{identity, identity, column(0), column(1), identity},
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::parallel},
             [](OpBuilder &nb, Location l, ValueRange a) {
               Value all = a[0], weighty = a[1], weightyStart = a[2], weightyEnd = a[3];
               Value any = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, weightyStart,
                                                 weightyEnd);
               linalg::YieldOp::create(
                   nb, l, ValueRange{arith::SelectOp::create(nb, l, any, weighty, all)});
             })
      .getResult(0);
}

HeadRows tiling::headRows(OpBuilder &b, bool seqMajor, OpFoldResult batch, OpFoldResult head,
                          OpFoldResult start, OpFoldResult rows, int64_t cols) {
  OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0), width = b.getIndexAttr(cols);
  if (seqMajor)
    return {{batch, start, head, zero}, {one, rows, one, width}};
  return {{batch, head, start, zero}, {one, one, rows, width}};
}

SmallVector<Value, 4> tiling::headIndex(bool seqMajor, Value batch, Value head, Value position,
                                        Value column) {
  if (seqMajor)
    return {batch, position, head, column};
  return {batch, head, position, column};
}

KvBlockRange tiling::buildKvBlockRange(IndexMath &im, SdpaOp op, Value keyLen, Value keyBounds,
                                       Value bIdx, Value qStart, Value qLen, int64_t kvBlock) {
  OpBuilder &b = im.b;
  Location loc = im.loc;
  Value offset = im.c(0);
  if (Value offsetTensor = op.getOffset()) {
    SmallVector<Value> at;
    if (cast<RankedTensorType>(offsetTensor.getType()).getRank() == 1)
      at.push_back(bIdx);
    Value raw = tensor::ExtractOp::create(b, loc, offsetTensor, at);
    offset = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
  }
  Value firstPos = im.add(offset, qStart);
  Value lastPos = im.add(firstPos, im.sub(qLen, im.c(1)));
  WindowAttr window = op.getWindow();
  Value kvBegin = im.c(0), kvEnd = keyLen;
  if (!window.isLeftUnbounded())
    kvBegin = im.max(im.c(0), im.sub(firstPos, im.c(window.getLeft())));
  if (!window.isRightUnbounded())
    kvEnd = im.min(keyLen, im.add(lastPos, im.c(window.getRight() + 1)));
  if (keyBounds) {
    auto bound = [&](int64_t which) -> Value {
      Value v = tensor::ExtractOp::create(b, loc, keyBounds, ValueRange{bIdx, im.c(which)});
      return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
    };
    kvBegin = im.max(kvBegin, bound(0));
    kvEnd = im.min(kvEnd, bound(1));
  }
  Value blockBegin = im.floorDiv(kvBegin, im.c(kvBlock));
  Value blockEnd = im.max(blockBegin, im.ceilDiv(kvEnd, im.c(kvBlock)));
  return {firstPos, blockBegin, blockEnd};
}

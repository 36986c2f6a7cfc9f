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

Value tiling::buildKeyBounds(OpBuilder &b, Location loc, Value keyMask) {
  auto maskType = cast<RankedTensorType>(keyMask.getType());
  int64_t batch = maskType.getDimSize(0), t = maskType.getDimSize(1);
  auto boundsType = RankedTensorType::get({batch, 2}, b.getI64Type());
  Value init;
  if (ShapedType::isDynamic(t)) {
    // A run-time key length: (T, 0) per row from the mask's own dim.
    Value keys = arith::IndexCastOp::create(
        b, loc, b.getI64Type(),
        tensor::DimOp::create(b, loc, keyMask, arith::ConstantIndexOp::create(b, loc, 1)));
    Value zero = arith::ConstantIntOp::create(b, loc, 0, 64);
    SmallVector<Value> empty;
    for (int64_t i = 0; i < batch; ++i)
      empty.append({keys, zero});
    init = tensor::FromElementsOp::create(b, loc, boundsType, empty);
  } else {
    SmallVector<int64_t> empty;
    for (int64_t i = 0; i < batch; ++i)
      empty.append({t, 0});
    init = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(boundsType, ArrayRef<int64_t>(empty)));
  }
  MLIRContext *c = b.getContext();
  // Loops (b, j, which): `which` 0 tracks the min, 1 the max + 1.
  auto map = [&](unsigned d0, unsigned d1) {
    return AffineMap::get(3, 0, {getAffineDimExpr(d0, c), getAffineDimExpr(d1, c)}, c);
  };
  return linalg::GenericOp::create(
             b, loc, boundsType, keyMask, init, ArrayRef<AffineMap>{map(0, 1), map(0, 2)},
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::reduction,
                                           utils::IteratorType::parallel},
             [](OpBuilder &nb, Location l, ValueRange a) {
               Value visible = a[0];
               if (auto floatType = dyn_cast<FloatType>(visible.getType())) {
                 // Unordered-or-not-equal: a NaN bias stays visible (and
                 // poisons its row, as it must).
                 double negInf = -std::numeric_limits<double>::infinity();
                 visible = arith::CmpFOp::create(
                     nb, l, arith::CmpFPredicate::UNE, visible,
                     arith::ConstantOp::create(nb, l, nb.getFloatAttr(floatType, negInf)));
               }
               Value j = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                                    linalg::IndexOp::create(nb, l, 1));
               Value which = linalg::IndexOp::create(nb, l, 2);
               Value isMax = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ne, which,
                                                   arith::ConstantIndexOp::create(nb, l, 0));
               Value one = arith::ConstantIntOp::create(nb, l, 1, 64);
               Value candidate = arith::SelectOp::create(
                   nb, l, isMax,
                   arith::MaxSIOp::create(nb, l, a[1], arith::AddIOp::create(nb, l, j, one)),
                   arith::MinSIOp::create(nb, l, a[1], j));
               linalg::YieldOp::create(
                   nb, l, ValueRange{arith::SelectOp::create(nb, l, visible, candidate, a[1])});
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

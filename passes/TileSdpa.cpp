//===- TileSdpa.cpp - FlashAttention-2 loop for attn.sdpa ----*- C++ -*-===//
//
// Lowers attn.sdpa to loops over (batch, query head, q-block) and, inside,
// over only the kv-blocks the window lets a q-block see, keeping a running
// max and sum and rescaling the accumulator (online softmax); the division
// happens once per q-block. No S x T buffer exists: memory is O(S·D).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Transforms.h"
#include "passes/lowering/LinalgBuilders.h"
#include "passes/tiling/FlashCommon.h"
#include "passes/tiling/VectorFlashKernel.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNTILESDPAPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::lowering;
using namespace mlir::attn::tiling;

namespace {

using utils::IteratorType;

/// A linalg.generic over `loops` loops writing `init` (read back as the last
/// block argument), reading `inputs` through `maps`.
Value generic(OpBuilder &b, Location loc, ValueRange inputs, Value init,
              ArrayRef<AffineMap> maps, ArrayRef<IteratorType> loops,
              function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, init, maps, loops,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args));
             })
      .getResult(0);
}

Value emptyTile(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type element) {
  return tensor::EmptyOp::create(b, loc, sizes, element);
}

Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type element,
             Value value) {
  return linalg::FillOp::create(b, loc, value, emptyTile(b, loc, sizes, element))
      .getResult(0);
}

/// The rows [start, start + rows) of head `head` in batch row `batch` of
/// an sdpa tensor, as a rank-reduced [rows, cols] slice.
Value sliceHeadRows(OpBuilder &b, Location loc, Value source, bool seqMajor, Value batch,
                    Value head, Value start, Value rows, int64_t cols) {
  auto type = cast<RankedTensorType>(source.getType());
  auto resultType = RankedTensorType::get({ShapedType::kDynamic, cols}, type.getElementType());
  HeadRows at = headRows(b, seqMajor, batch, head, start, rows, cols);
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, resultType, source, at.offsets, at.sizes, strides);
}

/// A rank-reduced 2-D slice [rows, cols] at (i0, i1, r0, c0) of a 4-D tensor.
Value slice2dAt(OpBuilder &b, Location loc, Value source, Value i0, Value i1,
                OpFoldResult r0, OpFoldResult rows, OpFoldResult c0, OpFoldResult cols) {
  auto type = cast<RankedTensorType>(source.getType());
  auto dim = [](OpFoldResult size) {
    std::optional<int64_t> c = getConstantIntValue(size);
    return c ? *c : ShapedType::kDynamic;
  };
  auto resultType = RankedTensorType::get({dim(rows), dim(cols)}, type.getElementType());
  SmallVector<OpFoldResult> offsets = {i0, i1, r0, c0};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1), rows, cols};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, resultType, source, offsets, sizes, strides);
}

} // namespace

SdpaTilingPlan mlir::attn::planSdpaTiling(SdpaOp op, int64_t qBlock, int64_t kvBlock,
                                          int64_t vectorWidth) {
  int64_t s = op.getDims().queryLen, t = op.getDims().keyLen;
  if (ShapedType::isDynamic(s) || ShapedType::isDynamic(t))
    return SdpaTilingPlan{qBlock, kvBlock, 0, 0, std::nullopt, std::nullopt};
  SdpaTilingPlan plan{qBlock, kvBlock, (s + qBlock - 1) / qBlock, (t + kvBlock - 1) / kvBlock,
                      std::nullopt, std::nullopt};
  if (op.getOffset())
    return plan;
  int64_t span = vectorWidth ? (std::min(kvBlock, t) + vectorWidth - 1) / vectorWidth * vectorWidth
                             : std::min(kvBlock, t);
  bool masked = op.getKeyMask() || op.getDenseMask();
  // The same kv-block range the loop computes at run time.
  WindowAttr window = op.getWindow();
  int64_t visited = 0, full = 0;
  for (int64_t qb = 0; qb < plan.qBlocks; ++qb) {
    int64_t first = qb * qBlock, last = std::min(s, first + qBlock) - 1;
    int64_t begin = window.isLeftUnbounded() ? 0 : std::max<int64_t>(0, first - window.getLeft());
    int64_t end = window.isRightUnbounded() ? t : std::min(t, last + window.getRight() + 1);
    int64_t beginBlock = begin / kvBlock;
    int64_t endBlock = std::max(beginBlock, (end + kvBlock - 1) / kvBlock);
    visited += endBlock - beginBlock;
    for (int64_t kb = beginBlock; kb < endBlock && !masked; ++kb) {
      int64_t kStart = kb * kvBlock, kLen = std::min(kvBlock, t - kStart);
      bool cut = kLen < span ||
                 (!window.isLeftUnbounded() && kStart + window.getLeft() < last) ||
                 (!window.isRightUnbounded() && kStart + span - 1 - first > window.getRight());
      full += !cut;
    }
  }
  plan.visitedBlocks = visited;
  plan.fullBlocks = full;
  return plan;
}

namespace {

/// The online-softmax state a q-block carries through its kv loop: the
/// running row max m, row sum l and unnormalized output acc.
struct OnlineSoftmax {
  Value m, l, acc;
};

/// Where one iteration of the parallel loop works: batch row, query head,
/// the kv head its group reads, and its query rows [qStart, qStart + qLen)
/// (firstPos: the first row's position, for the window).
struct QBlockAt {
  Value batch, head, kvHead, qStart, qLen, firstPos;
};

/// The stages of the generic tiled loop (vector width 0), each a few
/// linalg ops on one q-block's tiles: scores, masking, the online-softmax
/// update, the final division. The vector kernel (VectorFlashKernel.cpp)
/// replaces all of them when a vector width is set.
class GenericTileStages {
public:
  GenericTileStages(OpBuilder &b, Location loc, SdpaOp op)
      : b(b), loc(loc), op(op), ctx(b.getContext()),
        element(cast<FloatType>(op.getQuery().getType().getElementType())),
        negInf(arith::ConstantOp::create(
            b, loc,
            b.getFloatAttr(element, APFloat::getInf(element.getFloatSemantics(), true)))),
        zero(scalarConstant(b, loc, element, 0.0)) {}

  /// m = -inf, l = 0, acc = 0 for `qLen` rows.
  OnlineSoftmax initialState(Value qLen) {
    int64_t dv = op.getDims().valueDim;
    return {filled(b, loc, {qLen}, element, negInf), filled(b, loc, {qLen}, element, zero),
            filled(b, loc, {qLen, b.getIndexAttr(dv)}, element, zero)};
  }

  /// s = q @ kᵀ with loops (i, e, j): j innermost streams a row of kᵀ.
  Value scores(Value qTile, Value kTile, ArrayRef<OpFoldResult> scoreSizes) {
    return generic(
        b, loc, ValueRange{qTile, kTile}, filled(b, loc, scoreSizes, element, zero),
        {map(3, {0, 1}), map(3, {1, 2}), map(3, {0, 2})},
        {IteratorType::parallel, IteratorType::reduction, IteratorType::parallel},
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::AddFOp::create(nb, l, a[2], arith::MulFOp::create(nb, l, a[0], a[1]));
        });
  }

  /// The scaled scores with the window, key mask and dense mask applied
  /// element by element: hidden scores are -inf, biases added.
  Value masked(Value scores, const QBlockAt &at, Value kStart, Value kLen,
               ArrayRef<OpFoldResult> scoreSizes) {
    SmallVector<Value> inputs = {scores};
    SmallVector<AffineMap> maps = {map(2, {0, 1})};
    if (Value keyMask = op.getKeyMask()) {
      auto rowType = RankedTensorType::get(
          {ShapedType::kDynamic}, cast<RankedTensorType>(keyMask.getType()).getElementType());
      inputs.push_back(tensor::ExtractSliceOp::create(
          b, loc, rowType, keyMask, ArrayRef<OpFoldResult>{at.batch, kStart},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), kLen},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)}));
      maps.push_back(map(2, {1}));
    }
    Value denseMask = op.getDenseMask();
    if (denseMask)
      appendDenseMaskTile(at, kStart, kLen, inputs, maps);
    bool hasKeyMask = (bool)op.getKeyMask(), keyMaskIsBias = (bool)op.getKeyBias();
    bool denseIsBool = denseMask && cast<RankedTensorType>(denseMask.getType())
                                        .getElementType()
                                        .isInteger(1);
    WindowAttr window = op.getWindow();
    double scale = op.getScale().convertToDouble();
    maps.push_back(map(2, {0, 1}));
    return generic(
        b, loc, inputs, emptyTile(b, loc, scoreSizes, element), maps,
        {IteratorType::parallel, IteratorType::parallel},
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value x = arith::MulFOp::create(nb, l, a[0], scalarConstant(nb, l, element, scale));
          unsigned next = 1;
          Value visible;
          auto conjoin = [&](Value c) {
            visible = visible ? arith::AndIOp::create(nb, l, visible, c).getResult() : c;
          };
          if (!window.isUnbounded()) {
            IndexMath il{nb, l};
            Value qPos = il.add(at.firstPos, linalg::IndexOp::create(nb, l, 0));
            Value kPos = il.add(kStart, linalg::IndexOp::create(nb, l, 1));
            Value distance = il.sub(kPos, qPos);
            if (!window.isLeftUnbounded())
              conjoin(arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, distance,
                                            il.c(-window.getLeft())));
            if (!window.isRightUnbounded())
              conjoin(arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle, distance,
                                            il.c(window.getRight())));
          }
          if (hasKeyMask) {
            if (keyMaskIsBias)
              x = arith::AddFOp::create(nb, l, x, a[next++]);
            else
              conjoin(a[next++]);
          }
          if (denseMask) {
            if (denseIsBool)
              conjoin(a[next++]);
            else
              x = arith::AddFOp::create(nb, l, x, a[next++]);
          }
          if (visible)
            x = arith::SelectOp::create(nb, l, visible, x, negInf);
          return x;
        });
  }

  /// Online softmax over one kv-block: m' = max(m, rowmax(s)); p = exp(s -
  /// m'); corr = exp(m - m'); l' = l * corr + rowsum(p); acc' = acc * corr
  /// + p @ v.
  OnlineSoftmax update(const OnlineSoftmax &state, Value masked, Value vTile, Value qLen,
                       ArrayRef<OpFoldResult> scoreSizes) {
    SmallVector<OpFoldResult> rowSizes = {qLen};
    SmallVector<OpFoldResult> accSizes = {qLen, b.getIndexAttr(op.getDims().valueDim)};
    Value mNew = generic(b, loc, masked, state.m, {map(2, {0, 1}), map(2, {0})},
                         {IteratorType::parallel, IteratorType::reduction},
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::MaximumFOp::create(nb, l, a[1], a[0]);
                         });
    Value probs = generic(b, loc, ValueRange{masked, mNew}, emptyTile(b, loc, scoreSizes, element),
                          {map(2, {0, 1}), map(2, {0}), map(2, {0, 1})},
                          {IteratorType::parallel, IteratorType::parallel},
                          [&](OpBuilder &nb, Location l, ValueRange a) {
                            return shiftedExp(nb, l, a[0], a[1]);
                          });
    Value correction = generic(b, loc, ValueRange{state.m, mNew},
                               emptyTile(b, loc, rowSizes, element),
                               {map(1, {0}), map(1, {0}), map(1, {0})}, {IteratorType::parallel},
                               [&](OpBuilder &nb, Location l, ValueRange a) {
                                 return shiftedExp(nb, l, a[0], a[1]);
                               });
    Value lScaled = generic(b, loc, ValueRange{state.l, correction},
                            emptyTile(b, loc, rowSizes, element),
                            {map(1, {0}), map(1, {0}), map(1, {0})}, {IteratorType::parallel},
                            [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                              return arith::MulFOp::create(nb, l, a[0], a[1]);
                            });
    Value lNew = generic(b, loc, probs, lScaled, {map(2, {0, 1}), map(2, {0})},
                         {IteratorType::parallel, IteratorType::reduction},
                         [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return arith::AddFOp::create(nb, l, a[1], a[0]);
                         });
    Value accScaled = generic(b, loc, ValueRange{state.acc, correction},
                              emptyTile(b, loc, accSizes, element),
                              {map(2, {0, 1}), map(2, {0}), map(2, {0, 1})},
                              {IteratorType::parallel, IteratorType::parallel},
                              [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                return arith::MulFOp::create(nb, l, a[0], a[1]);
                              });
    // acc' += p @ v with loops (i, j, c): c innermost streams rows of v.
    Value accNew = generic(
        b, loc, ValueRange{probs, vTile}, accScaled, {map(3, {0, 1}), map(3, {1, 2}), map(3, {0, 2})},
        {IteratorType::parallel, IteratorType::reduction, IteratorType::parallel},
        [](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::AddFOp::create(nb, l, a[2], arith::MulFOp::create(nb, l, a[0], a[1]));
        });
    return {mNew, lNew, accNew};
  }

  /// acc / l, divided once per q-block; a row that saw no key yields zeros
  /// (sdpa.C10).
  Value normalized(const OnlineSoftmax &state, Value qLen) {
    SmallVector<OpFoldResult> accSizes = {qLen, b.getIndexAttr(op.getDims().valueDim)};
    return generic(b, loc, ValueRange{state.acc, state.l}, emptyTile(b, loc, accSizes, element),
                   {map(2, {0, 1}), map(2, {0}), map(2, {0, 1})},
                   {IteratorType::parallel, IteratorType::parallel},
                   [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                     Value empty =
                         arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, a[1], zero);
                     Value q = arith::DivFOp::create(nb, l, a[0], a[1]);
                     return arith::SelectOp::create(nb, l, empty, zero, q);
                   });
  }

private:
  /// The projection of `n` loops onto `dims`.
  AffineMap map(unsigned n, ArrayRef<unsigned> dims) {
    return AffineMap::getMultiDimMapWithTargets(n, dims, ctx);
  }

  /// exp(x - m') where a hidden x (-inf) contributes exactly 0, also when
  /// the whole row is hidden so far (m' = -inf).
  Value shiftedExp(OpBuilder &nb, Location l, Value x, Value rowMax) {
    Value isHidden = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, x, negInf);
    Value e = math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, x, rowMax));
    return arith::SelectOp::create(nb, l, isHidden, zero, e);
  }

  /// The dense mask's [qLen, kLen] tile (a unit dim broadcasts: index 0
  /// there) and its indexing map, appended to `inputs` / `maps`.
  void appendDenseMaskTile(const QBlockAt &at, Value kStart, Value kLen,
                           SmallVectorImpl<Value> &inputs, SmallVectorImpl<AffineMap> &maps) {
    Value denseMask = op.getDenseMask();
    auto maskType = cast<RankedTensorType>(denseMask.getType());
    SmallVector<int64_t> shape(maskType.getShape());
    while (shape.size() < 4)
      shape.insert(shape.begin(), 1);
    Value mask4 = buildReshape(b, loc, denseMask, shape);
    auto at0 = [&](unsigned d, Value index) {
      return shape[d] == 1 ? OpFoldResult(b.getIndexAttr(0)) : OpFoldResult(index);
    };
    SmallVector<OpFoldResult> offsets = {at0(0, at.batch), at0(1, at.head),
                                         at0(2, at.qStart), at0(3, kStart)};
    SmallVector<OpFoldResult> sizes = {
        b.getIndexAttr(1), b.getIndexAttr(1),
        shape[2] == 1 ? OpFoldResult(b.getIndexAttr(1)) : OpFoldResult(at.qLen),
        shape[3] == 1 ? OpFoldResult(b.getIndexAttr(1)) : OpFoldResult(kLen)};
    auto tileType = RankedTensorType::get(
        {shape[2] == 1 ? 1 : ShapedType::kDynamic, shape[3] == 1 ? 1 : ShapedType::kDynamic},
        maskType.getElementType());
    inputs.push_back(tensor::ExtractSliceOp::create(
        b, loc, tileType, mask4, offsets, sizes, SmallVector<OpFoldResult>(4, b.getIndexAttr(1))));
    SmallVector<AffineExpr> exprs = {
        shape[2] == 1 ? getAffineConstantExpr(0, ctx) : getAffineDimExpr(0, ctx),
        shape[3] == 1 ? getAffineConstantExpr(0, ctx) : getAffineDimExpr(1, ctx)};
    maps.push_back(AffineMap::get(2, 0, exprs, ctx));
  }

  OpBuilder &b;
  Location loc;
  SdpaOp op;
  MLIRContext *ctx;
  FloatType element;
  Value negInf, zero;
};

/// K transposed once to [B, Hkv, D, T] (O(T·D) memory): the score
/// product's inner loop then streams contiguous key rows.
Value transposedKey(OpBuilder &b, Location loc, SdpaOp op) {
  SdpaDims dims = op.getDims();
  Type element = op.getQuery().getType().getElementType();
  bool keySeqMajor = op.isSeqMajor(SdpaTensor::Key);
  return linalg::TransposeOp::create(
             b, loc, op.getKey(),
             tensor::EmptyOp::create(
                 b, loc, ArrayRef<int64_t>{dims.batch, dims.kvHeads, dims.headDim, dims.keyLen},
                 element),
             keySeqMajor ? ArrayRef<int64_t>{0, 2, 3, 1} : ArrayRef<int64_t>{0, 1, 3, 2})
      .getResult()[0];
}

/// Records the tiling decisions on the loop: block sizes and, where
/// static, how many (q-block, kv-block) pairs a (batch, head) visits out of
/// all of them.
void recordTilingPlan(OpBuilder &b, SdpaOp op, Operation *loop, int64_t qBlock,
                      int64_t kvBlock) {
  SdpaTilingPlan plan = planSdpaTiling(op, qBlock, kvBlock);
  loop->setAttr("attn.q_block", b.getI64IntegerAttr(qBlock));
  loop->setAttr("attn.kv_block", b.getI64IntegerAttr(kvBlock));
  loop->setAttr("attn.total_blocks", b.getI64IntegerAttr(plan.qBlocks * plan.kvBlocks));
  if (plan.visitedBlocks)
    loop->setAttr("attn.visited_blocks", b.getI64IntegerAttr(*plan.visitedBlocks));
}

} // namespace

LogicalResult mlir::attn::tileSdpa(RewriterBase &rewriter, SdpaOp op,
                                   const SdpaTiling &tiling, const SdpaTiling &decodeTiling) {
  if (tiling.vectorWidth > 0) {
    tileSdpaWithVectorKernel(rewriter, op, tiling, decodeTiling);
    return success();
  }
  int64_t qBlock = tiling.qBlock, kvBlock = tiling.kvBlock;
  OpBuilder::InsertionGuard insertionGuard(rewriter);
  rewriter.setInsertionPoint(op);
  for (Value operand : op->getOperands())
    if (!cast<RankedTensorType>(operand.getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "tiling needs static shapes");
  Location loc = op.getLoc();
  auto element = op.getQuery().getType().getElementType();
  SdpaDims dims = op.getDims();
  int64_t heads = dims.queryHeads, group = heads / dims.kvHeads;
  int64_t s = dims.queryLen, t = dims.keyLen, d = dims.headDim, dv = dims.valueDim;
  OpBuilder &b = rewriter;
  IndexMath im{rewriter, loc};

  // With a key mask, each batch row's first and one-past-last visible key
  // (true, or an additive bias other than -inf) bound its kv loop too
  // (padding at either end is never visited): keyBounds[b] = (min j,
  // max j + 1) over visible keys, (T, 0) if none.
  Value keyBounds;
  if (op.getKeyMask())
    keyBounds = buildKeyBounds(rewriter, loc, op);
  Value keyT = transposedKey(b, loc, op);
  Value out = tensor::EmptyOp::create(rewriter, loc, op.getType().getShape(), element);
  // One parallel loop over every (batch, head, q-block). Causal and window
  // q-blocks carry unequal work, so consecutive iterations pair a short
  // block with a long one (0, n-1, 1, n-2, ...): contiguous chunks per
  // thread then hold equal work.
  int64_t qBlocks = (s + qBlock - 1) / qBlock;
  auto forall = scf::ForallOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(dims.batch * heads * qBlocks)},
      ValueRange{out}, std::nullopt);
  rewriter.setInsertionPoint(forall.getTerminator());
  Value flat = forall.getInductionVars()[0];
  Value perBatch = im.c(heads * qBlocks);
  QBlockAt at;
  at.batch = arith::DivUIOp::create(rewriter, loc, flat, perBatch);
  Value inBatch = arith::RemUIOp::create(rewriter, loc, flat, perBatch);
  at.head = arith::DivUIOp::create(rewriter, loc, inBatch, im.c(qBlocks));
  Value slot = arith::RemUIOp::create(rewriter, loc, inBatch, im.c(qBlocks));
  Value qBlockIdx = zigzagBlock(im, slot, im.c(qBlocks));
  at.kvHead = arith::DivUIOp::create(rewriter, loc, at.head, im.c(group));
  at.qStart = im.mul(qBlockIdx, im.c(qBlock));
  at.qLen = im.min(im.c(qBlock), im.sub(im.c(s), at.qStart));

  // The kv-blocks the window (and key mask) let this q-block see; the
  // others are never visited.
  KvBlockRange range =
      buildKvBlockRange(im, op, im.c(t), keyBounds, at.batch, at.qStart, at.qLen, kvBlock);
  at.firstPos = range.firstPos;

  Value qTile = sliceHeadRows(b, loc, op.getQuery(), op.isSeqMajor(SdpaTensor::Query), at.batch,
                              at.head, at.qStart, at.qLen, d);
  GenericTileStages stages(b, loc, op);
  OnlineSoftmax initial = stages.initialState(at.qLen);
  auto kvLoop = scf::ForOp::create(b, loc, range.blockBegin, range.blockEnd, im.c(1),
                                   ValueRange{initial.m, initial.l, initial.acc});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(kvLoop.getBody());
    ValueRange carried = kvLoop.getRegionIterArgs();
    Value kStart = im.mul(kvLoop.getInductionVar(), im.c(kvBlock));
    Value kLen = im.min(im.c(kvBlock), im.sub(im.c(t), kStart));
    Value kTile = slice2dAt(b, loc, keyT, at.batch, at.kvHead, b.getIndexAttr(0),
                            b.getIndexAttr(d), kStart, kLen);
    Value vTile = sliceHeadRows(b, loc, op.getValue(), op.isSeqMajor(SdpaTensor::Value),
                                at.batch, at.kvHead, kStart, kLen, dv);
    SmallVector<OpFoldResult> scoreSizes = {at.qLen, kLen};
    Value masked = stages.masked(stages.scores(qTile, kTile, scoreSizes), at, kStart, kLen,
                                 scoreSizes);
    OnlineSoftmax next =
        stages.update({carried[0], carried[1], carried[2]}, masked, vTile, at.qLen, scoreSizes);
    scf::YieldOp::create(b, loc, ValueRange{next.m, next.l, next.acc});
  }
  Value tile = stages.normalized(
      {kvLoop.getResult(0), kvLoop.getResult(1), kvLoop.getResult(2)}, at.qLen);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    HeadRows rows =
        headRows(b, op.isSeqMajor(SdpaTensor::Result), at.batch, at.head, at.qStart, at.qLen, dv);
    tensor::ParallelInsertSliceOp::create(b, loc, tile, forall.getRegionIterArgs()[0],
                                          rows.offsets, rows.sizes,
                                          SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
  }
  recordTilingPlan(b, op, forall, qBlock, kvBlock);
  rewriter.replaceOp(op, forall.getResult(0));
  return success();
}

namespace {

struct AttnTileSdpaPass : attn::impl::AttnTileSdpaPassBase<AttnTileSdpaPass> {
  using Base::Base;
  void runOnOperation() override {
    SdpaTiling defaults;
    defaults.qBlock = qBlock;
    defaults.kvBlock = kvBlock;
    defaults.vectorWidth = vectorWidth;
    defaults.registerRows = registerRows;
    defaults.registerColumnVectors = registerColumnVectors;
    defaults.kvSplits = kvSplits;
    defaults.avx512 = avx512;
    SmallVector<SdpaOp> ops;
    getOperation().walk([&](SdpaOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (SdpaOp op : ops) {
      // Empty tensors are left for attn-decompose-sdpa to compute (an empty
      // result, or zeros where there are queries but no keys): there is
      // nothing to tile.
      bool runTimeLengths = false, empty = false;
      for (Type type : op->getOperandTypes()) {
        auto tensor = cast<RankedTensorType>(type);
        runTimeLengths |= !tensor.hasStaticShape();
        empty |= tensor.hasStaticShape() && tensor.getNumElements() == 0;
      }
      if (empty)
        continue;
      FailureOr<std::optional<SdpaTiling>> recorded = getSdpaTiling(op);
      FailureOr<std::optional<SdpaTiling>> decode = getSdpaTiling(op, kDecodeTilingAttrName);
      if (failed(recorded) || failed(decode))
        return signalPassFailure();
      SdpaTiling tiling = recorded->value_or(defaults);
      SdpaTiling decodeTiling = decode->value_or(tiling);
      // Run-time lengths (S or T a `?`) only the vector kernel takes; the
      // others are left for attn-decompose-sdpa to report.
      if (runTimeLengths && tiling.vectorWidth == 0)
        continue;
      for (const SdpaTiling &each : {tiling, decodeTiling}) {
        std::string problem = validateSdpaTiling(op, each);
        if (!problem.empty()) {
          op.emitError("attn-tile-sdpa: ") << problem;
          return signalPassFailure();
        }
      }
      if (decodeTiling.vectorWidth != tiling.vectorWidth) {
        op.emitError("attn-tile-sdpa: ")
            << "'" << kDecodeTilingAttrName << "' must use the same vector_width as '"
            << kTilingAttrName << "'";
        return signalPassFailure();
      }
      (void)tileSdpa(rewriter, op, tiling, decodeTiling);
    }
  }
};

} // namespace

//===- AbsorbHeadLayout.cpp - Read sdpa tensors in the graph's layout ----===//
//
// Exported multi-head attention stores q, k, v and the output as
// [B, S, H, D] (a Reshape of the hidden states) and moves the heads in
// front with a Transpose before the attention and back after it. Each of
// those Transposes is a full copy of the tensor. An attn.sdpa reads any of
// its tensors sequence-major (#attn.layout, sdpa.C11), so the Transposes
// fold into the op and vanish; the Reshapes around them are free views.
//
// Heads folded into the batch (3-D [B·H, S, D] matmuls) fuse into an sdpa
// over [B·H, 1, S, D] Reshapes of [B, H, S, D] tensors (or of torch MHA's
// [S, B, H·D] projections); those are undone first, so the op knows its
// real heads (and its Transposes can go).
//
//===----------------------------------------------------------------------===//

#include "passes/MatchFailureRemarks.h"
#include "passes/Passes.h"
#include "passes/ScratchBuilder.h"
#include "passes/Transforms.h"
#include "passes/fusion/KeyOnlyMask.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNABSORBHEADLAYOUTPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Whether `transpose` swaps the axes 1 and 2 of a rank-4 tensor, the
/// permutation between [B, H, S, D] and [B, S, H, D].
bool swapsHeadsAndSequence(TransposeOp transpose) {
  return transpose.getPermutation() == ArrayRef<int64_t>{0, 2, 1, 3};
}

/// `op`'s layout with `tensor` sequence-major as `seqMajor` says; null when
/// every tensor is head-major (layout.C2).
LayoutAttr withSeqMajor(SdpaOp op, SdpaTensor tensor, bool seqMajor) {
  bool flags[4];
  for (unsigned i = 0; i < 4; ++i)
    flags[i] = op.isSeqMajor(SdpaTensor(i));
  flags[unsigned(tensor)] = seqMajor;
  if (!(flags[0] || flags[1] || flags[2] || flags[3]))
    return {};
  return LayoutAttr::get(op.getContext(), flags[0], flags[1], flags[2], flags[3]);
}

// sdpa(transpose(x, [0,2,1,3]), ...) -> sdpa(x, ...) {layout: query = bshd}
// (likewise for key and value). The Transpose must have no other use:
// otherwise it stays, and nothing is saved.
struct AbsorbOperandTranspose : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SdpaOp op, PatternRewriter &rewriter) const override {
    std::pair<SdpaTensor, OpOperand *> operands[] = {
        {SdpaTensor::Query, &op.getQueryMutable()},
        {SdpaTensor::Key, &op.getKeyMutable()},
        {SdpaTensor::Value, &op.getValueMutable()}};
    for (auto [tensor, slot] : operands) {
      OpOperand *operand = slot; // a lambda below captures it (C++17)
      auto transpose = operand->get().getDefiningOp<TransposeOp>();
      if (!transpose || !swapsHeadsAndSequence(transpose) || !transpose->hasOneUse())
        continue;
      // Reading through a Transpose flips the layout either way.
      LayoutAttr layout = withSeqMajor(op, tensor, !op.isSeqMajor(tensor));
      rewriter.modifyOpInPlace(op, [&] {
        operand->set(transpose.getInput());
        op.setLayoutAttr(layout);
      });
      return success();
    }
    return rewriter.notifyMatchFailure(op, "no operand is a head/sequence Transpose of its own");
  }
};

// transpose(sdpa(...), [0,2,1,3]) -> sdpa(...) {layout: result = bshd}
struct AbsorbResultTranspose : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SdpaOp op, PatternRewriter &rewriter) const override {
    if (!op->hasOneUse())
      return rewriter.notifyMatchFailure(op, "the result has other uses than one Transpose");
    auto transpose = dyn_cast<TransposeOp>(*op->user_begin());
    if (!transpose || !swapsHeadsAndSequence(transpose))
      return rewriter.notifyMatchFailure(op, "the result is not a head/sequence Transpose");
    LayoutAttr layout =
        withSeqMajor(op, SdpaTensor::Result, !op.isSeqMajor(SdpaTensor::Result));
    // The op keeps its own location: it names the attention site's nodes.
    rewriter.setInsertionPoint(transpose);
    auto absorbed = SdpaOp::create(rewriter, op.getLoc(), op.getQuery(), op.getKey(),
                                   op.getValue(), op.getOffset(), op.getKeyMask(),
                                   op.getDenseMask(), op.getScaleAttr(), op.getMaskAttr(), layout);
    absorbed->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    rewriter.replaceOp(transpose, absorbed);
    rewriter.eraseOp(op);
    return success();
  }
};

/// Where a [B·H, 1, L, D] sdpa operand comes from: a Reshape of a
/// [B, H, L, D] tensor, or (torch's nn.MultiheadAttention) of
/// transpose([L, B·H, D], [1, 0, 2]) where [L, B·H, D] is a Reshape of the
/// [L, B, H·D] projections.
struct FoldedHeads {
  Value source;
  bool sequenceFirst; // `source` is [L, B, H·D]
  int64_t batch, heads;
};

std::optional<FoldedHeads> matchFoldedHeads(Value folded) {
  auto reshape = folded.getDefiningOp<ReshapeOp>();
  if (!reshape)
    return std::nullopt;
  RankedTensorType from = reshape.getInput().getType(), to = reshape.getType();
  if (!from.hasStaticShape() || !to.hasStaticShape() || to.getRank() != 4 ||
      to.getDimSize(1) != 1)
    return std::nullopt;
  int64_t rows = to.getDimSize(0), length = to.getDimSize(2), depth = to.getDimSize(3);
  if (from.getRank() == 4) {
    if (from.getDimSize(0) * from.getDimSize(1) != rows || from.getDimSize(2) != length ||
        from.getDimSize(3) != depth)
      return std::nullopt;
    return FoldedHeads{reshape.getInput(), false, from.getDimSize(0), from.getDimSize(1)};
  }
  // [L, B·H, D] -> transpose [1, 0, 2] -> [B·H, L, D] -> reshape [B·H, 1, L, D].
  auto transpose = reshape.getInput().getDefiningOp<TransposeOp>();
  if (from.getRank() != 3 || !transpose ||
      transpose.getPermutation() != ArrayRef<int64_t>{1, 0, 2})
    return std::nullopt;
  auto split = transpose.getInput().getDefiningOp<ReshapeOp>();
  if (!split)
    return std::nullopt;
  RankedTensorType projections = split.getInput().getType();
  if (projections.getRank() != 3 || !projections.hasStaticShape() ||
      projections.getDimSize(0) != length || projections.getDimSize(2) % depth)
    return std::nullopt;
  int64_t batch = projections.getDimSize(1), heads = projections.getDimSize(2) / depth;
  if (batch * heads != rows)
    return std::nullopt;
  return FoldedHeads{split.getInput(), true, batch, heads};
}

/// The [B, H, L, D] tensor `folded` stands for.
Value unfoldHeads(PatternRewriter &rewriter, Location loc, const FoldedHeads &folded,
                  int64_t length, int64_t depth) {
  if (!folded.sequenceFirst)
    return folded.source;
  // One Transpose, as the graph's own [1, 0, 2] was (it is left unused).
  Value split = ReshapeOp::create(
      rewriter, loc, folded.source,
      rewriter.getDenseI64ArrayAttr({length, folded.batch, folded.heads, depth}));
  return TransposeOp::create(rewriter, loc, split, rewriter.getDenseI64ArrayAttr({1, 2, 0, 3}));
}

/// `v`, whose leading dim is B·H, computed again with that dim split into
/// [B, H] (the rest unchanged), by following it back to where the two were
/// merged: a reshape of a [B, H, ...] value, through elementwise ops and
/// reshapes of the rest. Null when the chain is otherwise (what was built
/// on the way is then unused).
Value splitRows(OpBuilder &b, Location loc, Value v, int64_t batch, int64_t heads,
                int depth = 0) {
  auto type = cast<RankedTensorType>(v.getType());
  ArrayRef<int64_t> shape = type.getShape();
  if (depth > 8 || shape.empty() || shape[0] != batch * heads)
    return Value();
  SmallVector<int64_t> split = {batch, heads};
  split.append(shape.begin() + 1, shape.end());
  Operation *def = v.getDefiningOp();
  if (!def)
    return Value();
  if (auto reshape = dyn_cast<ReshapeOp>(def)) {
    Value input = reshape.getInput();
    ArrayRef<int64_t> from = cast<RankedTensorType>(input.getType()).getShape();
    // Merged here: the input is [B, H, ...] (with the same element count).
    if (from.size() >= 2 && from[0] == batch && from[1] == heads)
      return b.createOrFold<ReshapeOp>(loc, input, b.getDenseI64ArrayAttr(split));
    if (Value inner = splitRows(b, loc, input, batch, heads, depth + 1))
      return b.createOrFold<ReshapeOp>(loc, inner, b.getDenseI64ArrayAttr(split));
    return Value();
  }
  if (!isElementwise(def))
    return Value();
  SmallVector<Value> operands;
  for (Value operand : def->getOperands()) {
    ArrayRef<int64_t> os = cast<RankedTensorType>(operand.getType()).getShape();
    if (os.size() < shape.size()) {
      operands.push_back(operand); // broadcast from the right: still aligned
    } else if (os[0] == 1) {
      SmallVector<int64_t> unit = {1, 1};
      unit.append(os.begin() + 1, os.end());
      operands.push_back(b.createOrFold<ReshapeOp>(loc, operand, b.getDenseI64ArrayAttr(unit)));
    } else if (Value inner = splitRows(b, loc, operand, batch, heads, depth + 1)) {
      operands.push_back(inner);
    } else {
      return Value();
    }
  }
  OperationState state(loc, def->getName().getIdentifier(), operands,
                       TypeRange{type.clone(split)}, def->getAttrs());
  return b.create(state)->getResult(0);
}

/// The key mask [B, T] of the unfolded op, when the folded op's [B·H, T]
/// key mask is the same for every head of a batch row (torch's MHA repeats
/// its key padding mask per head); null otherwise. Ops built on the way
/// and not used are erased again.
Value unfoldKeyMask(Operation *op, Value keyMask, int64_t batch, int64_t heads) {
  ScratchBuilder b(op);
  Location loc = op->getLoc();
  Value result;
  int64_t keyLen = cast<RankedTensorType>(keyMask.getType()).getShape()[1];
  if (Value rows = splitRows(b, loc, keyMask, batch, heads)) {
    // [B, H, T] as a mask of the scores [B, H, 1, T]: key-only when H is a
    // broadcast.
    Value scores = b.createOrFold<ReshapeOp>(loc, rows,
                                             b.getDenseI64ArrayAttr({batch, heads, 1, keyLen}));
    result = keyMaskOf(b, loc, scores, batch, keyLen);
  }
  if (!result)
    b.discardUnused();
  return result;
}

// sdpa(reshape(q4), reshape(k4), reshape(v4)) over [B·H, 1, L, D] views of
// [B, H, L, D] tensors -> reshape(sdpa(q4, k4, v4)), so that the op has H
// heads, not a batch of B·H single heads. Batch row n = b·H + h of the
// folded op is (b, h) of the unfolded one, so masks that do not vary by
// batch row carry over; a dense mask that does ([B·H, 1, S, T]) is
// reshaped the same way, and the other per-row operands (a [B·H] offset,
// a key mask that differs between the heads of a batch row) keep the op as
// it is; a key mask repeated per head becomes the unfolded op's [B, T].
struct UnfoldHeadsFromBatch : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SdpaOp op, PatternRewriter &rewriter) const override {
    if (op.getLayoutAttr())
      return rewriter.notifyMatchFailure(op, "already has a layout");
    SdpaDims dims = op.getDims();
    if (dims.queryHeads != 1 || dims.kvHeads != 1)
      return rewriter.notifyMatchFailure(op, "has heads of its own");
    std::optional<FoldedHeads> query = matchFoldedHeads(op.getQuery()),
                               key = matchFoldedHeads(op.getKey()),
                               value = matchFoldedHeads(op.getValue());
    if (!query || !key || !value)
      return rewriter.notifyMatchFailure(op, "q, k, v are not all [B·H, 1, L, D] views");
    auto shapeOf = [](Value v) { return cast<RankedTensorType>(v.getType()).getShape(); };
    int64_t batch = query->batch, heads = query->heads;
    for (const FoldedHeads &kv : {*key, *value})
      if (kv.batch != batch || kv.heads != heads)
        return rewriter.notifyMatchFailure(op, "q, k and v fold different heads");
    Value keyMask;
    if (op.getKeyMask() && !(keyMask = unfoldKeyMask(op, op.getKeyMask(), batch, heads)))
      return rewriter.notifyMatchFailure(op, "its key mask is per folded batch row");
    if (Value offset = op.getOffset())
      if (cast<RankedTensorType>(offset.getType()).getRank() != 0)
        return rewriter.notifyMatchFailure(op, "its offset is per folded batch row");
    Location loc = op.getLoc();
    Value dense = op.getDenseMask();
    if (dense) {
      // With one head, sdpa.C8 makes a rank-4 mask [B·H or 1, 1, S, T].
      ArrayRef<int64_t> shape = shapeOf(dense);
      bool perRow = shape.size() == 4 && shape[0] != 1;
      if (perRow) {
        auto unfoldedShape = rewriter.getDenseI64ArrayAttr({batch, heads, shape[2], shape[3]});
        dense = ReshapeOp::create(rewriter, loc, dense, unfoldedShape);
      }
    }
    Value q4 = unfoldHeads(rewriter, loc, *query, dims.queryLen, dims.headDim);
    Value k4 = unfoldHeads(rewriter, loc, *key, dims.keyLen, dims.headDim);
    Value v4 = unfoldHeads(rewriter, loc, *value, dims.keyLen, dims.valueDim);
    auto unfolded = SdpaOp::create(rewriter, loc, q4, k4, v4, op.getOffset(), keyMask, dense,
                                   op.getScaleAttr(),
                                   op.getMaskAttr(), /*layout=*/LayoutAttr());
    unfolded->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, unfolded,
                                           rewriter.getDenseI64ArrayAttr(op.getType().getShape()));
    return success();
  }
};

struct AttnAbsorbHeadLayoutPass
    : attn::impl::AttnAbsorbHeadLayoutPassBase<AttnAbsorbHeadLayoutPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnAbsorbHeadLayoutPatterns(patterns);
    if (failed(applyPatternsExplained(getOperation(), std::move(patterns), explain,
                                      getArgument())))
      return signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnAbsorbHeadLayoutPatterns(RewritePatternSet &patterns) {
  patterns.add<UnfoldHeadsFromBatch, AbsorbOperandTranspose, AbsorbResultTranspose>(
      patterns.getContext());
}

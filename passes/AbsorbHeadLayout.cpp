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
// over [B·H, 1, S, D] Reshapes of [B, H, S, D] tensors; those Reshapes are
// undone first, so the op knows its real heads (and its Transposes can go).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Transforms.h"
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

/// The [B, H, L, D] tensor that `folded` ([B·H, 1, L, D]) is a Reshape of,
/// or null.
Value unfoldedHeads(Value folded) {
  auto reshape = folded.getDefiningOp<ReshapeOp>();
  if (!reshape)
    return {};
  auto from = reshape.getInput().getType(), to = reshape.getType();
  if (from.getRank() != 4 || !from.hasStaticShape() || !to.hasStaticShape())
    return {};
  if (to.getDimSize(0) != from.getDimSize(0) * from.getDimSize(1) || to.getDimSize(1) != 1 ||
      to.getDimSize(2) != from.getDimSize(2) || to.getDimSize(3) != from.getDimSize(3))
    return {};
  return reshape.getInput();
}

// sdpa(reshape(q4), reshape(k4), reshape(v4)) over [B·H, 1, L, D] views of
// [B, H, L, D] tensors -> reshape(sdpa(q4, k4, v4)), so that the op has H
// heads, not a batch of B·H single heads. Batch row n = b·H + h of the
// folded op is (b, h) of the unfolded one, so masks that do not vary by
// batch row carry over; a dense mask that does ([B·H, 1, S, T]) is
// reshaped the same way, and the other per-row operands (a [B·H] offset,
// a key mask) keep the op as it is.
struct UnfoldHeadsFromBatch : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SdpaOp op, PatternRewriter &rewriter) const override {
    if (op.getLayoutAttr())
      return rewriter.notifyMatchFailure(op, "already has a layout");
    SdpaDims dims = op.getDims();
    if (dims.queryHeads != 1 || dims.kvHeads != 1)
      return rewriter.notifyMatchFailure(op, "has heads of its own");
    Value query = unfoldedHeads(op.getQuery()), key = unfoldedHeads(op.getKey()),
          value = unfoldedHeads(op.getValue());
    if (!query || !key || !value)
      return rewriter.notifyMatchFailure(op, "q, k, v are not all [B·H, 1, L, D] views");
    auto shapeOf = [](Value v) { return cast<RankedTensorType>(v.getType()).getShape(); };
    int64_t batch = shapeOf(query)[0], heads = shapeOf(query)[1];
    for (Value kv : {key, value})
      if (shapeOf(kv)[0] != batch || shapeOf(kv)[1] != heads)
        return rewriter.notifyMatchFailure(op, "q, k and v fold different heads");
    if (op.getKeyMask())
      return rewriter.notifyMatchFailure(op, "its key mask is per folded batch row");
    if (Value offset = op.getOffset())
      if (cast<RankedTensorType>(offset.getType()).getRank() != 0)
        return rewriter.notifyMatchFailure(op, "its offset is per folded batch row");
    Location loc = op.getLoc();
    Value dense = op.getDenseMask();
    if (dense) {
      ArrayRef<int64_t> shape = shapeOf(dense);
      bool perRow = shape.size() == 4 && shape[0] != 1;
      if (perRow && shape[1] != 1)
        return rewriter.notifyMatchFailure(op, "its dense mask is not [B·H, 1, S, T]");
      if (perRow) {
        auto unfoldedShape = rewriter.getDenseI64ArrayAttr({batch, heads, shape[2], shape[3]});
        dense = ReshapeOp::create(rewriter, loc, dense, unfoldedShape);
      }
    }
    auto unfolded = SdpaOp::create(rewriter, loc, query, key, value, op.getOffset(),
                                   /*key_mask=*/Value(), dense, op.getScaleAttr(),
                                   op.getMaskAttr(), /*layout=*/LayoutAttr());
    unfolded->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, unfolded,
                                           rewriter.getDenseI64ArrayAttr(op.getType().getShape()));
    return success();
  }
};

struct AttnAbsorbHeadLayoutPass
    : attn::impl::AttnAbsorbHeadLayoutPassBase<AttnAbsorbHeadLayoutPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnAbsorbHeadLayoutPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnAbsorbHeadLayoutPatterns(RewritePatternSet &patterns) {
  patterns.add<UnfoldHeadsFromBatch, AbsorbOperandTranspose, AbsorbResultTranspose>(
      patterns.getContext());
}

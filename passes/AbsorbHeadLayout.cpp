//===- AbsorbHeadLayout.cpp - Read sdpa tensors in the graph's layout ----===//
//
// Exported multi-head attention stores q, k, v and the output as
// [B, S, H, D] (a Reshape of the hidden states) and moves the heads in
// front with a Transpose before the attention and back after it. Each of
// those Transposes is a full copy of the tensor. An attn.sdpa reads any of
// its tensors sequence-major (#attn.layout, sdpa.C11), so the Transposes
// fold into the op and vanish; the Reshapes around them are free views.
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
    for (auto [tensor, operand] : operands) {
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
  patterns.add<AbsorbOperandTranspose, AbsorbResultTranspose>(patterns.getContext());
}

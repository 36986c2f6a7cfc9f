//===- FuseSdpa.cpp - Fuse exported attention into attn.sdpa -*- C++ -*-===//
//
// Every softmax(scale * q @ kᵀ + masks) @ v becomes one attn.sdpa whose mask
// is a dense operand; attn-infer-masks then proves what structure it has.
//
//===----------------------------------------------------------------------===//

#include "passes/MatchFailureRemarks.h"
#include "passes/Passes.h"
#include "passes/Transforms.h"
#include "passes/fusion/SdpaMatcher.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNFUSESDPAPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

bool isLastAxisReduction(Operation *op, Value input, bool keepdims) {
  auto type = cast<RankedTensorType>(input.getType());
  ArrayRef<int64_t> axes;
  if (auto max = dyn_cast<ReduceMaxOp>(op))
    axes = max.getAxes();
  else if (auto sum = dyn_cast<ReduceSumOp>(op))
    axes = sum.getAxes();
  else
    return false;
  return axes.size() == 1 && axes[0] == type.getRank() - 1 && keepdims;
}

// exp(x - max(x)) / sum(exp(x - max(x)))  (or * reciprocal(sum)) -> softmax(x)
struct RaiseManualSoftmax : RewritePattern {
  RaiseManualSoftmax(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), 1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    Value numerator, denominator;
    if (auto div = dyn_cast<DivOp>(op)) {
      numerator = div.getLhs();
      denominator = div.getRhs();
    } else if (auto mul = dyn_cast<MulOp>(op)) {
      auto recip = mul.getRhs().getDefiningOp<ReciprocalOp>();
      if (!recip)
        return failure();
      numerator = mul.getLhs();
      denominator = recip.getInput();
    } else {
      return failure();
    }
    auto exp = numerator.getDefiningOp<ExpOp>();
    auto sum = denominator.getDefiningOp<ReduceSumOp>();
    if (!exp || !sum || sum.getInput() != exp.getResult() ||
        !isLastAxisReduction(sum, exp.getResult(), sum.getKeepdims()))
      return rewriter.notifyMatchFailure(op, "not exp(x) / sum(exp(x))");
    // A keepdims last-axis sum has exp's shape but for a last dim of 1, so
    // the division's result has exp's type: nothing broadcasts.
    // The max subtraction only guards against overflow; softmax is
    // shift-invariant, so both forms are softmax(x).
    Value x = exp.getInput();
    if (auto sub = x.getDefiningOp<SubOp>())
      if (auto max = sub.getRhs().getDefiningOp<ReduceMaxOp>())
        if (max.getInput() == sub.getLhs() &&
            isLastAxisReduction(max, sub.getLhs(), max.getKeepdims()))
          x = sub.getLhs();
    int64_t axis = cast<RankedTensorType>(x.getType()).getRank() - 1;
    rewriter.replaceOpWithNewOp<SoftmaxOp>(op, x, axis);
    return success();
  }
};

struct FuseSdpaPattern : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp softmax,
                                PatternRewriter &rewriter) const override {
    std::string reason;
    FailureOr<SdpaSite> site = matchSdpaSite(softmax, reason);
    if (failed(site))
      return rewriter.notifyMatchFailure(softmax, reason);
    rewriteSdpaSite(rewriter, *site);
    return success();
  }
};

/// Returns x when `kv` is repeat_kv(x): reshape(broadcast_to(reshape(x,
/// [B, Hkv, 1, T, D]), [B, Hkv, G, T, D]), [B, Hkv * G, T, D]).
Value unrepeatKv(Value kv) {
  auto outer = kv.getDefiningOp<ReshapeOp>();
  if (!outer)
    return {};
  auto expand = outer.getInput().getDefiningOp<BroadcastToOp>();
  if (!expand)
    return {};
  auto inner = expand.getInput().getDefiningOp<ReshapeOp>();
  if (!inner)
    return {};
  auto x = cast<RankedTensorType>(inner.getInput().getType());
  ArrayRef<int64_t> split = inner.getType().getShape();
  ArrayRef<int64_t> grouped = expand.getType().getShape();
  ArrayRef<int64_t> merged = outer.getType().getShape();
  if (x.getRank() != 4 || split.size() != 5 || grouped.size() != 5 || merged.size() != 4)
    return {};
  int64_t b = x.getDimSize(0), h = x.getDimSize(1), t = x.getDimSize(2), d = x.getDimSize(3);
  int64_t g = grouped[2];
  if (split != ArrayRef<int64_t>{b, h, 1, t, d} ||
      grouped != ArrayRef<int64_t>{b, h, g, t, d} ||
      merged != ArrayRef<int64_t>{b, h * g, t, d})
    return {};
  return inner.getInput();
}

// sdpa(q, repeat_kv(k), repeat_kv(v)) -> sdpa(q, k, v) with Hkv < Hq
struct FoldRepeatKv : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SdpaOp op, PatternRewriter &rewriter) const override {
    // repeat_kv is matched on head-major shapes.
    if (op.isSeqMajor(SdpaTensor::Key) || op.isSeqMajor(SdpaTensor::Value))
      return rewriter.notifyMatchFailure(op, "k or v is sequence-major");
    Value key = unrepeatKv(op.getKey()), value = unrepeatKv(op.getValue());
    if (!key || !value)
      return rewriter.notifyMatchFailure(op, "k and v are not both repeat_kv expansions");
    if (cast<RankedTensorType>(key.getType()).getDimSize(1) !=
        cast<RankedTensorType>(value.getType()).getDimSize(1))
      return rewriter.notifyMatchFailure(op, "k and v repeat different head counts");
    rewriter.modifyOpInPlace(op, [&] {
      op.getKeyMutable().assign(key);
      op.getValueMutable().assign(value);
    });
    return success();
  }
};

struct AttnFuseSdpaPass : attn::impl::AttnFuseSdpaPassBase<AttnFuseSdpaPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnFuseSdpaPatterns(patterns);
    if (failed(applyPatternsExplained(getOperation(), std::move(patterns), explain,
                                      getArgument())))
      return signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnRaiseSoftmaxPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseManualSoftmax>(patterns.getContext());
}

void mlir::attn::populateAttnFuseSdpaPatterns(RewritePatternSet &patterns) {
  populateAttnRaiseSoftmaxPatterns(patterns);
  patterns.add<FuseSdpaPattern, FoldRepeatKv>(patterns.getContext());
}

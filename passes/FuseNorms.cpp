//===- FuseNorms.cpp - Exported norm decompositions into attn norms ------===//
//
// Before LayerNormalization (opset 17) torch exports nn.LayerNorm as
//   m = ReduceMean(x); d = x - m; v = ReduceMean(d^2); n = d / Sqrt(v + eps)
//   y = n * scale + bias
// and LLaMA-style RMSNorm has no ONNX op before opset 23:
//   n = x * (1 / Sqrt(ReduceMean(x^2) + eps))   (or x / Sqrt(...))
//   y = scale * n
// Recognized as attn.layer_norm / attn.rms_norm, a norm is one op that a
// backend can run as one pass over each row (the CUDA backend's
// gpu-lower-norms: one kernel instead of four or five).
//
// The match starts at the Sqrt and walks out; every intermediate value must
// be used only inside the norm, so nothing is computed twice; the
// reductions must be over the trailing dims with kept dims, the scale and
// bias shaped like the normalized dims.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/ScalarConstants.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNFUSENORMSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// The first normalized axis if `mean` reduces its input over its trailing
/// dims [axis, rank), dims kept.
std::optional<int64_t> trailingAxis(ReduceMeanOp mean) {
  auto type = cast<RankedTensorType>(mean.getInput().getType());
  ArrayRef<int64_t> axes = mean.getAxes();
  if (!mean.getKeepdims() || axes.empty() || !type.hasStaticShape())
    return std::nullopt;
  for (auto [i, axis] : llvm::enumerate(axes))
    if (axis != type.getRank() - static_cast<int64_t>(axes.size() - i))
      return std::nullopt;
  return axes.front();
}

/// Whether `value` is `base` squared: Pow(base, 2) or base * base.
bool isSquareOf(Value value, Value base) {
  if (auto pow = value.getDefiningOp<PowOp>()) {
    std::optional<double> exponent = matchScalarConstant(pow.getRhs());
    return pow.getLhs() == base && exponent && *exponent == 2.0;
  }
  auto mul = value.getDefiningOp<MulOp>();
  return mul && mul.getLhs() == base && mul.getRhs() == base;
}

/// The operand of binary `op` other than `known`, or null.
template <typename Op> Value otherOperand(Op op, Value known) {
  if (op.getLhs() == known)
    return op.getRhs();
  if (op.getRhs() == known)
    return op.getLhs();
  return {};
}

/// The only user of `value` if it is an `Op`.
template <typename Op> Op onlyUser(Value value) {
  if (!value.hasOneUse())
    return {};
  return dyn_cast<Op>(*value.getUsers().begin());
}

/// What a matched norm is made of.
struct NormMatch {
  Value input, scale, bias;
  /// The op whose result the norm replaces.
  Operation *last = nullptr;
};

/// Whether `param` (a scale or bias) has the normalized dims' shape of
/// `input` from `axis` and the same element type.
bool shapedLikeRow(Value param, Value input, int64_t axis) {
  auto type = cast<RankedTensorType>(input.getType());
  auto paramType = dyn_cast<RankedTensorType>(param.getType());
  return paramType && paramType.getElementType() == type.getElementType() &&
         paramType.getShape() == type.getShape().drop_front(axis);
}

/// What `sqrt(v + eps)` is taken of: the mean v (of squares, to be
/// checked by the caller), eps, and the first normalized axis.
struct Statistics {
  ReduceMeanOp mean;
  double epsilon;
  int64_t axis;
};
std::optional<Statistics> statisticsUnder(SqrtOp sqrt) {
  auto add = sqrt.getInput().getDefiningOp<AddOp>();
  if (!add || !add.getResult().hasOneUse())
    return std::nullopt;
  for (auto [variance, epsilon] : {std::pair(add.getLhs(), add.getRhs()),
                                   std::pair(add.getRhs(), add.getLhs())}) {
    std::optional<double> eps = matchScalarConstant(epsilon);
    auto mean = variance.getDefiningOp<ReduceMeanOp>();
    if (!eps || !mean || !variance.hasOneUse() || !mean.getInput().hasOneUse())
      continue;
    if (std::optional<int64_t> axis = trailingAxis(mean))
      return Statistics{mean, *eps, *axis};
  }
  return std::nullopt;
}

/// scale * normalized (+ bias) after `normalized` (normalized from `axis`
/// on), completing `match`.
bool matchAffine(Value normalized, int64_t axis, NormMatch &match, bool withBias) {
  auto scaled = onlyUser<MulOp>(normalized);
  if (!scaled)
    return false;
  match.scale = otherOperand(scaled, normalized);
  if (!match.scale || !shapedLikeRow(match.scale, match.input, axis) ||
      scaled.getType() != match.input.getType())
    return false;
  match.last = scaled;
  if (!withBias)
    return true;
  if (auto shifted = onlyUser<AddOp>(scaled.getResult())) {
    Value bias = otherOperand(shifted, scaled.getResult());
    if (bias && shapedLikeRow(bias, match.input, axis) &&
        shifted.getType() == match.input.getType()) {
      match.bias = bias;
      match.last = shifted;
    }
  }
  return true;
}

/// (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) * scale (+ bias).
std::optional<NormMatch> matchLayerNorm(SqrtOp sqrt, Statistics stats) {
  auto div = onlyUser<DivOp>(sqrt.getResult());
  if (!div || div.getRhs() != sqrt.getResult())
    return std::nullopt;
  Value deviation = div.getLhs();
  auto sub = deviation.getDefiningOp<SubOp>();
  if (!sub || !isSquareOf(stats.mean.getInput(), deviation))
    return std::nullopt;
  // The deviation feeds its square and the division, nothing else.
  for (Operation *user : deviation.getUsers())
    if (user != div && user != stats.mean.getInput().getDefiningOp())
      return std::nullopt;
  auto center = sub.getRhs().getDefiningOp<ReduceMeanOp>();
  if (!center || !sub.getRhs().hasOneUse() || center.getInput() != sub.getLhs() ||
      trailingAxis(center) != stats.axis)
    return std::nullopt;
  NormMatch match{sub.getLhs(), {}, {}, nullptr};
  if (div.getType() != match.input.getType() || !matchAffine(div.getResult(), stats.axis, match, true))
    return std::nullopt;
  return match;
}

/// x * (1 / sqrt(mean(x^2) + eps)) * scale, or x / sqrt(...) * scale.
std::optional<NormMatch> matchRmsNorm(SqrtOp sqrt, Statistics stats) {
  Value squares = stats.mean.getInput();
  Operation *square = squares.getDefiningOp();
  if (!square || square->getNumOperands() != 2)
    return std::nullopt;
  Value x = square->getOperand(0);
  if (!isSquareOf(squares, x))
    return std::nullopt;
  Value normalized;
  auto div = onlyUser<DivOp>(sqrt.getResult());
  if (!div || div.getRhs() != sqrt.getResult())
    return std::nullopt;
  if (div.getLhs() == x) {
    normalized = div.getResult();
  } else {
    std::optional<double> one = matchScalarConstant(div.getLhs());
    auto mul = onlyUser<MulOp>(div.getResult());
    if (!one || *one != 1.0 || !mul || otherOperand(mul, div.getResult()) != x)
      return std::nullopt;
    normalized = mul.getResult();
  }
  NormMatch match{x, {}, {}, nullptr};
  if (normalized.getType() != x.getType() || !matchAffine(normalized, stats.axis, match, false))
    return std::nullopt;
  return match;
}

struct FuseNorm : OpRewritePattern<SqrtOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SqrtOp sqrt, PatternRewriter &rewriter) const override {
    std::optional<Statistics> stats = statisticsUnder(sqrt);
    if (!stats)
      return rewriter.notifyMatchFailure(sqrt, "not the root of a mean over trailing dims plus "
                                               "a scalar epsilon");
    auto element = cast<RankedTensorType>(sqrt.getType()).getElementType();
    if (!isa<FloatType>(element))
      return rewriter.notifyMatchFailure(sqrt, "not a float norm");
    FloatAttr epsilon = rewriter.getF32FloatAttr(static_cast<float>(stats->epsilon));
    IntegerAttr axis = rewriter.getI64IntegerAttr(stats->axis);
    if (std::optional<NormMatch> m = matchLayerNorm(sqrt, *stats)) {
      rewriter.setInsertionPoint(m->last);
      rewriter.replaceOp(m->last,
                         LayerNormOp::create(rewriter, m->last->getLoc(), m->input.getType(),
                                             m->input, m->scale, m->bias, axis, epsilon));
      return success();
    }
    if (std::optional<NormMatch> m = matchRmsNorm(sqrt, *stats)) {
      rewriter.setInsertionPoint(m->last);
      rewriter.replaceOp(m->last, RmsNormOp::create(rewriter, m->last->getLoc(),
                                                    m->input.getType(), m->input, m->scale,
                                                    axis, epsilon));
      return success();
    }
    return rewriter.notifyMatchFailure(sqrt, "no LayerNorm or RMSNorm around the root");
  }
};

struct AttnFuseNormsPass : attn::impl::AttnFuseNormsPassBase<AttnFuseNormsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseNorm>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

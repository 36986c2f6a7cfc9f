//===- SdpaMatcher.cpp - Recognize exported attention around a softmax --===//
//
// softmax(scale * (q @ kᵀ) + masks) @ v, as exporters write it: the scale as
// Mul/Div on the scores, on q or on k; masks as Add (additive), Sub, or
// Where between the scores and a constant fill; any chain of these.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/SdpaMatcher.h"
#include "passes/ScalarConstants.h"
#include "dialects/attn/AttnFolders.h"
#include "dialects/attn/Broadcast.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/raw_ostream.h"
#include <cmath>

namespace mlir::attn {
namespace {

/// Whether `value` is computed from a matmul through the ops a scores chain
/// may hold (scale, masks).
bool reachesMatmul(Value value, int depth = 0) {
  Operation *op = value.getDefiningOp();
  if (!op || depth > 12)
    return false;
  if (isa<MatmulOp>(op))
    return true;
  if (isa<AddOp, SubOp, MulOp, DivOp, MaxOp>(op))
    return llvm::any_of(op->getOperands(),
                        [&](Value v) { return reachesMatmul(v, depth + 1); });
  if (auto reshape = dyn_cast<ReshapeOp>(op))
    return reachesMatmul(reshape.getInput(), depth + 1);
  if (auto where = dyn_cast<WhereOp>(op))
    return reachesMatmul(where.getTrueValue(), depth + 1) ||
           reachesMatmul(where.getFalseValue(), depth + 1);
  return false;
}

std::string opName(Operation *op) {
  return op ? op->getName().getStringRef().str() : "a function argument";
}

/// A fill hides a key exactly when exp(fill + anything finite) underflows
/// like exp(-inf): -inf itself, or a value so negative that adding a score
/// cannot change it (finfo.min, -1e9, ...).
bool hidesExactly(double fill) { return fill == -INFINITY || fill <= -1e9; }

/// A fill that hides keys when the probabilities are zeroed again with the
/// same mask after the softmax: those keys then contribute only
/// exp(fill - rowmax) to the softmax's sum, which is 0 in f32 whenever some
/// visible scaled score of the row exceeds fill + 104 (for -1e4: any score
/// above -9896), and a row with no visible key is zero either way.
constexpr double kZeroedFill = -1e4;

/// The largest constant a clamp max(scores, c) may use: adding c to any
/// score of magnitude below 2^103 rounds to c in f32, so clamping the
/// masks instead of the scores gives the same values.
constexpr double kClampBelow = -1e30;

/// A mask on the probabilities after the softmax, zeroing some of them:
/// `where(c, 0, p)` (`visible` false: zero where c) or `where(c, p, 0)` and
/// `p * cast(c)` (`visible` true: keep where c).
struct ZeroedProbabilities {
  Value condition;
  bool visible;
};

/// The zeroing `op` applies to `probs`, if it is one.
std::optional<ZeroedProbabilities> matchZeroing(Operation *op, Value probs) {
  if (op->getNumResults() != 1 || op->getResult(0).getType() != probs.getType())
    return std::nullopt;
  auto isZero = [](Value v) {
    std::optional<double> c = matchScalarConstant(v);
    return c && *c == 0.0;
  };
  if (auto where = dyn_cast<WhereOp>(op)) {
    if (where.getFalseValue() == probs && isZero(where.getTrueValue()))
      return ZeroedProbabilities{where.getCondition(), false};
    if (where.getTrueValue() == probs && isZero(where.getFalseValue()))
      return ZeroedProbabilities{where.getCondition(), true};
  }
  if (auto mul = dyn_cast<MulOp>(op)) {
    Value other = mul.getLhs() == probs ? mul.getRhs() : mul.getLhs();
    if (auto cast = other.getDefiningOp<CastOp>())
      if (cast.getInput().getType().getElementType().isInteger(1))
        return ZeroedProbabilities{cast.getInput(), true};
  }
  return std::nullopt;
}

/// The head count H when `reshape` views 3-D scores [B·H, S, T] as
/// [B, H, S, T] (`unfolds`) or the other way round; 0 for any other
/// reshape.
int64_t headsOfScoresView(ReshapeOp reshape, bool unfolds) {
  auto from = cast<RankedTensorType>(reshape.getInput().getType());
  auto to = cast<RankedTensorType>(reshape.getType());
  RankedTensorType folded = unfolds ? from : to, heads = unfolds ? to : from;
  if (folded.getRank() != 3 || heads.getRank() != 4 || !folded.hasStaticShape() ||
      !heads.hasStaticShape() ||
      folded.getDimSize(0) != heads.getDimSize(0) * heads.getDimSize(1) ||
      folded.getShape().drop_front() != heads.getShape().drop_front(2))
    return 0;
  return heads.getDimSize(1);
}

/// A Mul or Div `op` by a positive finite constant scalar: the factor it
/// applies (c, or 1 / c for Div) and the operand it scales.
struct ConstantScaling {
  double factor;
  Value scaled;
};
std::optional<ConstantScaling> matchConstantScaling(Operation *op) {
  if (!isa<MulOp, DivOp>(op))
    return std::nullopt;
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  std::optional<double> c = matchScalarConstant(rhs);
  Value rest = lhs;
  if (!c && isa<MulOp>(op)) {
    c = matchScalarConstant(lhs);
    rest = rhs;
  }
  if (!c || !(*c > 0) || !std::isfinite(*c))
    return std::nullopt;
  return ConstantScaling{isa<MulOp>(op) ? *c : 1.0 / *c, rest};
}

/// Peels positive constant Mul/Div factors off `value`, folding them into
/// `scale`.
Value peelScale(Value value, double &scale, SmallVectorImpl<Operation *> &covered) {
  while (Operation *op = value.getDefiningOp()) {
    std::optional<ConstantScaling> scaling;
    if (!op->hasOneUse() || !(scaling = matchConstantScaling(op)))
      break;
    scale *= scaling->factor;
    covered.push_back(op);
    value = scaling->scaled;
  }
  return value;
}

/// A positive constant Mul/Div behind single-use reshapes and transposes
/// of `value` (HF's `q_proj(x) * scaling`, then the head split): its factor
/// joins `scale` and the op is recorded for the rewrite to bypass. The
/// scaling commutes with the views, and every op on the way has one use, so
/// only this attention reads the unscaled values.
void peelScaleBehindViews(Value value, double &scale, SmallVectorImpl<Operation *> &bypass,
                          SmallVectorImpl<Operation *> &covered) {
  Value v = value;
  for (int depth = 0; depth < 8; ++depth) {
    Operation *op = v.getDefiningOp();
    if (!op || !op->hasOneUse())
      return;
    if (isa<ReshapeOp, TransposeOp>(op)) {
      v = op->getOperand(0);
      continue;
    }
    std::optional<ConstantScaling> scaling = matchConstantScaling(op);
    if (depth == 0 || !scaling || scaling->scaled.getType() != op->getResult(0).getType())
      return;
    scale *= scaling->factor;
    bypass.push_back(op);
    covered.push_back(op);
    return;
  }
}

/// Where the scores walk is relative to a [B, H, S, T] view of 3-D scores
/// [B*H, S, T]: from the softmax's side first outside the view, then
/// inside it, then past it at the product.
enum class ScoresView { Outside, Inside, Past };

/// Matches one attention site outward from its softmax, in stages: the
/// probabilities' side (zeroings, then the P·V product), the scores' side
/// (one step per mask, scale, clamp or view, down to the Q·Kᵀ product),
/// the product and its operands. The first thing that does not fit fails
/// the match, with the reason `attnc report` shows.
class SdpaSiteMatcher {
public:
  SdpaSiteMatcher(SoftmaxOp softmax, std::string &reason)
      : reason(reason), rank(softmax.getType().getRank()) {
    site.softmax = softmax;
  }

  FailureOr<SdpaSite> match() {
    if (failed(matchProbabilities()) || failed(walkScores()) || failed(matchProduct()) ||
        failed(checkOperands()))
      return failure();
    return site;
  }

private:
  LogicalResult fail(const Twine &why) {
    reason = why.str();
    return failure();
  }

  /// The softmax over the last axis of 3-D or 4-D scores, its only use
  /// (through zeroings) the P·V product.
  LogicalResult matchProbabilities() {
    SoftmaxOp softmax = site.softmax;
    if ((int64_t)softmax.getAxis() != rank - 1)
      return fail("softmax is not over the last (key) axis");
    if (rank != 3 && rank != 4)
      return fail("scores have rank " + Twine(rank) + "; expected [B, H, S, T] or [B*H, S, T]");
    if (!softmax->hasOneUse())
      return fail("the attention probabilities have other uses (e.g. a graph "
                  "output); fusing would drop them");
    // Probabilities zeroed again after the softmax where the scores were
    // masked before it (NeMo's conformer): the same keys stay hidden.
    Value probs = softmax.getResult();
    SmallVector<Operation *> zeroingOps;
    Operation *user = *softmax->user_begin();
    while (std::optional<ZeroedProbabilities> zeroing = matchZeroing(user, probs)) {
      if (!user->hasOneUse())
        return fail("the zeroed attention probabilities have other uses");
      zeroings.push_back(*zeroing);
      zeroingOps.push_back(user);
      probs = user->getResult(0);
      user = *user->user_begin();
    }
    auto output = dyn_cast<MatmulOp>(user);
    if (!output || output.getLhs() != probs)
      return fail("the attention probabilities are not multiplied by V");
    site.output = output;
    site.covered = {output};
    site.covered.append(zeroingOps.rbegin(), zeroingOps.rend());
    site.covered.push_back(softmax);
    return success();
  }

  /// From the softmax input down to the Q·Kᵀ product, one op at a time;
  /// then every zeroing after the softmax must have its mask before it.
  LogicalResult walkScores() {
    scoresAt = site.softmax.getInput();
    for (int steps = 0;; ++steps) {
      Operation *op = scoresAt.getDefiningOp();
      if (!op || steps > 16)
        return fail("scores are not computed from a Q·Kᵀ product (found " + opName(op) + ")");
      if (isa<MatmulOp>(op))
        break;
      if (!op->hasOneUse())
        return fail("an intermediate scores value (" + opName(op) + ") has other uses");
      site.covered.push_back(op);
      if (failed(stepThrough(op)))
        return failure();
    }
    if (view == ScoresView::Inside)
      return fail("the [B, H, S, T] view of the scores is not of a [B*H, S, T] product");
    for (const ZeroedProbabilities &z : zeroings)
      if (!llvm::any_of(maskedAndZeroed, [&](const ZeroedProbabilities &m) {
            return m.condition == z.condition && m.visible == z.visible;
          }))
        return fail("the probabilities are zeroed after the softmax where the scores were "
                    "not masked the same way before it");
    return success();
  }

  /// One op between the product and the softmax: records what it does to
  /// the scores and moves `scoresAt` to its scores operand.
  LogicalResult stepThrough(Operation *op) {
    if (auto reshape = dyn_cast<ReshapeOp>(op))
      return throughView(reshape);
    if (auto max = dyn_cast<MaxOp>(op))
      return throughClamp(max);
    if (site.clamp && isa<WhereOp>(op))
      return fail("a Where masks the scores inside a clamp");
    if (view == ScoresView::Past && isa<AddOp, SubOp, WhereOp>(op))
      return fail("a mask is added to the [B*H, S, T] scores outside their "
                  "[B, H, S, T] view");
    if (auto add = dyn_cast<AddOp>(op))
      return throughAdd(add);
    if (auto sub = dyn_cast<SubOp>(op))
      return throughSub(sub);
    if (auto where = dyn_cast<WhereOp>(op))
      return throughWhere(where);
    if (isa<MulOp, DivOp>(op))
      return throughScale(op);
    return fail("unexpected " + opName(op) + " between the Q·Kᵀ product and the softmax");
  }

  /// A reshape between 3-D scores and their [B, H, S, T] view.
  LogicalResult throughView(ReshapeOp reshape) {
    bool viewBack = view == ScoresView::Outside && rank == 3;
    int64_t heads = view == ScoresView::Past ? 0 : headsOfScoresView(reshape, !viewBack);
    if (heads == 0 || (!viewBack && heads != site.viewHeads))
      return fail("scores are reshaped other than between [B*H, S, T] and a "
                  "[B, H, S, T] view of them");
    if (viewBack &&
        !(site.additiveMasks.empty() && site.visibleMasks.empty() && site.hiddenMasks.empty()))
      return fail("a mask is added to the [B*H, S, T] scores outside their "
                  "[B, H, S, T] view");
    site.viewHeads = heads;
    view = viewBack ? ScoresView::Inside : ScoresView::Past;
    scoresAt = reshape.getInput();
    return success();
  }

  /// OPT's clamp: max(scores, c), c <= -1e30, once, with no scale after it.
  LogicalResult throughClamp(MaxOp max) {
    bool lhsScores = reachesMatmul(max.getLhs());
    std::optional<double> c = matchScalarConstant(lhsScores ? max.getRhs() : max.getLhs());
    if (!c || *c > kClampBelow || site.clamp || factor != 1.0)
      return fail("scores go through a max other than one clamp at a constant <= -1e30 "
                  "with no scale after it");
    site.clamp = *c;
    site.clampedFrom = site.additiveMasks.size();
    scoresAt = lhsScores ? max.getLhs() : max.getRhs();
    return success();
  }

  /// scores + mask, either way round.
  LogicalResult throughAdd(AddOp add) {
    bool lhsScores = reachesMatmul(add.getLhs());
    if (!lhsScores && !reachesMatmul(add.getRhs()))
      return fail("neither side of a mask add leads to the Q·Kᵀ product");
    Value mask = lhsScores ? add.getRhs() : add.getLhs();
    site.additiveMasks.push_back({mask, factor});
    scoresAt = lhsScores ? add.getLhs() : add.getRhs();
    return success();
  }

  /// scores - mask.
  LogicalResult throughSub(SubOp sub) {
    if (!reachesMatmul(sub.getLhs()))
      return fail("scores are subtracted from a mask, not masked");
    site.additiveMasks.push_back({sub.getRhs(), -factor});
    scoresAt = sub.getLhs();
    return success();
  }

  /// Where(c, scores, fill) or Where(c, fill, scores) with a fill that
  /// hides keys: exactly, or (a large finite fill) where the same mask
  /// zeroes the probabilities again after the softmax.
  LogicalResult throughWhere(WhereOp where) {
    bool keepWhenTrue = reachesMatmul(where.getTrueValue());
    Value fillValue = keepWhenTrue ? where.getFalseValue() : where.getTrueValue();
    std::optional<double> fill = matchScalarConstant(fillValue);
    if (!fill)
      return fail("a Where on the scores does not fill with a constant");
    bool zeroedToo = llvm::any_of(zeroings, [&](const ZeroedProbabilities &z) {
      return z.condition == where.getCondition() && z.visible == keepWhenTrue;
    });
    if (!hidesExactly(*fill * factor) && !(zeroedToo && *fill * factor <= kZeroedFill))
      return fail("a Where fills with " + Twine(std::to_string(*fill)) +
                  ", which does not hide keys exactly (needs -inf or <= -1e9, or <= -1e4 "
                  "with the same mask zeroing the probabilities after the softmax)");
    if (zeroedToo)
      maskedAndZeroed.push_back({where.getCondition(), keepWhenTrue});
    (keepWhenTrue ? site.visibleMasks : site.hiddenMasks).push_back(where.getCondition());
    scoresAt = keepWhenTrue ? where.getTrueValue() : where.getFalseValue();
    return success();
  }

  /// A positive constant scale of the scores; masks inside it are scaled
  /// too (`factor`).
  LogicalResult throughScale(Operation *op) {
    std::optional<ConstantScaling> scaling = matchConstantScaling(op);
    if (!scaling)
      return fail("scores are scaled by something other than a positive "
                  "constant scalar");
    site.scale *= scaling->factor;
    factor *= scaling->factor;
    scoresAt = scaling->scaled;
    return success();
  }

  /// The Q·Kᵀ product, with the scales on q or k (and behind their head
  /// views) folded into the site's scale.
  LogicalResult matchProduct() {
    auto scores = cast<MatmulOp>(scoresAt.getDefiningOp());
    if (!scores->hasOneUse())
      return fail("the Q·Kᵀ scores have other uses");
    site.scores = scores;
    site.covered.push_back(scores);
    site.query = peelScale(scores.getLhs(), site.scale, site.covered);
    site.keyT = peelScale(scores.getRhs(), site.scale, site.covered);
    peelScaleBehindViews(site.query, site.scale, site.scalesBehindViews, site.covered);
    peelScaleBehindViews(site.keyT, site.scale, site.scalesBehindViews, site.covered);
    site.value = site.output.getRhs();
    return success();
  }

  /// q, kᵀ and v of the scores' rank, static but for the sequence lengths,
  /// their batch and head dims matching (k and v may broadcast a head).
  LogicalResult checkOperands() {
    auto q = cast<RankedTensorType>(site.query.getType());
    auto kt = cast<RankedTensorType>(site.keyT.getType());
    auto v = cast<RankedTensorType>(site.value.getType());
    if (q.getRank() != rank || kt.getRank() != rank || v.getRank() != rank)
      return fail("q, kᵀ and v do not all have the scores' rank " + Twine(rank));
    // Run-time lengths (a KV cache, a prompt of any length) may be `?`: the
    // query length S (q's dim -2) and the key length T (kᵀ's dim -1, v's dim
    // -2), on rank-4 [B, H, ., .] operands, which attn.sdpa takes as they are.
    // Every other dim is static.
    auto staticExcept = [](RankedTensorType type, int64_t runTimeDim) {
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.isDynamicDim(d) && d != runTimeDim)
          return false;
      return true;
    };
    bool runTimeLengths = rank == 4 && site.viewHeads == 0;
    if (!runTimeLengths && (!q.hasStaticShape() || !kt.hasStaticShape() || !v.hasStaticShape()))
      return fail("q, k and v need static shapes");
    if (runTimeLengths && (!staticExcept(q, 2) || !staticExcept(kt, 3) || !staticExcept(v, 2)))
      return fail("q, k and v need static batch, head and channel dims (only the "
                  "sequence lengths may be run-time dims)");
    // Batch (and head) dims: k and v may broadcast a unit dim over q's
    // (multi-query attention through matmul broadcasting).
    for (int64_t d = 0; d < rank - 2; ++d) {
      int64_t qd = q.getDimSize(d), kd = kt.getDimSize(d), vd = v.getDimSize(d);
      if (kd != vd)
        return fail("k and v differ in batch/head dim " + Twine(d));
      if (kd != qd && kd != 1)
        return fail("k's batch/head dim " + Twine(d) + " (" + Twine(kd) +
                    ") neither matches q's (" + Twine(qd) + ") nor broadcasts");
      if (d == 0 && (rank == 4 || site.viewHeads) && kd != qd)
        return fail("k and v broadcast over the batch dim, which attn.sdpa "
                    "does not model");
    }
    // Softmax takes floats, and a binary op's operands share its element
    // type, so q, kᵀ, v and every additive mask are float tensors here.
    return success();
  }

  SdpaSite site;
  std::string &reason;
  int64_t rank;
  /// Zeroings of the probabilities after the softmax, and the Wheres
  /// before it that hide the same keys (each zeroing needs one).
  SmallVector<ZeroedProbabilities> zeroings, maskedAndZeroed;
  /// The walk's place: the scores value reached, the product of the
  /// scales applied outside it (a mask found inside is scaled by it too),
  /// and where it is relative to a view of 3-D scores.
  Value scoresAt;
  double factor = 1.0;
  ScoresView view = ScoresView::Outside;
};

} // namespace

bool isAttentionSite(SoftmaxOp softmax) { return reachesMatmul(softmax.getInput()); }

FailureOr<SdpaSite> matchSdpaSite(SoftmaxOp softmax, std::string &reason) {
  return SdpaSiteMatcher(softmax, reason).match();
}

SdpaOp rewriteSdpaSite(RewriterBase &rewriter, const SdpaSite &site) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(site.output);
  SmallVector<Location> locs;
  for (Operation *op : site.covered)
    locs.push_back(op->getLoc());
  Location loc = rewriter.getFusedLoc(locs);
  for (Operation *op : site.scalesBehindViews) {
    rewriter.replaceAllUsesWith(op->getResult(0), matchConstantScaling(op)->scaled);
    rewriter.eraseOp(op);
  }
  auto q = cast<RankedTensorType>(site.query.getType());
  auto kt = cast<RankedTensorType>(site.keyT.getType());
  auto v = cast<RankedTensorType>(site.value.getType());
  int64_t rank = q.getRank();
  Type element = q.getElementType();

  SmallVector<int64_t> swap = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(swap[rank - 1], swap[rank - 2]);
  Value key = TransposeOp::create(rewriter, loc, site.keyT,
                                  rewriter.getDenseI64ArrayAttr(swap));
  Value query = site.query, value = site.value;
  // [B*H, S, D] becomes [B*H, 1, S, D]; when k and v are shared by every
  // (batch*head) row it becomes [1, B*H, S, D] over one kv head instead, so
  // nothing is copied.
  SmallVector<int64_t> q4(q.getShape()), k4, v4;
  bool sharedKv = false;
  if (site.viewHeads > 0) {
    // The masks were added on a [B, H, S, T] view of the scores: q, k and v
    // take the same view, so the op has the real heads and the masks keep
    // their meaning as they are.
    int64_t heads = site.viewHeads, batch = q.getDimSize(0) / heads;
    q4 = {batch, heads, q.getDimSize(1), q.getDimSize(2)};
    k4 = {batch, heads, kt.getDimSize(2), kt.getDimSize(1)};
    v4 = {batch, heads, v.getDimSize(1), v.getDimSize(2)};
  } else if (rank == 3) {
    sharedKv = kt.getDimSize(0) == 1 && q.getDimSize(0) != 1;
    q4 = sharedKv ? SmallVector<int64_t>{1, q.getDimSize(0), q.getDimSize(1), q.getDimSize(2)}
                  : SmallVector<int64_t>{q.getDimSize(0), 1, q.getDimSize(1), q.getDimSize(2)};
    k4 = {kt.getDimSize(0), 1, kt.getDimSize(2), kt.getDimSize(1)};
    v4 = {v.getDimSize(0), 1, v.getDimSize(1), v.getDimSize(2)};
  }
  if (rank == 3) {
    query = ReshapeOp::create(rewriter, loc, query, rewriter.getDenseI64ArrayAttr(q4));
    key = ReshapeOp::create(rewriter, loc, key, rewriter.getDenseI64ArrayAttr(k4));
    value = ReshapeOp::create(rewriter, loc, value, rewriter.getDenseI64ArrayAttr(v4));
  }

  // One additive dense mask: the graph's additive masks (with the scale
  // that applied to them) plus each boolean mask as where(c, 0, -inf).
  // Exact, including rows where nothing is visible; attn-infer-masks turns
  // what it can prove into structure.
  auto scalar = [&](double x) { return buildScalarConstant(rewriter, loc, element, x); };
  Value dense;
  auto accumulate = [&](Value mask) {
    dense = dense ? AddOp::create(rewriter, loc, dense, mask).getResult() : mask;
  };
  auto scaled = [&](Value mask, double factor) -> Value {
    return factor == 1.0 ? mask : MulOp::create(rewriter, loc, mask, scalar(factor)).getResult();
  };
  for (auto [mask, factor] : ArrayRef(site.additiveMasks).take_front(site.clampedFrom))
    accumulate(scaled(mask, factor));
  // The masks inside a clamp, clamped (the scores themselves are finite and
  // above it). With none inside, the clamp changes no score.
  if (site.clamp && site.clampedFrom < site.additiveMasks.size()) {
    Value inside;
    for (auto [mask, factor] : ArrayRef(site.additiveMasks).drop_front(site.clampedFrom))
      inside = inside ? AddOp::create(rewriter, loc, inside, scaled(mask, factor)).getResult()
                      : scaled(mask, factor);
    accumulate(MaxOp::create(rewriter, loc, inside, scalar(*site.clamp)));
  } else {
    for (auto [mask, factor] : ArrayRef(site.additiveMasks).drop_front(site.clampedFrom))
      accumulate(scaled(mask, factor));
  }
  for (Value cond : site.visibleMasks)
    accumulate(WhereOp::create(rewriter, loc, cond, scalar(0.0), scalar(-INFINITY)));
  for (Value cond : site.hiddenMasks)
    accumulate(WhereOp::create(rewriter, loc, cond, scalar(-INFINITY), scalar(0.0)));
  if (dense && rank == 3 && site.viewHeads == 0) {
    // Masks broadcast against [B*H, S, T]; give them the head dim too.
    auto type = cast<RankedTensorType>(dense.getType());
    SmallVector<int64_t> shape(type.getShape());
    while ((int64_t)shape.size() < 3)
      shape.insert(shape.begin(), 1);
    shape.insert(shape.begin() + (sharedKv ? 0 : 1), 1);
    dense = ReshapeOp::create(rewriter, loc, dense, rewriter.getDenseI64ArrayAttr(shape));
  }

  auto sdpa = SdpaOp::create(rewriter, loc, query, key, value, /*offset=*/Value(),
                             /*key_mask=*/Value(), dense,
                             rewriter.getF32FloatAttr((float)site.scale),
                             /*mask=*/WindowAttr(), /*layout=*/LayoutAttr());
  MatmulOp output = site.output;
  Value result = sdpa.getResult();
  if (rank == 3)
    result = ReshapeOp::create(rewriter, loc, result,
                               rewriter.getDenseI64ArrayAttr(output.getType().getShape()));
  rewriter.replaceOp(output, result);
  return sdpa;
}

} // namespace mlir::attn

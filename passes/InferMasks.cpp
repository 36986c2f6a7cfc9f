//===- InferMasks.cpp - Turn proven mask structure into attn.sdpa attrs -===//
//
// A dense mask that is provably a band becomes #attn.window (with an offset
// for bottom-right alignment), one that only depends on the key per batch
// row becomes the key_mask operand; anything else stays dense.
//
//===----------------------------------------------------------------------===//

#include "passes/MatchFailureRemarks.h"
#include "passes/Passes.h"
#include "passes/ScalarConstants.h"
#include "passes/ScratchBuilder.h"
#include "passes/Transforms.h"
#include "passes/fusion/KeyOnlyMask.h"
#include "passes/fusion/MaskStructure.h"
#include "passes/fusion/RunTimeWindow.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNINFERMASKSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// The shape of `term` (broadcastable to `from`) after the reshape from
/// `from` to `to`, when that reshape only inserts or drops unit dims.
std::optional<SmallVector<int64_t>> reshapeTermShape(ArrayRef<int64_t> term,
                                                     ArrayRef<int64_t> from,
                                                     ArrayRef<int64_t> to) {
  SmallVector<int64_t> padded(from.size() - std::min(from.size(), term.size()), 1);
  padded.append(term.begin(), term.end());
  if (padded.size() != from.size())
    return std::nullopt;
  SmallVector<int64_t> result;
  size_t i = 0;
  for (int64_t o : to) {
    while (i < from.size() && from[i] == 1 && o != 1)
      ++i;
    if (i < from.size() && from[i] == o)
      result.push_back(padded[i++]);
    else if (o == 1)
      result.push_back(1);
    else
      return std::nullopt;
  }
  for (; i < from.size(); ++i)
    if (from[i] != 1)
      return std::nullopt;
  return result;
}

/// The additive terms (0 / -inf each) of the boolean condition `c` that
/// hides keys where it is true (`hides`) or where it is false: a key is
/// hidden when any term hides it, so Not, Or of hidden and And of visible
/// conditions split into one term per operand (NeMo's band AND padding).
/// Reshapes that only move unit dims move onto the terms.
void collectConditionTerms(OpBuilder &b, Location loc, Value c, bool hides, Type element,
                           SmallVectorImpl<std::pair<Value, double>> &terms, int depth) {
  Operation *op = c.getDefiningOp();
  if (op && depth < 8) {
    if (auto negation = dyn_cast<NotOp>(op))
      return collectConditionTerms(b, loc, negation.getInput(), !hides, element, terms,
                                   depth + 1);
    // The operands broadcast to c's shape, and so do their terms.
    if ((hides && isa<OrOp>(op)) || (!hides && isa<AndOp>(op))) {
      collectConditionTerms(b, loc, op->getOperand(0), hides, element, terms, depth + 1);
      collectConditionTerms(b, loc, op->getOperand(1), hides, element, terms, depth + 1);
      return;
    }
    if (auto reshape = dyn_cast<ReshapeOp>(op)) {
      ArrayRef<int64_t> from = reshape.getInput().getType().getShape();
      ArrayRef<int64_t> to = reshape.getType().getShape();
      SmallVector<std::pair<Value, double>> inner;
      collectConditionTerms(b, loc, reshape.getInput(), hides, element, inner, depth + 1);
      SmallVector<std::pair<Value, double>> reshaped;
      for (auto [term, f] : inner) {
        auto shape = reshapeTermShape(cast<RankedTensorType>(term.getType()).getShape(), from, to);
        if (!shape)
          break;
        reshaped.push_back({b.createOrFold<ReshapeOp>(loc, term, b.getDenseI64ArrayAttr(*shape)), f});
      }
      if (reshaped.size() == inner.size()) {
        terms.append(reshaped.begin(), reshaped.end());
        return;
      }
    }
  }
  Value hidden = buildScalarConstant(b, loc, element, -INFINITY);
  Value shown = buildScalarConstant(b, loc, element, 0.0);
  terms.push_back({WhereOp::create(b, loc, c, hides ? hidden : shown, hides ? shown : hidden), 1.0});
}

void collectTerms(OpBuilder &b, Location loc, Value mask, double factor,
                  SmallVectorImpl<std::pair<Value, double>> &terms, int depth = 0) {
  Operation *op = mask.getDefiningOp();
  if (op && depth < 8) {
    if (auto reshape = dyn_cast<ReshapeOp>(op)) {
      // A reshape that only moves unit dims distributes over the sum.
      ArrayRef<int64_t> from = reshape.getInput().getType().getShape();
      ArrayRef<int64_t> to = reshape.getType().getShape();
      SmallVector<std::pair<Value, double>> inner;
      collectTerms(b, loc, reshape.getInput(), factor, inner, depth + 1);
      SmallVector<std::pair<Value, double>> reshaped;
      for (auto [term, f] : inner) {
        auto shape = reshapeTermShape(cast<RankedTensorType>(term.getType()).getShape(), from, to);
        if (!shape) {
          reshaped.clear();
          break;
        }
        reshaped.push_back({b.createOrFold<ReshapeOp>(loc, term, b.getDenseI64ArrayAttr(*shape)), f});
      }
      if (!reshaped.empty()) {
        terms.append(reshaped.begin(), reshaped.end());
        return;
      }
    }
    if (auto add = dyn_cast<AddOp>(op)) {
      collectTerms(b, loc, add.getLhs(), factor, terms, depth + 1);
      collectTerms(b, loc, add.getRhs(), factor, terms, depth + 1);
      return;
    }
    if (auto mul = dyn_cast<MulOp>(op)) {
      std::optional<double> c = matchScalarConstant(mul.getRhs());
      if (c && *c > 0) {
        collectTerms(b, loc, mul.getLhs(), factor * *c, terms, depth + 1);
        return;
      }
    }
    if (auto where = dyn_cast<WhereOp>(op)) {
      std::optional<double> t = matchScalarConstant(where.getTrueValue());
      std::optional<double> f = matchScalarConstant(where.getFalseValue());
      auto type = cast<RankedTensorType>(mask.getType());
      auto scalar = [&](double x) {
        return buildScalarConstant(b, loc, type.getElementType(), x);
      };
      if (t && *t == -INFINITY && !f) {
        collectTerms(b, loc, where.getFalseValue(), factor, terms, depth + 1);
        terms.push_back({WhereOp::create(b, loc, where.getCondition(), scalar(-INFINITY),
                                         scalar(0.0)), 1.0});
        return;
      }
      if (f && *f == -INFINITY && !t) {
        collectTerms(b, loc, where.getTrueValue(), factor, terms, depth + 1);
        terms.push_back({WhereOp::create(b, loc, where.getCondition(), scalar(0.0),
                                         scalar(-INFINITY)), 1.0});
        return;
      }
      // where(c, -inf, 0) or where(c, 0, -inf): a boolean mask, split by its
      // condition's structure.
      bool hideForm = t && f && *t == -INFINITY && *f == 0.0;
      bool showForm = t && f && *t == 0.0 && *f == -INFINITY;
      if (hideForm || showForm) {
        SmallVector<std::pair<Value, double>> split;
        collectConditionTerms(b, loc, where.getCondition(), hideForm, type.getElementType(),
                              split, depth + 1);
        if (split.size() > 1) {
          // The terms broadcast against the scores as the Where did.
          for (auto [term, f] : split)
            terms.push_back({term, f * factor});
          return;
        }
      }
    }
  }
  terms.push_back({mask, factor});
}

// sdpa(dense_mask = band & padding) -> sdpa {mask = #attn.window} key_mask(..)
struct InferMaskPattern : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SdpaOp op, PatternRewriter &rewriter) const override {
    if (!op.getDenseMask() || op.getKeyMask())
      return rewriter.notifyMatchFailure(op, "no dense mask left to infer");
    Location loc = op.getLoc();
    // Ops built while splitting the mask, erased again if nothing is found.
    ScratchBuilder builder(op);

    // 1. A band (window, offset) and constant padding, from the whole mask
    //    or from one of its additive terms; the other terms stay dense.
    MaskStructure structure{op.getMaskAttr(), 0, std::nullopt, Value()};
    Value offset = op.getOffset(), rest = op.getDenseMask();
    std::string reason = "already has a window";
    bool found = false;
    if (!op.getMaskAttr() && !op.getOffset()) {
      FailureOr<MaskStructure> inferred = inferStructure(builder, op, reason, rest);
      if (succeeded(inferred)) {
        structure = *inferred;
        found = true;
        if (structure.runTimeOffset && structure.window)
          offset = builder.createOrFold<ReshapeOp>(loc, structure.runTimeOffset,
                                                   builder.getDenseI64ArrayAttr({}));
        else if (structure.offset != 0)
          offset = buildScalarConstant(builder, loc, builder.getI64Type(), structure.offset);
      }
    }
    // 2. What is left, if it only varies by batch row and key (a run-time
    //    padding mask), becomes the key_mask operand with its own values.
    Value keyMask;
    if (structure.keyMask) {
      const auto &rows = *structure.keyMask;
      SmallVector<bool> bits;
      for (const auto &row : rows)
        bits.append(row.begin(), row.end());
      auto type = RankedTensorType::get({(int64_t)rows.size(), (int64_t)rows[0].size()},
                                        builder.getI1Type());
      keyMask = ConstantOp::create(builder, loc,
                                   DenseElementsAttr::get(type, ArrayRef<bool>(bits)));
    } else if (rest && isKeyOnlyMask(op, rest)) {
      keyMask = buildKeyMask(builder, loc, op, rest);
      rest = Value();
      found = true;
    } else if (rest) {
      // 3. Or the terms of it that do (padding beside a position bias or a
      //    per-query condition); the others stay dense.
      auto [keyOnly, others] = splitKeyOnlyTerms(builder, op, rest);
      if (keyOnly && others) {
        keyMask = buildKeyMask(builder, loc, op, keyOnly);
        rest = others;
        found = true;
        reason.clear();
      }
    }
    if (!found) {
      builder.discardUnused();
      return rewriter.notifyMatchFailure(op, reason);
    }
    rewriter.replaceOpWithNewOp<SdpaOp>(op, op.getQuery(), op.getKey(), op.getValue(), offset,
                                        keyMask, rest, op.getScaleAttr(), structure.window,
                                        op.getLayoutAttr());
    return success();
  }

private:
  /// `mask` as the sum of its key-only additive terms and of the others
  /// (either may be null).
  static std::pair<Value, Value> splitKeyOnlyTerms(OpBuilder &builder, SdpaOp op, Value mask) {
    Location loc = op.getLoc();
    SmallVector<std::pair<Value, double>> terms;
    collectTerms(builder, loc, mask, 1.0, terms);
    applyFactors(builder, loc, terms);
    Value keyOnly, others;
    for (auto [term, factor] : terms) {
      Value &sum = isKeyOnlyMask(op, term) ? keyOnly : others;
      sum = sum ? AddOp::create(builder, loc, sum, term).getResult() : term;
    }
    return {keyOnly, others};
  }

  /// Multiplies each term by its factor (a constant term folds).
  static void applyFactors(OpBuilder &builder, Location loc,
                           SmallVectorImpl<std::pair<Value, double>> &terms) {
    for (auto &[term, factor] : terms) {
      if (factor == 1.0)
        continue;
      auto et = cast<RankedTensorType>(term.getType()).getElementType();
      term = builder.createOrFold<MulOp>(loc, term, buildScalarConstant(builder, loc, et, factor));
      factor = 1.0;
    }
  }

  /// With run-time lengths, the terms that are bands at run time (a causal
  /// condition AND a distance bound: Mistral's sliding window) make one
  /// window together; the others stay, summed, in `mask`.
  static FailureOr<MaskStructure> inferRunTimeTerms(OpBuilder &builder, SdpaOp op,
                                                    ArrayRef<std::pair<Value, double>> terms,
                                                    std::string &reason, Value &mask) {
    // The whole mask first: a Where whose zeros are a tensor of them is one
    // band, though collectTerms splits the zeros off as a term of their own.
    SmallVector<RunTimeBand> bands;
    Value others;
    SmallVector<std::pair<Value, double>> scaled;
    std::string wholeReason;
    if (FailureOr<RunTimeBand> whole = inferRunTimeBand(op, op.getDenseMask(), wholeReason);
        succeeded(whole)) {
      bands.push_back(*whole);
    } else {
      scaled.assign(terms.begin(), terms.end());
      applyFactors(builder, op.getLoc(), scaled);
    }
    for (auto [term, factor] : scaled) {
      std::string termReason;
      if (FailureOr<RunTimeBand> band = inferRunTimeBand(op, term, termReason);
          succeeded(band)) {
        bands.push_back(*band);
        continue;
      }
      reason = termReason;
      others = others ? AddOp::create(builder, op.getLoc(), others, term).getResult() : term;
    }
    if (bands.empty())
      return failure();
    FailureOr<RunTimeWindow> window = combineRunTimeBands(op, bands, reason);
    if (failed(window))
      return failure();
    MaskStructure found;
    found.window = window->window;
    found.runTimeOffset = window->offset;
    mask = others;
    return found;
  }

  /// The structure of `mask`, or of one of its additive terms; then `mask`
  /// becomes the sum of the other terms (null if none).
  static FailureOr<MaskStructure> inferStructure(OpBuilder &builder, SdpaOp op,
                                                 std::string &reason, Value &mask) {
    FailureOr<MaskStructure> structure = inferMaskStructure(op, reason);
    if (succeeded(structure)) {
      mask = Value();
      return structure;
    }
    // A constant band plus a run-time term (causal + a padding mask from a
    // graph input): the band becomes structure, the rest stays. Adding the
    // rest to window-masked scores or to -inf hides the same keys.
    Location loc = op.getLoc();
    SmallVector<std::pair<Value, double>> terms;
    collectTerms(builder, loc, op.getDenseMask(), 1.0, terms);
    if (!cast<RankedTensorType>(op.getDenseMask().getType()).hasStaticShape())
      return inferRunTimeTerms(builder, op, terms, reason, mask);
    if (terms.size() < 2)
      return failure();
    applyFactors(builder, loc, terms);
    for (size_t i = 0; i < terms.size(); ++i) {
      std::string partReason;
      structure = inferMaskStructure(op, partReason, terms[i].first);
      if (failed(structure))
        continue;
      Value others;
      for (auto [j, term] : llvm::enumerate(terms))
        if (j != i)
          others = others ? AddOp::create(builder, loc, others, term.first).getResult()
                          : term.first;
      mask = others;
      return structure;
    }
    return failure();
  }
};

struct AttnInferMasksPass : attn::impl::AttnInferMasksPassBase<AttnInferMasksPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnInferMasksPatterns(patterns);
    if (failed(applyPatternsExplained(getOperation(), std::move(patterns), explain,
                                      getArgument())))
      return signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnInferMasksPatterns(RewritePatternSet &patterns) {
  patterns.add<InferMaskPattern>(patterns.getContext());
}

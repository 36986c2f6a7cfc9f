//===- FuseGelu.cpp - Exported GELU decompositions into attn.gelu --------===//
//
// Exporters write GELU as elementwise arithmetic: torch's nn.GELU as
// Div(x, sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5, BERT's and GPT-2's own
// functions as other groupings of the same products, GPT-2's tanh form
// with Pow(x, 3). Recognized as one attn.gelu, the activation is one op
// that attn-tile-matmul can apply in a projection's epilogue instead of
// five passes over the FFN's largest tensor.
//
// A product tree (attn.mul nodes whose intermediate values have no other
// use) is flattened into its factors, so every association order of
// x * 0.5 * (1 + f(x)) matches the same way. An attn.gelu is also moved
// above a reshape that only feeds it, next to the product it activates.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/ScalarConstants.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNFUSEGELUPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Whether `value` is a scalar float constant within a relative 1e-4 of
/// `expected` (exporters round these constants to float).
bool isConstantNear(Value value, double expected) {
  std::optional<double> got = matchScalarConstant(value);
  return got && std::abs(*got - expected) <= 1e-4 * std::abs(expected);
}

/// The factors of the product `value`: attn.mul nodes are opened when they
/// are `value` itself or used once (by the product), keep the type
/// (no broadcast inside the tree) and do not exceed `limit` factors.
SmallVector<Value> factorsOf(Value value, int limit = 4) {
  SmallVector<Value> factors, pending{value};
  while (!pending.empty() && (int)(factors.size() + pending.size()) <= limit) {
    Value v = pending.pop_back_val();
    auto mul = v.getDefiningOp<MulOp>();
    // A scalar constant factor broadcasts without changing the shape.
    auto keepsShape = [&](Value operand) {
      return operand.getType() == v.getType() || matchScalarConstant(operand).has_value();
    };
    if (mul && (v == value || v.hasOneUse()) && keepsShape(mul.getLhs()) &&
        keepsShape(mul.getRhs())) {
      pending.push_back(mul.getRhs());
      pending.push_back(mul.getLhs());
    } else {
      factors.push_back(v);
    }
  }
  if (!pending.empty())
    return {};
  return factors;
}

/// Removes from `factors` one scalar constant near `expected`; false if
/// there is none.
bool takeConstant(SmallVectorImpl<Value> &factors, double expected) {
  auto it = llvm::find_if(factors, [&](Value f) { return isConstantNear(f, expected); });
  if (it == factors.end())
    return false;
  factors.erase(it);
  return true;
}

/// The other operand of a two-operand op when one of them satisfies
/// `isConstant`.
template <typename Op>
Value otherThanConstant(Op op, double expected) {
  if (isConstantNear(op.getRhs(), expected))
    return op.getLhs();
  if (isConstantNear(op.getLhs(), expected))
    return op.getRhs();
  return {};
}

/// x when `scaled` is x / sqrt(2) or x * (1 / sqrt(2)).
Value erfArgument(Value scaled) {
  if (auto div = scaled.getDefiningOp<DivOp>())
    return isConstantNear(div.getRhs(), M_SQRT2) ? div.getLhs() : Value();
  if (auto mul = scaled.getDefiningOp<MulOp>())
    return otherThanConstant(mul, M_SQRT1_2);
  return {};
}

/// Whether `cube` is x^3: Pow(x, 3) or x * x * x.
bool isCube(Value cube, Value x) {
  if (auto pow = cube.getDefiningOp<PowOp>())
    return pow.getLhs() == x && isConstantNear(pow.getRhs(), 3.0);
  SmallVector<Value> factors = factorsOf(cube, 3);
  return factors.size() == 3 && llvm::all_of(factors, [&](Value f) { return f == x; });
}

/// x when `arg` is sqrt(2 / pi) * (x + 0.044715 * x^3), in any order.
Value tanhArgument(Value arg) {
  SmallVector<Value> factors = factorsOf(arg, 2);
  if (factors.size() != 2 || !takeConstant(factors, std::sqrt(2.0 / M_PI)))
    return {};
  auto sum = factors[0].getDefiningOp<AddOp>();
  if (!sum)
    return {};
  for (auto [candidate, term] : {std::pair(sum.getLhs(), sum.getRhs()),
                                 std::pair(sum.getRhs(), sum.getLhs())}) {
    Value x = candidate;
    SmallVector<Value> cubic = factorsOf(term, 4);
    if (!takeConstant(cubic, 0.044715))
      continue;
    if ((cubic.size() == 1 && isCube(cubic[0], x)) ||
        (cubic.size() == 3 && llvm::all_of(cubic, [&](Value f) { return f == x; })))
      return x;
  }
  return {};
}

/// x * 0.5 * (1 + erf(x / sqrt 2)) or its tanh form, as one attn.gelu.
struct FuseGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp root, PatternRewriter &rewriter) const override {
    SmallVector<Value> factors = factorsOf(root.getResult(), 3);
    if (factors.size() != 3 || !takeConstant(factors, 0.5))
      return rewriter.notifyMatchFailure(root, "not a product of x, 0.5 and 1 + f(x)");
    for (auto [x, onePlus] : {std::pair(factors[0], factors[1]),
                              std::pair(factors[1], factors[0])}) {
      auto add = onePlus.getDefiningOp<AddOp>();
      if (!add || !onePlus.hasOneUse() || x.getType() != root.getType())
        continue;
      Value f = otherThanConstant(add, 1.0);
      if (!f || !f.hasOneUse())
        continue;
      std::optional<GeluApproximation> form;
      if (auto erf = f.getDefiningOp<ErfOp>(); erf && erfArgument(erf.getInput()) == x)
        form = GeluApproximation::none;
      else if (auto tanh = f.getDefiningOp<TanhOp>(); tanh && tanhArgument(tanh.getInput()) == x)
        form = GeluApproximation::tanh;
      if (!form)
        continue;
      rewriter.replaceOpWithNewOp<GeluOp>(root, x, *form);
      return success();
    }
    return rewriter.notifyMatchFailure(root, "no erf or tanh GELU of the other factor");
  }
};

/// gelu(reshape(y)) -> reshape(gelu(y)) when the reshape has no other use:
/// the activation is elementwise, and next to its producer a projection
/// can take it into its epilogue (GPT-2's Conv1D reshapes its 2-D product
/// back to 3-D before the activation).
struct HoistGeluAboveReshape : OpRewritePattern<GeluOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GeluOp gelu, PatternRewriter &rewriter) const override {
    auto reshape = gelu.getInput().getDefiningOp<ReshapeOp>();
    if (!reshape || !reshape.getResult().hasOneUse() ||
        !isa<FloatType>(getElementTypeOrSelf(reshape.getInput().getType())))
      return rewriter.notifyMatchFailure(gelu, "not the only use of a reshape");
    Value activated =
        GeluOp::create(rewriter, gelu.getLoc(), reshape.getInput(), gelu.getApproximate());
    rewriter.replaceOpWithNewOp<ReshapeOp>(gelu, gelu.getType(), activated,
                                           reshape.getShapeAttr());
    rewriter.eraseOp(reshape);
    return success();
  }
};

struct AttnFuseGeluPass : attn::impl::AttnFuseGeluPassBase<AttnFuseGeluPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseGelu, HoistGeluAboveReshape>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

//===- ApproximateMath.cpp - Polynomial f32 transcendentals -------------===//

#include "compiler/cpu/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace attnc::cpu {
#define GEN_PASS_DEF_CPUAPPROXIMATEMATHPASS
#include "compiler/cpu/Passes.h.inc"
} // namespace attnc::cpu

using namespace mlir;

namespace {

/// erf(x) ≈ x·P(x²) / Q(x²) on x clamped to ±3.92 (past it erf rounds to ±1
/// in f32), the result clamped to [-1, 1]. P and Q of degree 5, fitted by
/// compiler/cpu/fit_erf.py: largest absolute error 3.5e-7 over [-6, 6]
/// with f32 arithmetic. Two Horner chains, a division and four compares:
/// 17 vector ops where MLIR's piecewise approximation takes 37 (three
/// coefficient sets chosen by 21 selects), which matters because BERT's
/// GELU evaluates erf on every element of its largest tensor.
struct ErfAsRational : OpRewritePattern<math::ErfOp> {
  using OpRewritePattern::OpRewritePattern;

  static constexpr float kClamp = 3.92f;
  static constexpr float kP[] = {1.12837899f,     0.192763284f,    0.0530600883f,
                                 0.00386820012f,  0.000287460716f, 2.03454442e-06f};
  static constexpr float kQ[] = {1.0f,           0.504163682f,   0.11508403f,
                                 0.0151720727f,  0.00118805352f, 3.80676647e-05f};

  LogicalResult matchAndRewrite(math::ErfOp op, PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return rewriter.notifyMatchFailure(op, "not f32");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto constant = [&](float value) -> Value {
      TypedAttr attr = b.getF32FloatAttr(value);
      if (auto shaped = dyn_cast<ShapedType>(type))
        attr = SplatElementsAttr::get(shaped, attr);
      return arith::ConstantOp::create(b, attr);
    };
    // min/max as compare-and-select, which keeps a NaN input (the compare
    // is false) and which x86 selects as one minps/maxps.
    auto clamp = [&](Value v, float bound) {
      Value high = constant(bound), low = constant(-bound);
      Value below = arith::SelectOp::create(
          b, arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, v, high), high, v);
      return arith::SelectOp::create(
          b, arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, below, low), low, below);
    };
    auto horner = [&](ArrayRef<float> coefficients, Value t) {
      Value sum = constant(coefficients.back());
      for (float c : llvm::reverse(coefficients.drop_back()))
        sum = math::FmaOp::create(b, sum, t, constant(c));
      return sum;
    };
    Value x = clamp(op.getOperand(), kClamp);
    Value t = arith::MulFOp::create(b, x, x);
    Value numerator = arith::MulFOp::create(b, x, horner(kP, t));
    Value ratio = arith::DivFOp::create(b, numerator, horner(kQ, t));
    rewriter.replaceOp(op, clamp(ratio, 1.0f));
    return success();
  }
};

struct CpuApproximateMathPass
    : attnc::cpu::impl::CpuApproximateMathPassBase<CpuApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ErfAsRational>(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      name.consume_front("math.");
      return llvm::is_contained({"exp", "expm1", "log", "log1p", "tanh"}, name);
    });
    populateMathAlgebraicSimplificationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

//===- NormalizationToLinalg.cpp - reductions, softmax, norms to linalg -===//
//
// Reductions are linalg.generic with reduction loops; softmax and the norms
// are written as reductions plus broadcasting elementwise generics.
//
//===----------------------------------------------------------------------===//

#include "dialects/attn/AttnOps.h"
#include "passes/lowering/LinalgBuilders.h"
#include "passes/lowering/Patterns.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::lowering;

namespace {

enum class ReduceKind { Sum, Mean, Max, Min };

/// Reduces `input` over `axes` and keeps them as unit dims, so the result
/// broadcasts back against the input.
Value reduceKeepDims(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, ReduceKind kind, bool isUnsigned = false) {
  auto type = cast<RankedTensorType>(input.getType());
  Type element = type.getElementType();
  Value init;
  switch (kind) {
  case ReduceKind::Sum:
  case ReduceKind::Mean:
    init = scalarConstant(b, loc, element, 0);
    break;
  case ReduceKind::Max:
    init = lowestValue(b, loc, element, isUnsigned);
    break;
  case ReduceKind::Min:
    init = highestValue(b, loc, element, isUnsigned);
    break;
  }
  Value reduced = buildReduction(
      b, loc, input, axes, init,
      [kind, isUnsigned](OpBuilder &nb, Location l, Value acc, Value x) -> Value {
        switch (kind) {
        case ReduceKind::Max:
          return scalarMax(nb, l, acc, x, isUnsigned);
        case ReduceKind::Min:
          return scalarMin(nb, l, acc, x, isUnsigned);
        default:
          return scalarAdd(nb, l, acc, x);
        }
      });
  Value kept = buildReshape(b, loc, reduced, keepDimsShape(type.getShape(), axes));
  if (kind != ReduceKind::Mean)
    return kept;
  int64_t count = 1;
  Value runTimeCount;
  for (int64_t axis : axes) {
    if (!type.isDynamicDim(axis)) {
      count *= type.getDimSize(axis);
      continue;
    }
    Value size = tensor::DimOp::create(b, loc, input, axis);
    runTimeCount = runTimeCount ? arith::MulIOp::create(b, loc, runTimeCount, size) : size;
  }
  Value divisor = scalarConstant(b, loc, element, (double)count);
  if (runTimeCount) {
    if (isa<FloatType>(element)) {
      Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), runTimeCount);
      Value asFloat = arith::SIToFPOp::create(b, loc, element, asInt);
      divisor = arith::MulFOp::create(b, loc, divisor, asFloat);
    } else {
      Value asElement = arith::IndexCastOp::create(b, loc, element, runTimeCount);
      divisor = arith::MulIOp::create(b, loc, divisor, asElement);
    }
  }
  auto keptType = cast<RankedTensorType>(kept.getType());
  return buildElementwise(b, loc, keptType, kept,
                          [&](OpBuilder &nb, Location l, ValueRange args) {
                            return scalarDiv(nb, l, args[0], divisor, isUnsigned);
                          });
}

Value binary(OpBuilder &b, Location loc, RankedTensorType type, Value x, Value y,
             Value (*fn)(OpBuilder &, Location, Value, Value)) {
  return buildElementwise(b, loc, type, ValueRange{x, y},
                          [fn](OpBuilder &nb, Location l, ValueRange args) {
                            return fn(nb, l, args[0], args[1]);
                          });
}

SmallVector<int64_t> trailingAxes(int64_t from, int64_t rank) {
  return llvm::to_vector(llvm::seq<int64_t>(from, rank));
}

template <typename OpTy, ReduceKind kind>
struct ReduceLowering : OpConversionPattern<OpTy> {
  ReduceLowering(MLIRContext *ctx, const UnsignedOps &unsignedOps)
      : OpConversionPattern<OpTy>(ctx), unsignedOps(unsignedOps) {}
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Value kept = reduceKeepDims(rewriter, op.getLoc(), adaptor.getInput(), op.getAxes(), kind,
                                unsignedOps.lookup(op).unsignedOperands);
    rewriter.replaceOp(op, buildReshape(rewriter, op.getLoc(), kept,
                                        op.getType().getShape()));
    return success();
  }

  const UnsignedOps &unsignedOps;
};

/// exp(x - max(x)) along `axis`, and its sum (kept dims).
std::pair<Value, Value> shiftedExp(OpBuilder &b, Location loc, Value x,
                                   RankedTensorType type, int64_t axis) {
  Value max = reduceKeepDims(b, loc, x, axis, ReduceKind::Max);
  Value exp = buildElementwise(b, loc, type, ValueRange{x, max},
                               [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                                 Value shifted = arith::SubFOp::create(nb, l, args[0], args[1]);
                                 return math::ExpOp::create(nb, l, shifted);
                               });
  Value sum = reduceKeepDims(b, loc, exp, axis, ReduceKind::Sum);
  return {exp, sum};
}

struct SoftmaxLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    auto [exp, sum] = shiftedExp(rewriter, op.getLoc(), adaptor.getInput(), type,
                                 op.getAxis());
    rewriter.replaceOp(op, binary(rewriter, op.getLoc(), type, exp, sum,
                                  [](OpBuilder &b, Location l, Value x, Value y) {
                                    return scalarDiv(b, l, x, y);
                                  }));
    return success();
  }
};

// log_softmax(x) = x - max - log(sum(exp(x - max)))
struct LogSoftmaxLowering : OpConversionPattern<LogSoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(LogSoftmaxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Value x = adaptor.getInput();
    Value max = reduceKeepDims(rewriter, loc, x, op.getAxis(), ReduceKind::Max);
    auto [exp, sum] = shiftedExp(rewriter, loc, x, type, op.getAxis());
    Value result = buildElementwise(
        rewriter, loc, type, ValueRange{x, max, sum},
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
          return arith::SubFOp::create(b, l, shifted, math::LogOp::create(b, l, args[2]));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// x * rsqrt(moment + eps) * scale (+ bias): the common tail of layer and
/// RMS normalization (`x` centered or not, `moment` the matching mean).
Value normalize(OpBuilder &b, Location loc, RankedTensorType type, Value x, Value moment,
                Value scale, Value bias, double epsilon) {
  SmallVector<Value> inputs = {x, moment, scale};
  if (bias)
    inputs.push_back(bias);
  return buildElementwise(b, loc, type, inputs,
                          [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                            Value eps = scalarConstant(nb, l, args[1].getType(), epsilon);
                            Value inv = math::RsqrtOp::create(
                                nb, l, arith::AddFOp::create(nb, l, args[1], eps));
                            Value y = arith::MulFOp::create(
                                nb, l, arith::MulFOp::create(nb, l, args[0], inv), args[2]);
                            return args.size() > 3
                                       ? arith::AddFOp::create(nb, l, y, args[3]).getResult()
                                       : y;
                          });
}

// (x - mean) / sqrt(var + eps) * scale + bias over dims [axis, rank)
struct LayerNormLowering : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    SmallVector<int64_t> axes = trailingAxes(op.getAxis(), type.getRank());
    Value x = adaptor.getInput();
    Value mean = reduceKeepDims(rewriter, loc, x, axes, ReduceKind::Mean);
    Value centered = binary(rewriter, loc, type, x, mean, scalarSub);
    Value squared = binary(rewriter, loc, type, centered, centered, scalarMul);
    Value variance = reduceKeepDims(rewriter, loc, squared, axes, ReduceKind::Mean);
    rewriter.replaceOp(op, normalize(rewriter, loc, type, centered, variance, adaptor.getScale(),
                                     adaptor.getBias(), op.getEpsilon().convertToDouble()));
    return success();
  }
};

// x / sqrt(mean(x^2) + eps) * scale over dims [axis, rank)
struct RmsNormLowering : OpConversionPattern<RmsNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(RmsNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    SmallVector<int64_t> axes = trailingAxes(op.getAxis(), type.getRank());
    Value x = adaptor.getInput();
    Value squared = binary(rewriter, loc, type, x, x, scalarMul);
    Value meanSquare = reduceKeepDims(rewriter, loc, squared, axes, ReduceKind::Mean);
    rewriter.replaceOp(op, normalize(rewriter, loc, type, x, meanSquare, adaptor.getScale(),
                                     /*bias=*/Value(), op.getEpsilon().convertToDouble()));
    return success();
  }
};

} // namespace

void mlir::attn::lowering::populateNormalizationToLinalgPatterns(
    RewritePatternSet &patterns, const UnsignedOps &unsignedOps) {
  patterns.add<ReduceLowering<ReduceSumOp, ReduceKind::Sum>,
               ReduceLowering<ReduceMeanOp, ReduceKind::Mean>,
               ReduceLowering<ReduceMaxOp, ReduceKind::Max>,
               ReduceLowering<ReduceMinOp, ReduceKind::Min>>(patterns.getContext(), unsignedOps);
  patterns.add<SoftmaxLowering, LogSoftmaxLowering, LayerNormLowering, RmsNormLowering>(
      patterns.getContext());
}

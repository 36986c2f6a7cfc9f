//===- ContractionToLinalg.cpp - attn matmul/linear/conv to linalg ------===//
//
// Contractions become one linalg.generic each, broadcasting batch dims
// through the indexing maps rather than materializing copies.
//
//===----------------------------------------------------------------------===//

#include "dialects/attn/AttnOps.h"
#include "dialects/attn/Broadcast.h"
#include "passes/lowering/LinalgBuilders.h"
#include "passes/lowering/Patterns.h"
#include "passes/tiling/ConvColumns.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::lowering;

namespace {

/// The type a contraction over `element` sums in: f32 for the 16-bit
/// floats (a bf16 sum of K products would lose most of its bits), else the
/// element type itself.
Type accumulatorType(Type element) {
  auto floatType = dyn_cast<FloatType>(element);
  if (floatType && floatType.getWidth() < 32)
    return Float32Type::get(element.getContext());
  return element;
}

/// out[loops] += lhs[lhsMap] * rhs[rhsMap] starting from `init`, with the
/// loop kinds given by `iterators` (in loop order). 16-bit floats are
/// multiplied and summed in f32 and rounded once at the end.
Value buildContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                       Value init, AffineMap lhsMap, AffineMap rhsMap,
                       AffineMap outMap,
                       ArrayRef<utils::IteratorType> iterators) {
  auto type = cast<RankedTensorType>(init.getType());
  Type element = type.getElementType(), acc = accumulatorType(element);
  auto widened = type.clone(acc);
  if (acc != element)
    init = buildElementwise(b, loc, widened, init, [&](OpBuilder &nb, Location l, ValueRange a) {
      return scalarCast(nb, l, a[0], acc);
    });
  Value sum = linalg::GenericOp::create(
                  b, loc, widened, ValueRange{lhs, rhs}, init,
                  ArrayRef<AffineMap>{lhsMap, rhsMap, outMap}, iterators,
                  [&](OpBuilder &nested, Location l, ValueRange args) {
                    Value x = scalarCast(nested, l, args[0], acc);
                    Value y = scalarCast(nested, l, args[1], acc);
                    Value product = scalarMul(nested, l, x, y);
                    linalg::YieldOp::create(nested, l, scalarAdd(nested, l, args[2], product));
                  })
                  .getResult(0);
  if (acc == element)
    return sum;
  return buildElementwise(b, loc, type, sum, [&](OpBuilder &nb, Location l, ValueRange a) {
    return scalarCast(nb, l, a[0], element);
  });
}

/// Batch-dim expressions of an operand whose batch shape broadcasts into
/// `batch` (aligned right; unit dims read index 0).
SmallVector<AffineExpr> batchExprs(MLIRContext *ctx, ArrayRef<int64_t> operandBatch,
                                   ArrayRef<int64_t> batch) {
  AffineMap map = broadcastMap(ctx, operandBatch, batch);
  return SmallVector<AffineExpr>(map.getResults());
}

// matmul(a [.., M, K], b [.., K, N]) -> [.., M, N]; 1-D operands are
// reshaped to matrices first.
struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    SmallVector<int64_t> a(op.getLhs().getType().getShape());
    SmallVector<int64_t> bShape(op.getRhs().getType().getShape());
    if (a.size() == 1) {
      a.insert(a.begin(), 1);
      lhs = buildReshape(rewriter, loc, lhs, a);
    }
    if (bShape.size() == 1) {
      bShape.push_back(1);
      rhs = buildReshape(rewriter, loc, rhs, bShape);
    }
    int64_t m = a[a.size() - 2], n = bShape.back();
    ArrayRef<int64_t> batchA = ArrayRef<int64_t>(a).drop_back(2);
    ArrayRef<int64_t> batchB = ArrayRef<int64_t>(bShape).drop_back(2);
    SmallVector<int64_t> batch = *broadcastShapes({batchA, batchB});
    int64_t nb = batch.size();
    // Loops: batch..., m, k, n. With n innermost, the inner loop streams
    // through a row of rhs and of the output, which LLVM vectorizes; a k
    // innermost loop would be a serial reduction.
    AffineExpr dm = getAffineDimExpr(nb, ctx), dk = getAffineDimExpr(nb + 1, ctx),
               dn = getAffineDimExpr(nb + 2, ctx);
    auto withBatch = [&](ArrayRef<int64_t> operandBatch, ArrayRef<AffineExpr> tail) {
      SmallVector<AffineExpr> exprs;
      for (AffineExpr e : batchExprs(ctx, operandBatch, batch))
        exprs.push_back(e);
      exprs.append(tail.begin(), tail.end());
      return AffineMap::get(nb + 3, 0, exprs, ctx);
    };
    AffineMap lhsMap = withBatch(batchA, {dm, dk});
    AffineMap rhsMap = withBatch(batchB, {dk, dn});
    SmallVector<AffineExpr> outExprs;
    for (int64_t d = 0; d <= nb; ++d)
      outExprs.push_back(getAffineDimExpr(d, ctx));
    outExprs.push_back(dn);
    AffineMap outMap = AffineMap::get(nb + 3, 0, outExprs, ctx);
    SmallVector<utils::IteratorType> iterators(nb + 3, utils::IteratorType::parallel);
    iterators[nb + 1] = utils::IteratorType::reduction;
    SmallVector<int64_t> outShape(batch);
    outShape.push_back(m);
    outShape.push_back(n);
    Type element = op.getType().getElementType();
    // Run-time dims: batch dims from whichever operand has one there, then
    // M from lhs and N from rhs (RunTimeDims.h).
    SmallVector<Value> sizes;
    for (auto [d, size] : llvm::enumerate(outShape)) {
      if (!ShapedType::isDynamic(size))
        continue;
      if ((int64_t)d == nb)
        sizes.push_back(tensor::DimOp::create(rewriter, loc, lhs, a.size() - 2));
      else if ((int64_t)d == nb + 1)
        sizes.push_back(tensor::DimOp::create(rewriter, loc, rhs, bShape.size() - 1));
      else
        for (auto [operand, operandBatch] : {std::pair{lhs, batchA}, std::pair{rhs, batchB}}) {
          int64_t aligned = (int64_t)d - (nb - (int64_t)operandBatch.size());
          if (aligned >= 0 && ShapedType::isDynamic(operandBatch[aligned])) {
            sizes.push_back(tensor::DimOp::create(rewriter, loc, operand, aligned));
            break;
          }
        }
    }
    Value init = buildFilled(rewriter, loc, RankedTensorType::get(outShape, element),
                             scalarConstant(rewriter, loc, element, 0), sizes);
    Value result = buildContraction(rewriter, loc, lhs, rhs, init, lhsMap, rhsMap,
                                    outMap, iterators);
    rewriter.replaceOp(op, buildReshape(rewriter, loc, result, op.getType().getShape()));
    return success();
  }
};

// linear(x [.., K], w [K, N] or [N, K]) + bias -> [.., N]
struct LinearLowering : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    int64_t rank = type.getRank();
    // Loops: leading dims, then (k, n) for a [K, N] weight so the inner loop
    // streams a weight row, or (n, k) for [N, K] so it streams a weight row
    // there too.
    bool transposed = op.getTransposeWeight();
    AffineExpr dk = getAffineDimExpr(transposed ? rank : rank - 1, ctx);
    AffineExpr dn = getAffineDimExpr(transposed ? rank - 1 : rank, ctx);
    SmallVector<AffineExpr> leading;
    for (int64_t d = 0; d + 1 < rank; ++d)
      leading.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineExpr> inputExprs(leading), outExprs(leading);
    inputExprs.push_back(dk);
    outExprs.push_back(dn);
    AffineMap inputMap = AffineMap::get(rank + 1, 0, inputExprs, ctx);
    AffineMap weightMap = AffineMap::get(
        rank + 1, 0, transposed ? ArrayRef<AffineExpr>{dn, dk} : ArrayRef<AffineExpr>{dk, dn},
        ctx);
    AffineMap outMap = AffineMap::get(rank + 1, 0, outExprs, ctx);
    SmallVector<utils::IteratorType> iterators(rank + 1, utils::IteratorType::parallel);
    iterators[transposed ? rank : rank - 1] = utils::IteratorType::reduction;
    // Run-time dims are the input's leading dims (RunTimeDims.h).
    SmallVector<Value> sizes;
    for (int64_t d = 0; d + 1 < rank; ++d)
      if (type.isDynamicDim(d))
        sizes.push_back(tensor::DimOp::create(rewriter, loc, adaptor.getInput(), d));
    Value init;
    if (Value bias = adaptor.getBias())
      init = buildElementwise(
          rewriter, loc, type, bias,
          [](OpBuilder &, Location, ValueRange args) { return args[0]; }, sizes);
    else
      init = buildFilled(rewriter, loc, type,
                         scalarConstant(rewriter, loc, type.getElementType(), 0), sizes);
    rewriter.replaceOp(op, buildContraction(rewriter, loc, adaptor.getInput(),
                                            adaptor.getWeight(), init, inputMap,
                                            weightMap, outMap, iterators));
    return success();
  }
};

/// One group, static, f32: the windows as rows times the weight's rows
/// (im2col, tiling/ConvColumns.h), one 2-D contraction that a backend's
/// matmul kernel takes (the GPU tiles it), started from the bias, then
/// the rows back to channels.
Value convAsMatmul(ConversionPatternRewriter &rewriter, Location loc, ConvOp op,
                   ConvOp::Adaptor adaptor) {
  MLIRContext *ctx = rewriter.getContext();
  Value columns = tiling::buildConvColumns(rewriter, loc, op, adaptor.getInput());
  Value weight = tiling::buildConvWeightRows(rewriter, loc, op, adaptor.getWeight());
  int64_t rows = cast<RankedTensorType>(columns.getType()).getDimSize(0);
  int64_t channels = op.getType().getDimSize(1);
  auto rowsType = RankedTensorType::get({rows, channels}, rewriter.getF32Type());
  Value init =
      adaptor.getBias()
          ? buildElementwise(rewriter, loc, rowsType, adaptor.getBias(),
                             [](OpBuilder &, Location, ValueRange args) { return args[0]; })
          : buildFilled(rewriter, loc, rowsType, scalarConstant(rewriter, loc, rewriter.getF32Type(), 0));
  // Loops (row, m, k): columns[row, k] · weight[m, k].
  AffineExpr row = getAffineDimExpr(0, ctx), m = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  Value product = buildContraction(
      rewriter, loc, columns, weight, init, AffineMap::get(3, 0, {row, k}, ctx),
      AffineMap::get(3, 0, {m, k}, ctx), AffineMap::get(3, 0, {row, m}, ctx),
      {utils::IteratorType::parallel, utils::IteratorType::parallel,
       utils::IteratorType::reduction});
  return tiling::buildChannelsFirst(rewriter, loc, product, op.getType());
}

// conv: pad into a zero tensor, split channels into groups, one generic
// over (n, g, m, out...) x (c, kernel...), then add the bias. One group
// runs as a matmul instead (convAsMatmul).
struct ConvLowering : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (tiling::convRunsAsMatmul(op)) {
      rewriter.replaceOp(op, convAsMatmul(rewriter, loc, op, adaptor));
      return success();
    }
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    auto inputType = op.getInput().getType();
    auto weightType = op.getWeight().getType();
    int64_t spatial = inputType.getRank() - 2;
    int64_t groups = op.getGroups();
    ArrayRef<int64_t> pads = op.getPads(), strides = op.getStrides(),
                      dilations = op.getDilations();
    int64_t n = inputType.getDimSize(0), c = inputType.getDimSize(1);
    int64_t m = weightType.getDimSize(0);

    Value input = buildZeroPadded(rewriter, loc, adaptor.getInput(), pads);
    auto inShape = cast<RankedTensorType>(input.getType()).getShape();
    // [N, C, ...] -> [N, G, C/G, ...]; [M, C/G, k...] -> [G, M/G, C/G, k...].
    SmallVector<int64_t> groupedIn = {n, groups, c / groups};
    groupedIn.append(inShape.begin() + 2, inShape.end());
    SmallVector<int64_t> groupedW = {groups, m / groups};
    groupedW.append(weightType.getShape().begin() + 1, weightType.getShape().end());
    Value in = buildReshape(rewriter, loc, input, groupedIn);
    Value w = buildReshape(rewriter, loc, adaptor.getWeight(), groupedW);

    // Loops: n, g, m, out_0.., c, k_0..
    int64_t outLoops = 3 + spatial, total = outLoops + 1 + spatial;
    auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> inExprs = {dim(0), dim(1), dim(outLoops)};
    SmallVector<AffineExpr> wExprs = {dim(1), dim(2), dim(outLoops)};
    SmallVector<AffineExpr> outExprs = {dim(0), dim(1), dim(2)};
    for (int64_t i = 0; i < spatial; ++i) {
      inExprs.push_back(dim(3 + i) * strides[i] + dim(outLoops + 1 + i) * dilations[i]);
      wExprs.push_back(dim(outLoops + 1 + i));
      outExprs.push_back(dim(3 + i));
    }
    SmallVector<int64_t> groupedOut = {n, groups, m / groups};
    groupedOut.append(type.getShape().begin() + 2, type.getShape().end());
    Value init = buildFilled(rewriter, loc, RankedTensorType::get(groupedOut, element),
                             scalarConstant(rewriter, loc, element, 0));
    SmallVector<utils::IteratorType> iterators(outLoops, utils::IteratorType::parallel);
    iterators.append(1 + spatial, utils::IteratorType::reduction);
    Value result = buildContraction(
        rewriter, loc, in, w, init, AffineMap::get(total, 0, inExprs, ctx),
        AffineMap::get(total, 0, wExprs, ctx), AffineMap::get(total, 0, outExprs, ctx),
        iterators);
    result = buildReshape(rewriter, loc, result, type.getShape());
    if (Value bias = adaptor.getBias()) {
      // Bias [M] broadcasts over [N, M, spatial...] as [M, 1, ...].
      SmallVector<int64_t> biasShape = {m};
      biasShape.append(spatial, 1);
      Value shaped = buildReshape(rewriter, loc, bias, biasShape);
      result = buildElementwise(rewriter, loc, type, ValueRange{result, shaped},
                                [](OpBuilder &b, Location l, ValueRange args) {
                                  return scalarAdd(b, l, args[0], args[1]);
                                });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::attn::lowering::populateContractionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MatmulLowering, LinearLowering, ConvLowering>(patterns.getContext());
}

//===- DataMovementToLinalg.cpp - attn layout ops to linalg/tensor ------===//
//
// constant, transpose, reshape, broadcast_to, tile, slice, concat, gather,
// trilu and cumsum: ops that move or select elements.
//
//===----------------------------------------------------------------------===//

#include "dialects/attn/AttnOps.h"
#include "passes/lowering/LinalgBuilders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "passes/lowering/Patterns.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::lowering;

namespace {

SmallVector<utils::IteratorType> parallelLoops(int64_t n) {
  return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
}

/// A generic over the result whose single input is read through `inputMap`
/// (a copy with re-indexing: slices, tiles, broadcasts).
Value buildGather(OpBuilder &b, Location loc, RankedTensorType resultType,
                  Value input, AffineMap inputMap) {
  // Run-time dims: those of the input that the result takes (broadcast).
  Value init = tensor::EmptyOp::create(b, loc, resultType,
                                       broadcastDynamicSizes(b, loc, resultType, input));
  SmallVector<AffineMap> maps = {inputMap,
                                 b.getMultiDimIdentityMap(resultType.getRank())};
  return linalg::GenericOp::create(
             b, loc, resultType, input, init, maps,
             parallelLoops(resultType.getRank()),
             [](OpBuilder &nested, Location l, ValueRange args) {
               linalg::YieldOp::create(nested, l, args[0]);
             })
      .getResult(0);
}

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, inlineBoolBlob(op.getValue()));
    return success();
  }

  /// A blob of bools (one byte each, as ONNX stores them) as dense bools:
  /// LLVM IR translation has no form for an i1 blob. Static models fold
  /// such constants (masks) away; with run-time dims a mask buffer is cut
  /// at run time and reaches code generation whole. Large blobs go to the
  /// weights object as bytes (WeightsObject.h) and stay blobs.
  static TypedAttr inlineBoolBlob(Attribute value) {
    auto blob = dyn_cast<DenseResourceElementsAttr>(value);
    if (!blob || !blob.getType().getElementType().isInteger(1) || !blob.getRawHandle().getBlob())
      return cast<TypedAttr>(value);
    ArrayRef<char> bytes = blob.getRawHandle().getBlob()->getData();
    if ((int64_t)bytes.size() != blob.getType().getNumElements() || bytes.size() >= 65536)
      return cast<TypedAttr>(value);
    SmallVector<bool> bools(bytes.size());
    for (auto [b, byte] : llvm::zip(bools, bytes))
      b = byte != 0;
    return DenseElementsAttr::get(blob.getType(), ArrayRef<bool>(bools));
  }
};

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        sizes.push_back(tensor::DimOp::create(rewriter, op.getLoc(), adaptor.getInput(),
                                              op.getPermutation()[d]));
    Value init = tensor::EmptyOp::create(rewriter, op.getLoc(), type, sizes);
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), adaptor.getInput(), init, op.getPermutation());
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildReshape(rewriter, op.getLoc(), adaptor.getInput(),
                                        op.getType().getShape()));
    return success();
  }
};

struct BroadcastToLowering : OpConversionPattern<BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(BroadcastToOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    AffineMap map = broadcastMap(rewriter.getContext(),
                                 op.getInput().getType().getShape(), type.getShape());
    rewriter.replaceOp(op, buildGather(rewriter, op.getLoc(), type,
                                       adaptor.getInput(), map));
    return success();
  }
};

// tile(x)[i] = x[i mod dim]
struct TileLowering : OpConversionPattern<TileOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TileOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    ArrayRef<int64_t> inShape = op.getInput().getType().getShape();
    SmallVector<AffineExpr> exprs;
    for (auto [d, dim] : llvm::enumerate(inShape))
      exprs.push_back(rewriter.getAffineDimExpr(d) % dim);
    AffineMap map = AffineMap::get(type.getRank(), 0, exprs, rewriter.getContext());
    rewriter.replaceOp(op, buildGather(rewriter, op.getLoc(), type,
                                       adaptor.getInput(), map));
    return success();
  }
};

// slice(x)[i] = x[offset + i * stride]: a tensor.extract_slice with
// |stride|, then the dims with a negative stride reversed. (A generic reading
// `offset + i * stride` directly would let linalg take a loop bound from the
// larger input.)
struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    Location loc = op.getLoc();
    if (type.hasStaticShape() && type.getNumElements() == 0) {
      rewriter.replaceOpWithNewOp<tensor::EmptyOp>(op, type.getShape(),
                                                   type.getElementType());
      return success();
    }
    SmallVector<OpFoldResult> offsets, sizes, strides;
    SmallVector<AffineExpr> readExprs;
    bool reverses = false;
    ValueRange counts = adaptor.getDynamicSizes();
    for (auto [d, offset, size, stride] :
         llvm::enumerate(op.getOffsets(), op.getSizes(), op.getStrides())) {
      // A run-time dim taken whole, or a run-time count (slice.C4).
      if (ShapedType::isDynamic(size)) {
        offsets.push_back(rewriter.getIndexAttr(offset));
        bool whole = op.getInput().getType().isDynamicDim(d);
        Value count = whole
                          ? tensor::DimOp::create(rewriter, loc, adaptor.getInput(), d).getResult()
                          : counts.front();
        if (!whole)
          counts = counts.drop_front();
        sizes.push_back(count);
        strides.push_back(rewriter.getIndexAttr(1));
        readExprs.push_back(rewriter.getAffineDimExpr(d));
        continue;
      }
      // A backward walk covers the same elements as a forward one from its
      // last index.
      int64_t first = stride > 0 ? offset : offset + (size - 1) * stride;
      offsets.push_back(rewriter.getIndexAttr(first));
      sizes.push_back(rewriter.getIndexAttr(size));
      strides.push_back(rewriter.getIndexAttr(std::abs(stride)));
      AffineExpr dim = rewriter.getAffineDimExpr(d);
      readExprs.push_back(stride > 0 ? dim : (size - 1) - dim);
      reverses |= stride < 0;
    }
    Value forward = tensor::ExtractSliceOp::create(rewriter, loc, type, adaptor.getInput(),
                                                   offsets, sizes, strides);
    if (!reverses) {
      rewriter.replaceOp(op, forward);
      return success();
    }
    AffineMap map = AffineMap::get(type.getRank(), 0, readExprs, rewriter.getContext());
    rewriter.replaceOp(op, buildGather(rewriter, loc, type, forward, map));
    return success();
  }
};

/// Dim `d` of `value`: a constant index, or read at run time.
static OpFoldResult dimOf(OpBuilder &b, Location loc, Value value, int64_t d) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!type.isDynamicDim(d))
    return b.getIndexAttr(type.getDimSize(d));
  return tensor::DimOp::create(b, loc, value, d).getResult();
}

/// `a + b` folded where both are constants.
static OpFoldResult addSizes(OpBuilder &b, Location loc, OpFoldResult lhs, OpFoldResult rhs) {
  std::optional<int64_t> l = getConstantIntValue(lhs), r = getConstantIntValue(rhs);
  if (l && r)
    return b.getIndexAttr(*l + *r);
  if (l == 0)
    return rhs;
  if (r == 0)
    return lhs;
  return arith::AddIOp::create(b, loc, getValueOrCreateConstantIndexOp(b, loc, lhs),
                               getValueOrCreateConstantIndexOp(b, loc, rhs))
      .getResult();
}

// Each input inserted at the running offset along the axis; along a
// run-time axis (a KV cache: past, then the new rows) the offsets and the
// result's extent are sums read at run time.
struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    Location loc = op.getLoc();
    int64_t axis = op.getAxis();
    // Run-time dims off the axis (RunTimeDims.h) from the first input.
    Value first = adaptor.getInputs().front();
    OpFoldResult total = rewriter.getIndexAttr(0);
    for (Value input : adaptor.getInputs())
      total = addSizes(rewriter, loc, total, dimOf(rewriter, loc, input, axis));
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dynamicSizes.push_back(d == axis ? getValueOrCreateConstantIndexOp(rewriter, loc, total)
                                         : tensor::DimOp::create(rewriter, loc, first, d));
    Value result = tensor::EmptyOp::create(rewriter, loc, type, dynamicSizes);
    OpFoldResult at = rewriter.getIndexAttr(0);
    for (Value input : adaptor.getInputs()) {
      auto inputType = cast<RankedTensorType>(input.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
      offsets[axis] = at;
      SmallVector<OpFoldResult> sizes, strides(type.getRank(), rewriter.getIndexAttr(1));
      for (int64_t d = 0; d < inputType.getRank(); ++d)
        sizes.push_back(dimOf(rewriter, loc, input, d));
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result, offsets,
                                             sizes, strides);
      at = addSizes(rewriter, loc, at, sizes[axis]);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

// gather(data, idx)[pre, j, post] = data[pre, wrap(idx[j]), post]
struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    Location loc = op.getLoc();
    Value data = adaptor.getData();
    auto dataType = cast<RankedTensorType>(data.getType());
    int64_t axis = op.getAxis();
    int64_t indexRank = op.getIndices().getType().getRank();
    // The gathered dim's extent (read at run time for a run-time dim).
    Value axisSize = dataType.isDynamicDim(axis)
                         ? tensor::DimOp::create(rewriter, loc, data, axis).getResult()
                         : arith::ConstantIndexOp::create(rewriter, loc, dataType.getDimSize(axis))
                               .getResult();
    SmallVector<AffineExpr> indexExprs;
    for (int64_t d = 0; d < indexRank; ++d)
      indexExprs.push_back(rewriter.getAffineDimExpr(axis + d));
    SmallVector<AffineMap> maps = {
        AffineMap::get(type.getRank(), 0, indexExprs, rewriter.getContext()),
        rewriter.getMultiDimIdentityMap(type.getRank())};
    // Run-time dims: the indices' in their place, the data's elsewhere.
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        continue;
      bool fromIndices = d >= axis && d < axis + indexRank;
      sizes.push_back(tensor::DimOp::create(
          rewriter, loc, fromIndices ? adaptor.getIndices() : data,
          fromIndices ? d - axis : (d < axis ? d : d - indexRank + 1)));
    }
    Value init = tensor::EmptyOp::create(rewriter, loc, type, sizes);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getIndices(), init, maps,
        parallelLoops(type.getRank()),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value raw = arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          // Negative indices count from the end; anything still out of
          // range is clamped so bad data cannot read outside the table.
          Value size = axisSize;
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value isNegative = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, raw, zero);
          Value wrapped = arith::SelectOp::create(
              b, l, isNegative, arith::AddIOp::create(b, l, raw, size), raw);
          Value last = arith::SubIOp::create(b, l, size, arith::ConstantIndexOp::create(b, l, 1));
          Value clamped = arith::MinSIOp::create(
              b, l, arith::MaxSIOp::create(b, l, wrapped, zero), last);
          SmallVector<Value> coords;
          for (int64_t d = 0; d < axis; ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          coords.push_back(clamped);
          for (int64_t d = axis + indexRank; d < type.getRank(); ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          linalg::YieldOp::create(b, l, tensor::ExtractOp::create(b, l, data, coords).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

// Keeps x where col - row is on the requested side of `diagonal`, else 0.
struct TriluLowering : OpConversionPattern<TriluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TriluOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    int64_t rank = type.getRank();
    bool upper = op.getUpper();
    int64_t diagonal = op.getDiagonal();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getInput(),
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value row = linalg::IndexOp::create(b, l, rank - 2);
          Value col = linalg::IndexOp::create(b, l, rank - 1);
          Value distance = arith::SubIOp::create(b, l, col, row);
          Value k = arith::ConstantIndexOp::create(b, l, diagonal);
          Value keep = arith::CmpIOp::create(
              b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
              distance, k);
          return arith::SelectOp::create(
              b, l, keep, args[0], scalarConstant(b, l, args[0].getType(), 0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

// cumsum(x)[.., i, ..] = sum over j of x[.., j, ..] where j precedes i
// (quadratic in the axis length, which is short where exporters use it).
struct CumSumLowering : OpConversionPattern<CumSumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = type.getRank(), axis = op.getAxis();
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    // Loops: the result dims, then j (the summed position) as dim `rank`.
    SmallVector<AffineExpr> inputExprs;
    for (int64_t d = 0; d < rank; ++d)
      inputExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
    SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, inputExprs, ctx),
                                   AffineMap::getMultiDimIdentityMap(rank + 1, ctx)
                                       .getMajorSubMap(rank)};
    SmallVector<utils::IteratorType> iterators = parallelLoops(rank);
    iterators.push_back(utils::IteratorType::reduction);
    Value zero = scalarConstant(rewriter, loc, type.getElementType(), 0);
    Value init = buildFilled(rewriter, loc, type, zero);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getInput(), init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value i = linalg::IndexOp::create(b, l, axis);
          Value j = linalg::IndexOp::create(b, l, rank);
          arith::CmpIPredicate predicate =
              reverse ? (exclusive ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::sge)
                      : (exclusive ? arith::CmpIPredicate::slt : arith::CmpIPredicate::sle);
          Value counts = arith::CmpIOp::create(b, l, predicate, j, i);
          Value term = arith::SelectOp::create(
              b, l, counts, args[0], scalarConstant(b, l, args[0].getType(), 0));
          linalg::YieldOp::create(b, l, scalarAdd(b, l, args[1], term));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void mlir::attn::lowering::populateDataMovementToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, TransposeLowering, ReshapeLowering,
               BroadcastToLowering, TileLowering, SliceLowering, ConcatLowering,
               GatherLowering, TriluLowering, CumSumLowering>(patterns.getContext());
}

//===- LinalgBuilders.cpp - Helpers shared by the attn-to-linalg patterns ===//

#include "passes/lowering/LinalgBuilders.h"
#include "dialects/attn/RunTimeDims.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include <cmath>
#include <limits>

namespace mlir::attn::lowering {

AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape) {
  unsigned rank = resultShape.size();
  unsigned lead = rank - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, dim] : llvm::enumerate(operandShape)) {
    // A unit dim stretched over a longer result dim always reads index 0.
    if (dim == 1 && resultShape[lead + i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(lead + i, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

SmallVector<Value> broadcastDynamicSizes(OpBuilder &b, Location loc, RankedTensorType type,
                                         ValueRange inputs) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d))
      continue;
    Value size;
    for (Value input : inputs) {
      auto inputType = cast<RankedTensorType>(input.getType());
      int64_t aligned = d - (type.getRank() - inputType.getRank());
      if (aligned >= 0 && inputType.isDynamicDim(aligned)) {
        size = tensor::DimOp::create(b, loc, input, aligned);
        break;
      }
    }
    assert(size && "a run-time result dim with no run-time input dim (RunTimeDims.h)");
    sizes.push_back(size);
  }
  return sizes;
}

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, ScalarBodyFn body, ValueRange dynamicSizes) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(broadcastMap(
        ctx, cast<RankedTensorType>(input.getType()).getShape(),
        resultType.getShape()));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  Value init = tensor::EmptyOp::create(
      b, loc, resultType,
      dynamicSizes.empty() ? broadcastDynamicSizes(b, loc, resultType, inputs)
                           : SmallVector<Value>(dynamicSizes));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs, init, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value buildFilled(OpBuilder &b, Location loc, RankedTensorType type,
                  Value value, ValueRange dynamicSizes) {
  Value empty = tensor::EmptyOp::create(b, loc, type, dynamicSizes);
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

Value buildZeroPadded(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> pads) {
  if (llvm::all_of(pads, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  int64_t spatial = type.getRank() - 2;
  SmallVector<int64_t> padded(type.getShape());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  for (int64_t i = 0; i < spatial; ++i) {
    padded[2 + i] += pads[i] + pads[spatial + i];
    offsets[2 + i] = b.getIndexAttr(pads[i]);
  }
  Type element = type.getElementType();
  Value zeros = buildFilled(b, loc, RankedTensorType::get(padded, element),
                            scalarConstant(b, loc, element, 0));
  SmallVector<OpFoldResult> sizes, unit(type.getRank(), b.getIndexAttr(1));
  for (int64_t dim : type.getShape())
    sizes.push_back(b.getIndexAttr(dim));
  return tensor::InsertSliceOp::create(b, loc, input, zeros, offsets, sizes, unit);
}

Value buildReshape(OpBuilder &b, Location loc, Value value,
                   ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  Type element = type.getElementType();
  auto target = RankedTensorType::get(shape, element);
  // With run-time dims: collapse onto the canonical shape, then expand
  // (dialects/attn/RunTimeDims.h), one run-time dim per group each way.
  if (!type.hasStaticShape() || !target.hasStaticShape()) {
    std::optional<RunTimeReshape> plan = runTimeReshape(type.getShape(), shape);
    assert(plan && "a reshape with run-time dims that attn.reshape's verifier refuses");
    auto groups = [](ArrayRef<SmallVector<int64_t, 2>> in) {
      return llvm::map_to_vector(in, [](const SmallVector<int64_t, 2> &g) {
        return ReassociationIndices(g.begin(), g.end());
      });
    };
    auto canonicalType = RankedTensorType::get(plan->canonical, element);
    Value canonical = value;
    if (type != canonicalType)
      canonical = tensor::CollapseShapeOp::create(b, loc, canonicalType, value,
                                                  groups(plan->fromGroups));
    if (target == canonicalType)
      return canonical;
    return tensor::ExpandShapeOp::create(b, loc, target, canonical, groups(plan->toGroups));
  }
  // Unit-only shapes to and from rank 0 need no reassociation groups.
  if (type.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, target, value,
                                         ArrayRef<ReassociationIndices>{});
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, target, value,
                                           ArrayRef<ReassociationIndices>{});
  // Otherwise through the flat 1-D view: collapse everything, then expand.
  auto allDims = [](int64_t rank) {
    ReassociationIndices all;
    for (int64_t i = 0; i < rank; ++i)
      all.push_back(i);
    return SmallVector<ReassociationIndices>{all};
  };
  Value flat = value;
  if (type.getRank() != 1)
    flat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({type.getNumElements()}, element), value,
        allDims(type.getRank()));
  if (shape.size() == 1)
    return flat;
  return tensor::ExpandShapeOp::create(b, loc, target, flat,
                                       allDims(shape.size()));
}

Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, Value init,
                     function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto type = cast<RankedTensorType>(input.getType());
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamicSizes;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (llvm::is_contained(axes, d)) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    shape.push_back(type.getDimSize(d));
    if (type.isDynamicDim(d))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, input, d));
    outExprs.push_back(getAffineDimExpr(d, ctx));
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value filled = buildFilled(b, loc, resultType, init, dynamicSizes);
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(type.getRank()),
      AffineMap::get(type.getRank(), 0, outExprs, ctx)};
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, input, filled, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc,
                                combine(nested, nestedLoc, args[1], args[0]));
      });
  return generic.getResult(0);
}

SmallVector<int64_t> keepDimsShape(ArrayRef<int64_t> shape,
                                   ArrayRef<int64_t> axes) {
  SmallVector<int64_t> kept(shape);
  for (int64_t axis : axes)
    kept[axis] = 1;
  return kept;
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto vectorType = dyn_cast<VectorType>(type)) {
    auto element = cast<FloatType>(vectorType.getElementType());
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vectorType, b.getFloatAttr(element, value)));
  }
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, value));
  return arith::ConstantOp::create(b, loc,
                                   b.getIntegerAttr(type, (int64_t)value));
}

Value lowestValue(OpBuilder &b, Location loc, Type type, bool isUnsigned) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(floatType, APFloat::getInf(floatType.getFloatSemantics(),
                                                  /*Negative=*/true)));
  unsigned width = type.getIntOrFloatBitWidth();
  APInt lowest = width == 1 || isUnsigned ? APInt(width, 0) : APInt::getSignedMinValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, lowest));
}

Value highestValue(OpBuilder &b, Location loc, Type type, bool isUnsigned) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(floatType, APFloat::getInf(floatType.getFloatSemantics())));
  unsigned width = type.getIntOrFloatBitWidth();
  APInt highest = width == 1 || isUnsigned ? APInt::getAllOnes(width)
                                           : APInt::getSignedMaxValue(width);
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, highest));
}

static bool isFloat(Value v) { return isa<FloatType>(v.getType()); }
static bool isBool(Value v) { return v.getType().isInteger(1); }

Value scalarAdd(OpBuilder &b, Location loc, Value x, Value y) {
  if (isFloat(x))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value scalarSub(OpBuilder &b, Location loc, Value x, Value y) {
  if (isFloat(x))
    return arith::SubFOp::create(b, loc, x, y);
  return arith::SubIOp::create(b, loc, x, y);
}

Value scalarMul(OpBuilder &b, Location loc, Value x, Value y) {
  if (isFloat(x))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

Value scalarDiv(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  if (isFloat(x))
    return arith::DivFOp::create(b, loc, x, y);
  // Integer division by zero is undefined in ONNX; divide by 1 instead of
  // trapping so bad data can never crash the program.
  Value zero = scalarConstant(b, loc, y.getType(), 0);
  Value one = scalarConstant(b, loc, y.getType(), 1);
  Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
  Value safe = arith::SelectOp::create(b, loc, isZero, one, y);
  if (isUnsigned)
    return arith::DivUIOp::create(b, loc, x, safe);
  return arith::DivSIOp::create(b, loc, x, safe);
}

Value scalarMax(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  if (isFloat(x))
    return arith::MaximumFOp::create(b, loc, x, y);
  if (isBool(x))
    return arith::OrIOp::create(b, loc, x, y);
  if (isUnsigned)
    return arith::MaxUIOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}

Value scalarMin(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  if (isFloat(x))
    return arith::MinimumFOp::create(b, loc, x, y);
  if (isBool(x))
    return arith::AndIOp::create(b, loc, x, y);
  if (isUnsigned)
    return arith::MinUIOp::create(b, loc, x, y);
  return arith::MinSIOp::create(b, loc, x, y);
}

Value scalarCast(OpBuilder &b, Location loc, Value x, Type to, IntegerSigns signs) {
  Type from = x.getType();
  if (from == to)
    return x;
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (to.isInteger(1)) {
    if (fromFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                   scalarConstant(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x,
                                 scalarConstant(b, loc, from, 0));
  }
  if (fromFloat && toFloat) {
    // f16 <-> bf16: the same width, different formats; through f32.
    if (fromFloat.getWidth() == toFloat.getWidth())
      return arith::TruncFOp::create(b, loc, to,
                                     arith::ExtFOp::create(b, loc, b.getF32Type(), x));
    if (fromFloat.getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, x);
    return arith::TruncFOp::create(b, loc, to, x);
  }
  if (fromFloat) {
    if (signs.unsignedResult)
      return arith::FPToUIOp::create(b, loc, to, x);
    return arith::FPToSIOp::create(b, loc, to, x);
  }
  bool fromUnsigned = from.isInteger(1) || signs.unsignedOperands;
  if (toFloat) {
    if (fromUnsigned)
      return arith::UIToFPOp::create(b, loc, to, x);
    return arith::SIToFPOp::create(b, loc, to, x);
  }
  // Integer to integer: the source's signedness decides the extension; a
  // narrower or equal-width target keeps the low bits (two's complement).
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth == toWidth)
    return x;
  if (fromWidth > toWidth)
    return arith::TruncIOp::create(b, loc, to, x);
  if (fromUnsigned)
    return arith::ExtUIOp::create(b, loc, to, x);
  return arith::ExtSIOp::create(b, loc, to, x);
}

/// erf-based GELU: x * 0.5 * (1 + erf(x / sqrt(2))).
Value geluExact(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value scaled = arith::MulFOp::create(b, loc, x, scalarConstant(b, loc, t, M_SQRT1_2));
  Value erf = math::ErfOp::create(b, loc, scaled);
  Value onePlus = arith::AddFOp::create(b, loc, erf, scalarConstant(b, loc, t, 1.0));
  Value half = arith::MulFOp::create(b, loc, x, scalarConstant(b, loc, t, 0.5));
  return arith::MulFOp::create(b, loc, half, onePlus);
}

/// tanh-approximated GELU (GPT-2's "gelu_new").
Value geluTanh(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value cube = arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
  Value inner = arith::AddFOp::create(
      b, loc, x, arith::MulFOp::create(b, loc, cube, scalarConstant(b, loc, t, 0.044715)));
  Value arg = arith::MulFOp::create(
      b, loc, inner, scalarConstant(b, loc, t, std::sqrt(2.0 / M_PI)));
  Value onePlus = arith::AddFOp::create(b, loc, math::TanhOp::create(b, loc, arg),
                                        scalarConstant(b, loc, t, 1.0));
  Value half = arith::MulFOp::create(b, loc, x, scalarConstant(b, loc, t, 0.5));
  return arith::MulFOp::create(b, loc, half, onePlus);
}

} // namespace mlir::attn::lowering

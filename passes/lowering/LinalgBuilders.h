//===- LinalgBuilders.h - Helpers shared by the attn-to-linalg patterns -===//
//
// Broadcast-aware linalg.generic construction and the scalar arithmetic the
// attn ops lower to, written once for every pattern.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_LOWERING_LINALGBUILDERS_H
#define ATTNC_PASSES_LOWERING_LINALGBUILDERS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::attn::lowering {

/// Which integers of an attn op were unsigned (ONNX's uint8..64) before
/// attn-to-linalg made every integer signless: arith takes signless
/// integers and says the signedness in the op (divui, cmpi ult, extui,
/// uitofp), so the lowering of such an op reads it from here.
struct IntegerSigns {
  bool unsignedOperands = false;
  bool unsignedResult = false;
};
/// The ops of a function that had unsigned integers, by op.
using UnsignedOps = llvm::DenseMap<Operation *, IntegerSigns>;

/// Computes one scalar result from the scalars of the generic's inputs.
using ScalarBodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Map from the loops of a rank-`resultShape.size()` result to the indices
/// of an operand of `operandShape` broadcast numpy-style into it.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape);

/// The run-time sizes of a `type` result that broadcasts `inputs`, one per
/// `?` of `type`, each read from the first input with a run-time dim in
/// that place (a run-time dim never broadcasts; dialects/attn/RunTimeDims.h).
SmallVector<Value> broadcastDynamicSizes(OpBuilder &b, Location loc, RankedTensorType type,
                                         ValueRange inputs);

/// A linalg.generic writing `resultType`, reading `inputs` with numpy
/// broadcasting, computing each element with `body`. Its run-time dims are
/// `dynamicSizes` when given, else broadcastDynamicSizes of `inputs`.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, ScalarBodyFn body, ValueRange dynamicSizes = {});

/// A tensor of `type` filled with the scalar `value`; `dynamicSizes` gives
/// its run-time dims, in order.
Value buildFilled(OpBuilder &b, Location loc, RankedTensorType type,
                  Value value, ValueRange dynamicSizes = {});

/// `input` [N, C, spatial...] (static) inside zeros: `pads` holds the
/// begin pads of each spatial dim, then the end pads (ONNX Conv's order).
/// `input` itself when every pad is 0.
Value buildZeroPadded(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> pads);

/// Reshapes `value` to `shape` (same element count) with collapse/expand.
/// With run-time dims, only unit dims may be added or dropped.
Value buildReshape(OpBuilder &b, Location loc, Value value,
                   ArrayRef<int64_t> shape);

/// Reduces `input` over the sorted `axes` with `combine(acc, x)` starting
/// from `init`; the result drops the reduced dims.
Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, Value init,
                     function_ref<Value(OpBuilder &, Location, Value, Value)> combine);

/// The reduced shape with `axes` kept as 1s (for broadcasting back).
SmallVector<int64_t> keepDimsShape(ArrayRef<int64_t> shape,
                                   ArrayRef<int64_t> axes);

// Scalar constants of `type` (a float or integer type, or a splat of a
// float vector type).
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);

/// GELU of `x` (a float or a float vector), as attn.gelu defines it: the
/// erf form x * 0.5 * (1 + erf(x / sqrt(2))), and the tanh form (GPT-2's
/// "gelu_new"). attn-to-linalg and the matmul epilogue both build it here.
Value geluExact(OpBuilder &b, Location loc, Value x);
Value geluTanh(OpBuilder &b, Location loc, Value x);
/// The identity of max (lowest value) or min (highest value) for `type`,
/// an unsigned one's with `isUnsigned`.
Value lowestValue(OpBuilder &b, Location loc, Type type, bool isUnsigned = false);
Value highestValue(OpBuilder &b, Location loc, Type type, bool isUnsigned = false);

// Scalar arithmetic dispatched on float vs integer element types.
Value scalarAdd(OpBuilder &b, Location loc, Value x, Value y);
Value scalarSub(OpBuilder &b, Location loc, Value x, Value y);
Value scalarMul(OpBuilder &b, Location loc, Value x, Value y);
// Integer division, max and min read `isUnsigned`.
Value scalarDiv(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned = false);
Value scalarMax(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned = false);
Value scalarMin(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned = false);
/// Converts a scalar like ONNX Cast (float->int truncates, ->i1 is != 0);
/// `signs` says whether `x` and `to` are unsigned integers.
Value scalarCast(OpBuilder &b, Location loc, Value x, Type to, IntegerSigns signs = {});

} // namespace mlir::attn::lowering

#endif // ATTNC_PASSES_LOWERING_LINALGBUILDERS_H

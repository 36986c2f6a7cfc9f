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

namespace mlir::attn::lowering {

/// Computes one scalar result from the scalars of the generic's inputs.
using ScalarBodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Map from the loops of a rank-`resultShape.size()` result to the indices
/// of an operand of `operandShape` broadcast numpy-style into it.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape);

/// A linalg.generic writing `resultType`, reading `inputs` with numpy
/// broadcasting, computing each element with `body`.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, ScalarBodyFn body);

/// A tensor of `type` filled with the scalar `value`.
Value buildFilled(OpBuilder &b, Location loc, RankedTensorType type,
                  Value value);

/// Reshapes `value` to `shape` (same element count) with collapse/expand.
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

// Scalar constants of `type` (a float or integer type).
Value scalarConstant(OpBuilder &b, Location loc, Type type, double value);
/// The identity of max (lowest value) or min (highest value) for `type`.
Value lowestValue(OpBuilder &b, Location loc, Type type);
Value highestValue(OpBuilder &b, Location loc, Type type);

// Scalar arithmetic dispatched on float vs integer element types.
Value scalarAdd(OpBuilder &b, Location loc, Value x, Value y);
Value scalarSub(OpBuilder &b, Location loc, Value x, Value y);
Value scalarMul(OpBuilder &b, Location loc, Value x, Value y);
Value scalarDiv(OpBuilder &b, Location loc, Value x, Value y);
Value scalarMax(OpBuilder &b, Location loc, Value x, Value y);
Value scalarMin(OpBuilder &b, Location loc, Value x, Value y);
/// Converts a scalar like ONNX Cast (float->int truncates, ->i1 is != 0).
Value scalarCast(OpBuilder &b, Location loc, Value x, Type to);

} // namespace mlir::attn::lowering

#endif // ATTNC_PASSES_LOWERING_LINALGBUILDERS_H

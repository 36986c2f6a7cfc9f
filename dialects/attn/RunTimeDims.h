//===- RunTimeDims.h - Where an attn op's run-time dims come from -*- C++ -*-===//
//
// A model compiled with run-time dims (`attnc compile --max-shape`) has `?`
// dims that start at the function's arguments and flow through the ops. For
// each such dim of a result, `runTimeDimSource` names an operand dim that
// has the same extent at run time; the lowering reads the extent from it
// (tensor.dim), and `traceRunTimeDim` follows the sources back to the
// argument dim it came from (the compiler's signature names outputs' dims by
// their input symbols that way).
//
// A run-time dim never broadcasts: where ONNX would stretch a 1 at run time,
// attnc assumes the dims are equal (the runtime checks every input against
// its bounds and the symbols they share). Ops with no rule here (reshapes,
// slices, concats, gathers, attention, ...) have no source and so need
// static shapes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECTS_ATTN_RUNTIMEDIMS_H
#define ATTNC_DIALECTS_ATTN_RUNTIMEDIMS_H

#include "mlir/IR/Operation.h"
#include <optional>

namespace mlir::attn {

/// An operand dim: `value`'s dim `dim`.
struct DimOf {
  Value value;
  unsigned dim;
};

/// An operand dim of `op` equal to dim `dim` of its result `result` at run
/// time, when `op` has a rule for it (see above); nullopt otherwise.
std::optional<DimOf> runTimeDimSource(Operation *op, unsigned result, unsigned dim);

/// The function argument dim that dim `dim` of `value` equals, following
/// runTimeDimSource; nullopt when some op on the way has no rule.
std::optional<DimOf> traceRunTimeDim(Value value, unsigned dim);

/// Whether every run-time dim of `op`'s results has a source.
bool hasRunTimeDimSources(Operation *op);

/// How a reshape with run-time dims maps its input onto its result: the
/// k-th `?` of one is the k-th `?` of the other, and the static dims between
/// two `?`s (a segment) hold the same number of elements on both sides. Both
/// shapes collapse onto `canonical` (one dim per `?`, one per segment of
/// more than one element; unit dims join a neighbour), `fromGroups` and
/// `toGroups` being the reassociations, so the reshape lowers as a collapse
/// then an expand with at most one run-time dim per group.
struct RunTimeReshape {
  SmallVector<int64_t> canonical;
  SmallVector<SmallVector<int64_t, 2>> fromGroups, toGroups;
};

/// The mapping above, or nullopt when `from` -> `to` is not such a reshape
/// (a different number of `?`s, or a segment whose element counts differ).
std::optional<RunTimeReshape> runTimeReshape(ArrayRef<int64_t> from, ArrayRef<int64_t> to);

} // namespace mlir::attn

#endif // ATTNC_DIALECTS_ATTN_RUNTIMEDIMS_H

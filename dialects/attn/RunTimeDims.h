//===- RunTimeDims.h - Where an attn op's run-time dims come from -*- C++ -*-===//
//
// A model compiled with run-time dims (`attnc compile --max-shape`) has `?`
// dims that start at the function's arguments and flow through the ops. For
// each such dim of a result, `runTimeDimSource` names an operand dim that
// has the same extent at run time; the lowering reads the extent from it
// (tensor.dim), and `traceRunTimeExtent` follows the sources back to the
// argument dims it is made of (the compiler's signature writes outputs' dims
// over their input symbols that way, e.g. `past + 1` for a KV cache).
//
// A run-time dim never broadcasts: where ONNX would stretch a 1 at run time,
// attnc assumes the dims are equal (the runtime checks every input against
// its bounds and the symbols they share). A concat along a run-time dim
// has no single source: its extent is the sum of its inputs'. attn.sdpa's
// result takes its dims from the query (and Dv from the value). Ops with no
// rule here need static shapes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECTS_ATTN_RUNTIMEDIMS_H
#define ATTNC_DIALECTS_ATTN_RUNTIMEDIMS_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringRef.h"
#include <optional>

namespace mlir::attn {

/// Where a model's run-time dims are named (written by the ONNX frontend,
/// read by the manifest and the tiling decisions): on each argument of
/// `@main`, an array with its symbol per dim ("" for a static one); on the
/// function, a dictionary of each symbol's bound.
inline constexpr llvm::StringLiteral kDimSymbolsAttrName = "attnc.dim_symbols";
inline constexpr llvm::StringLiteral kDimBoundsAttrName = "attnc.dim_bounds";

/// An operand dim: `value`'s dim `dim`.
struct DimOf {
  Value value;
  unsigned dim;
};

/// An operand dim of `op` equal to dim `dim` of its result `result` at run
/// time, when `op` has a rule for it (see above); nullopt otherwise.
std::optional<DimOf> runTimeDimSource(Operation *op, unsigned result, unsigned dim);

/// A run-time extent as a linear form over the function's argument dims:
/// `constant` plus each term's argument dim times its coefficient. A concat
/// along a run-time dim sums its inputs' extents (a KV cache: past + new);
/// a slice's run-time count is whatever index arithmetic computes it.
struct LinearExtent {
  int64_t constant = 0;
  SmallVector<std::pair<DimOf, int64_t>> terms;

  /// Adds `scale` times `other`, merging terms of the same dim.
  void add(const LinearExtent &other, int64_t scale = 1);

  /// Whether it is >= 0 whatever the dims' values (dims are >= 0): the
  /// constant and every coefficient are.
  bool isNonNegative() const;
};

/// Dim `dim` of `value` as a linear form over argument dims, following
/// runTimeDimSource, concats along their axis and slice counts; a static
/// dim is a constant. nullopt when some op on the way has no rule.
std::optional<LinearExtent> traceRunTimeExtent(Value value, unsigned dim);

/// An index value (a slice's run-time count) as a linear form: constants,
/// tensor.dim of a traceable dim, and arith add / sub / multiply by a
/// constant. nullopt for anything else.
std::optional<LinearExtent> traceIndexValue(Value index);

/// The largest value dim `dim` of `value` takes in a run: its extent traced
/// to the function's argument dims, each at the bound of its symbol
/// (`attnc.dim_symbols`, `attnc.dim_bounds`); its size when static; nullopt
/// where a term has no bound.
std::optional<int64_t> runTimeBound(Value value, unsigned dim);

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

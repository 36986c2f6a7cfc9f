//===- MaskEvaluator.h - Evaluate constant mask arithmetic -------*- C++ -*-===//
//
// Masks are often computed in the graph from constants (Range/compare,
// Trilu of ones, a slice of a registered tril buffer). The folders stop at
// small tensors so the IR stays small; mask inference instead evaluates the
// arithmetic here, at any size up to a bound, without building attributes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_FUSION_MASKEVALUATOR_H
#define ATTNC_PASSES_FUSION_MASKEVALUATOR_H

#include "dialects/attn/AttnOps.h"
#include <memory>
#include <optional>
#include <vector>

namespace mlir::attn {

/// A tensor's elements (row-major) as doubles: floats as themselves,
/// integers and i1 as their (0/1) values.
struct EvaluatedTensor {
  SmallVector<int64_t> shape;
  std::vector<double> data;
};

/// The value of `value` when it is computed from constants only, through
/// reshape, broadcast_to, slice, transpose, cast, where, trilu, neg, not,
/// log and the elementwise binary ops; nullopt for anything else or a
/// tensor over `maxElements`. Arithmetic is in double precision, which
/// agrees with f32 on what a mask hides (0 vs. -inf / large negative).
std::optional<EvaluatedTensor> evaluateConstantSubgraph(Value value, int64_t maxElements);

} // namespace mlir::attn

#endif // ATTNC_PASSES_FUSION_MASKEVALUATOR_H

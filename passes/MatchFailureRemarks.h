//===- MatchFailureRemarks.h - Why patterns did not fire, as remarks -*- C++ -*-===//
//
// The attn passes' patterns say why they do not match through
// notifyMatchFailure. With a pass's `explain` option those reasons become
// remarks at the op's location ("attn-fuse-sdpa: the scores are not a
// matmul of q and kᵀ"), so users see them (`attnc compile --attn-explain`)
// and lit tests check them with -verify-diagnostics (expected-remark).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_MATCHFAILUREREMARKS_H
#define ATTNC_PASSES_MATCHFAILUREREMARKS_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"

namespace mlir::attn {

/// Applies `patterns` greedily to the regions of `op`, like
/// applyPatternsGreedily. With `explain`, then emits one remark per op and
/// reason, prefixed with `passFlag`, for every pattern that still fails
/// there: a second sweep over the converged IR, where nothing matches any
/// more, so every reason reported is final (a failure that a later rewrite
/// cured is not reported).
LogicalResult applyPatternsExplained(Operation *op, const FrozenRewritePatternSet &patterns,
                                     bool explain, StringRef passFlag);

} // namespace mlir::attn

#endif // ATTNC_PASSES_MATCHFAILUREREMARKS_H

//===- RunTimeWindow.h - A band mask cut from a buffer at run time -*- C++ -*-===//
//
// With run-time lengths, exporters build the causal mask by cutting rows out
// of a constant band buffer at the queries' positions: GPT-2's
// `bias[:, :, past : past + S, :past + S]` becomes
//
//   rows = iota(S) + past                      (Range from a run-time start)
//   cond = slice(gather(bias, rows, axis -2))  (the first T keys)
//   mask = where(cond, 0, -inf)
//
// The mask exists only at run time, but its structure does not depend on
// it: query i stands at position past + i and sees key j exactly where the
// buffer's band lets row past + i see column j. This proves that and
// returns the window and the run-time offset. Without a cache the rows are
// cut from row 0 (offset 0), and masks built by Trilu of a run-time square
// (LLaMA's `triu(full(-inf), 1)`, `tril(ones)`) are bands from 0 as well.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_FUSION_RUNTIMEWINDOW_H
#define ATTNC_PASSES_FUSION_RUNTIMEWINDOW_H

#include "dialects/attn/AttnOps.h"
#include <string>

namespace mlir::attn {

/// The structure of a run-time band mask: its window (null when the band
/// hides nothing) and the position of the first query, a rank-0 or [1] i64
/// tensor computed at run time (or a constant); null for position 0.
struct RunTimeWindow {
  WindowAttr window;
  Value offset;
};

/// What one mask term shows: key j to the query at position p = start + i
/// iff -left <= j - p <= right (a side WindowAttr::kUnbounded is open).
struct RunTimeBand {
  int64_t left, right;
  Value start;
};

/// Proves that the additive mask term `term` (0 / -inf) of `op` is a band
/// at run time: rows of a constant band buffer picked at a run-time start,
/// a Trilu of a run-time square, or a comparison of key and query
/// positions (or of their distance with a constant). Declines (with
/// `reason`) for anything else.
FailureOr<RunTimeBand> inferRunTimeBand(SdpaOp op, Value term, std::string &reason);

/// The window that shows what all `bands` (the terms of one mask) show.
/// Declines when the terms place the queries differently, or when the left
/// side is bounded and the queries' positions are not provably within the
/// keys (start + S <= T from the shapes' arithmetic): a query could then
/// see no key, and the graph's result depend on its fill value.
FailureOr<RunTimeWindow> combineRunTimeBands(SdpaOp op, ArrayRef<RunTimeBand> bands,
                                             std::string &reason);

} // namespace mlir::attn

#endif // ATTNC_PASSES_FUSION_RUNTIMEWINDOW_H

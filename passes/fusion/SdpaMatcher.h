//===- SdpaMatcher.h - Recognize exported attention around a softmax ----===//
//
// Shared by attn-fuse-sdpa (which rewrites a match) and `attnc report`
// (which explains every site, fused or not).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_FUSION_SDPAMATCHER_H
#define ATTNC_PASSES_FUSION_SDPAMATCHER_H

#include "dialects/attn/AttnOps.h"
#include <string>

namespace mlir::attn {

/// One attention as an exporter wrote it:
///   softmax(scale * (q' @ kt') + masks) @ v'
struct SdpaSite {
  SoftmaxOp softmax;
  MatmulOp scores;  // q' @ kt'
  MatmulOp output;  // probabilities @ v'
  Value query;      // [.., S, D] with any q-side scale peeled off
  Value keyT;       // [.., D, T] with any k-side scale peeled off
  Value value;      // [.., T, Dv]
  double scale = 1.0;
  /// Additive masks, each with the factor the scores' scale applied to it.
  SmallVector<std::pair<Value, double>> additiveMasks;
  /// Boolean masks, `true` where a key is visible.
  SmallVector<Value> visibleMasks;
  /// Boolean masks, `true` where a key is hidden (Where(c, fill, s)).
  SmallVector<Value> hiddenMasks;
  /// Every graph op the fused op replaces (for the report).
  SmallVector<Operation *> covered;
  /// Heads folded into the batch of 3-D scores [B·H, S, T] whose masks are
  /// added on a [B, H, S, T] view of them (HF's seq2seq attention): the
  /// real head count H, so the fused op gets [B, H, ...] operands and the
  /// masks keep their [B, H, S, T] meaning; 0 otherwise.
  int64_t viewHeads = 0;
  /// OPT's clamp, max(scores + masks, c) with c <= -1e30: the additive
  /// masks from index `clampedFrom` on were added inside it, and their sum
  /// is clamped at c (in f32, s + max(m, c) == max(s + m, c) for any score
  /// below 2^103 in magnitude).
  std::optional<double> clamp;
  size_t clampedFrom = 0;
  /// Constant scalings of q or k behind their head views (HF's
  /// `q_proj(x) * scaling` before the split into heads): their factors are
  /// in `scale`, and the rewrite bypasses them.
  SmallVector<Operation *> scalesBehindViews;
};

/// Whether `softmax` is an attention site: its input is computed from a
/// Q·Kᵀ matmul through scale and mask ops.
bool isAttentionSite(SoftmaxOp softmax);

/// Matches the attention around `softmax`; on failure `reason` says why
/// (these reasons are what `attnc report` shows).
FailureOr<SdpaSite> matchSdpaSite(SoftmaxOp softmax, std::string &reason);

/// Builds the attn.sdpa for `site` and replaces its output matmul.
/// Returns the new op.
SdpaOp rewriteSdpaSite(RewriterBase &rewriter, const SdpaSite &site);

} // namespace mlir::attn

#endif // ATTNC_PASSES_FUSION_SDPAMATCHER_H

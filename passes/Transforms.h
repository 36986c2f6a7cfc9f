//===- Transforms.h - reusable rewrites behind the attn passes --*- C++ -*-===//
//
// Passes are thin drivers; the rewrites live here so pipelines and other
// passes can call them directly.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_TRANSFORMS_H
#define ATTNC_PASSES_TRANSFORMS_H

#include "dialects/attn/AttnOps.h"
#include "passes/SdpaTiling.h"
#include "passes/lowering/LinalgBuilders.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {

/// Replaces `op` by the unfused graph ops it stands for (see
/// AttnDecomposeSdpaPass in Passes.td). Returns the replacement value.
Value decomposeSdpa(RewriterBase &rewriter, SdpaOp op);

/// Adds the pattern that decomposes every attn.sdpa.
void populateAttnDecomposeSdpaPatterns(RewritePatternSet &patterns);

/// Adds the pattern that raises a written-out softmax
/// (exp(x - max) / sum, or * reciprocal(sum)) to attn.softmax.
void populateAttnRaiseSoftmaxPatterns(RewritePatternSet &patterns);

/// The block structure attn-tile-sdpa gives `op`. With a run-time length,
/// block counts are known only at run time: qBlocks and kvBlocks are 0 and
/// the visited and full blocks unknown.
struct SdpaTilingPlan {
  int64_t qBlock, kvBlock;
  int64_t qBlocks, kvBlocks;
  /// (q-block, kv-block) pairs visited per (batch, head); unknown when a
  /// run-time offset decides the window's position.
  std::optional<int64_t> visitedBlocks;
  /// Of the visited pairs, those where every (query, key) pair is visible
  /// (no mask code runs); unknown with an offset, 0 with a key or dense
  /// mask. A kv-block spans kvBlock keys rounded up to `vectorWidth`.
  std::optional<int64_t> fullBlocks;
};
SdpaTilingPlan planSdpaTiling(SdpaOp op, int64_t qBlock, int64_t kvBlock,
                              int64_t vectorWidth = 0);

/// Lowers `op` to the FlashAttention-2 loop nest (see AttnTileSdpaPass in
/// Passes.td) as `tiling` says; `tiling` must pass validateSdpaTiling. With
/// run-time lengths (vector kernel only), a call with few query rows per
/// kv head runs as `decodeTiling` says.
LogicalResult tileSdpa(RewriterBase &rewriter, SdpaOp op, const SdpaTiling &tiling,
                       const SdpaTiling &decodeTiling);

/// Adds the patterns of attn-fuse-sdpa: manual softmax raising, attention
/// fusion, repeat_kv folding.
void populateAttnFuseSdpaPatterns(RewritePatternSet &patterns);

/// Adds the patterns of attn-absorb-head-layout: a head/sequence Transpose
/// on an attn.sdpa operand or result becomes the op's #attn.layout.
void populateAttnAbsorbHeadLayoutPatterns(RewritePatternSet &patterns);

/// Adds the patterns of attn-merge-projections: products of one input by
/// constant weights of the same form become slices of one product.
void populateAttnMergeProjectionsPatterns(RewritePatternSet &patterns);

/// Adds the pattern of attn-infer-masks.
void populateAttnInferMasksPatterns(RewritePatternSet &patterns);

/// Adds the patterns that lower attn graph ops (all but attn.sdpa) to
/// linalg/tensor/arith/math on tensors, for a function whose integers are
/// already signless (lowering::makeIntegersSignless, which says which ops
/// had unsigned ones).
void populateAttnToLinalgPatterns(RewritePatternSet &patterns,
                                  const lowering::UnsignedOps &unsignedOps);

} // namespace mlir::attn

#endif // ATTNC_PASSES_TRANSFORMS_H

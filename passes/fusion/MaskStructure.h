//===- MaskStructure.h - Prove the structure of an attention mask -------===//

#ifndef ATTNC_PASSES_FUSION_MASKSTRUCTURE_H
#define ATTNC_PASSES_FUSION_MASKSTRUCTURE_H

#include "dialects/attn/AttnOps.h"
#include <optional>
#include <string>
#include <vector>

namespace mlir::attn {

/// What a dense mask of an attn.sdpa provably is.
struct MaskStructure {
  WindowAttr window;            // null when no key is hidden by position
  int64_t offset = 0;           // query i stands at position offset + i
  /// [B][T] visibility by key, when some batch row hides keys.
  std::optional<std::vector<std::vector<bool>>> keyMask;
  /// A band cut from a buffer at run time (RunTimeWindow.h): the first
  /// query's position, an i64 tensor of one element computed at run time,
  /// in place of `offset`.
  Value runTimeOffset;
};

/// Proves that `op`'s dense mask (a constant whose entries are 0 for a
/// visible key and -inf or <= -1e4 for a hidden one) equals a window (with
/// offset 0 or bottom-right aligned T - S), a per-batch-row key mask, or
/// both ANDed. Declines (with `reason`) for anything else: general biases,
/// masks that differ per head, near misses, and masks with a query row that
/// sees no key (there the graph's result depends on its fill value).
///
/// `mask` defaults to the op's dense mask; pass one additive term of it to
/// analyze that term alone (the rest staying a dense operand).
FailureOr<MaskStructure> inferMaskStructure(SdpaOp op, std::string &reason,
                                            Value mask = {});

} // namespace mlir::attn

#endif // ATTNC_PASSES_FUSION_MASKSTRUCTURE_H

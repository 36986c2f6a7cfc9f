//===- KeyOnlyMask.h - Recognize a mask that varies only by key ---------===//

#ifndef ATTNC_PASSES_FUSION_KEYONLYMASK_H
#define ATTNC_PASSES_FUSION_KEYONLYMASK_H

#include "dialects/attn/AttnOps.h"

namespace mlir::attn {

/// Whether `op`'s one result is elementwise in its (numpy-broadcast)
/// operands, so it can be recomputed on narrower or reshaped operands.
bool isElementwise(Operation *op);

/// Whether the dense `mask` of `op` (or one of its terms) provably depends
/// only on the batch row and the key: its shape broadcasts along heads and
/// queries ([B or 1, 1, 1, T] right-aligned), or it is computed from such
/// values by elementwise ops and broadcasts (an attention_mask unsqueezed,
/// expanded to [B, 1, S, T], cast and scaled).
bool isKeyOnlyMask(SdpaOp op, Value mask);

/// Builds the [B, T] key_mask operand equal to `mask` (isKeyOnlyMask must
/// hold): the elementwise computation is redone at [B, 1, 1, T], without
/// the broadcasts, then reshaped. Boolean stays boolean, float stays float
/// (an additive key mask keeps the graph's own values).
Value buildKeyMask(OpBuilder &b, Location loc, SdpaOp op, Value mask);
/// The same for a mask broadcasting to [batch, H, S, keyLen].
Value buildKeyMask(OpBuilder &b, Location loc, Value mask, int64_t batch, int64_t keyLen);

/// The [batch, keyLen] key mask equal to `mask` (broadcasting to
/// [batch, H, S, keyLen]) when it only varies by batch row and key; null
/// otherwise (nothing is built then).
Value keyMaskOf(OpBuilder &b, Location loc, Value mask, int64_t batch, int64_t keyLen);

} // namespace mlir::attn

#endif // ATTNC_PASSES_FUSION_KEYONLYMASK_H

//===- Broadcast.h - numpy broadcasting of static shapes --------*- C++ -*-===//
//
// Shared by the verifiers (result-type inference) and the lowerings, so the
// broadcasting rule is written once.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECTS_ATTN_BROADCAST_H
#define ATTNC_DIALECTS_ATTN_BROADCAST_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace mlir::attn {

/// The numpy broadcast of `shapes` (dims aligned from the right; a dim of 1
/// stretches; ShapedType::kDynamic is compatible with anything), or nullopt
/// when two static dims differ and neither is 1.
std::optional<SmallVector<int64_t>>
broadcastShapes(ArrayRef<ArrayRef<int64_t>> shapes);

/// Whether `from` broadcasts to exactly `to` (no dim of `to` would change).
bool isBroadcastableTo(ArrayRef<int64_t> from, ArrayRef<int64_t> to);

} // namespace mlir::attn

#endif // ATTNC_DIALECTS_ATTN_BROADCAST_H

//===- AttnOps.h - attn dialect operations ----------------------*- C++ -*-===//
//
// The one header users of the dialect include: dialect, attributes, ops.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECTS_ATTN_ATTNOPS_H
#define ATTNC_DIALECTS_ATTN_ATTNOPS_H

#include "dialects/attn/AttnAttrs.h"
#include "dialects/attn/AttnDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::attn {

/// The tensors of attn.sdpa, in #attn.layout's order.
enum class SdpaTensor : unsigned { Query = 0, Key = 1, Value = 2, Result = 3 };

/// The sizes of an attn.sdpa, independent of its layout (sdpa.C1-C5, C11).
struct SdpaDims {
  int64_t batch, queryHeads, kvHeads, queryLen, keyLen, headDim, valueDim;
};

/// The head and sequence axes of a rank-4 attn.sdpa tensor: [B, H, S, D],
/// or [B, S, H, D] when it is sequence-major.
inline unsigned sdpaHeadAxis(bool seqMajor) { return seqMajor ? 2 : 1; }
inline unsigned sdpaSeqAxis(bool seqMajor) { return seqMajor ? 1 : 2; }

} // namespace mlir::attn

#define GET_OP_CLASSES
#include "dialects/attn/AttnOps.h.inc"

#endif // ATTNC_DIALECTS_ATTN_ATTNOPS_H

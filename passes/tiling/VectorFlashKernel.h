//===- VectorFlashKernel.h - Register-tiled attn.sdpa kernel ----*- C++ -*-===//

#ifndef ATTNC_PASSES_TILING_VECTORFLASHKERNEL_H
#define ATTNC_PASSES_TILING_VECTORFLASHKERNEL_H

#include "mlir/IR/PatternMatch.h"
#include "passes/SdpaTiling.h"

namespace mlir::attn::tiling {

/// Lowers a static-shaped f32 `op` to the FlashAttention-2 loop with
/// register-tiled vector kernels (see VectorFlashKernel.cpp);
/// `tiling.vectorWidth` > 0 and validateSdpaTiling passed.
/// Lowers `op` to the register-tiled FlashAttention-2 loop. With a
/// run-time query length, the loop is emitted twice, for many query rows
/// per kv head (`tiling`) and for few (`decodeTiling`), and each call
/// runs the one its length needs.
void tileSdpaWithVectorKernel(RewriterBase &rewriter, SdpaOp op, const SdpaTiling &tiling,
                              const SdpaTiling &decodeTiling);

} // namespace mlir::attn::tiling

#endif // ATTNC_PASSES_TILING_VECTORFLASHKERNEL_H

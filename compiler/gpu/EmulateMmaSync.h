//===- EmulateMmaSync.h - Warp matrix products on CPU threads ----*- C++ -*-===//

#ifndef ATTNC_COMPILER_GPU_EMULATEMMASYNC_H
#define ATTNC_COMPILER_GPU_EMULATEMMASYNC_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace attnc::gpu {

/// Rewrites each `nvgpu.mma.sync` (m16n8k16, fp16/bf16 x fp16/bf16 + f32)
/// in `launch` into what one thread of its warp computes, through shared
/// memory: every lane stores its A and B fragments into its warp's 16 x 16
/// and 16 x 8 scratch (workgroup buffers added to the launch), the block
/// meets at a barrier, each lane sums its C elements' rows by columns in
/// f32, and meets the block again before the scratch is reused. Like the
/// instruction, it must be reached by every thread of the block. Fails
/// (with a diagnostic) on other shapes or a block of no whole warps.
mlir::LogicalResult expandMmaSync(mlir::gpu::LaunchOp launch);

} // namespace attnc::gpu

#endif // ATTNC_COMPILER_GPU_EMULATEMMASYNC_H

//===- EmulateWarpOps.h - Warp-wide ops on CPU threads ---------*- C++ -*-===//

#ifndef ATTNC_COMPILER_GPU_EMULATEWARPOPS_H
#define ATTNC_COMPILER_GPU_EMULATEWARPOPS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace attnc::gpu {

/// Rewrites the warp-wide ops in `launch` into what one thread of its warp
/// computes, through shared memory (workgroup buffers added to the
/// launch) between two barriers of the block:
///  - `nvgpu.mma.sync` (m16n8k16, fp16/bf16 fragments, f32 accumulators):
///    every lane stores its A and B fragment elements into its warp's
///    16 x 16 and 16 x 8 scratch, then sums its C elements in f32;
///  - `gpu.shuffle xor` of an f32 across the whole warp: every lane stores
///    its value into its warp's 32-lane scratch, then reads its partner's;
///  - `nvgpu.ldmatrix` (1, 2 or 4 untransposed 8 x 8 matrices of 16-bit
///    values): every lane stores the row it names, then loads its
///    elements from the rows the lanes 8 i + lane / 4 named.
/// Like the instructions, each must be reached by every thread of the
/// block. Fails (with a diagnostic) on other forms or a block of no whole
/// warps.
mlir::LogicalResult expandWarpOps(mlir::gpu::LaunchOp launch);

} // namespace attnc::gpu

#endif // ATTNC_COMPILER_GPU_EMULATEWARPOPS_H

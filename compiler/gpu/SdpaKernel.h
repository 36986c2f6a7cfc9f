//===- SdpaKernel.h - What the attention kernels share -----------*- C++ -*-===//
//
// gpu-lower-sdpa writes attn.sdpa as one of three kernels: the fp32 one on
// CUDA cores, one thread per query row (LowerSdpa.cpp); the
// FlashAttention-2 one on tensor cores for --precision fp16|bf16
// (TensorCoreSdpa.cpp); and for decode shapes (a few query rows per kv
// head) one whose warps each stream a part of the keys (DecodeSdpa.cpp).
// They walk the same key range (the keys the window lets a block's rows
// see), hide the same keys, index the same layouts and merge kv splits
// alike; this is that common part.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_GPU_SDPAKERNEL_H
#define ATTNC_COMPILER_GPU_SDPAKERNEL_H

#include "compiler/gpu/KernelBuilder.h"
#include "dialects/attn/AttnOps.h"

namespace attnc::gpu {

/// The kernel's buffers: q, k, v, the result, and the optional query
/// offset (i64, rank 0 or [B]), key mask ([B, T], i1 or additive f32) and
/// dense mask (broadcast to [B, Hq, S, T], i1 or additive f32; the fp32
/// tile kernel's only).
struct SdpaOperands {
  mlir::Value query, key, value, result, offset, keyMask, denseMask;
  /// With kv splits: each part's unnormalized accumulator [splits, B, Hq,
  /// S, Dv], and its running maximum and sum [splits, B, Hq, S].
  mlir::Value partAccumulators, partMaxima, partSums;
};

/// What a kernel needs to know about one attn.sdpa.
struct SdpaShape {
  /// The op's dims; with run-time sequence lengths (`attnc compile
  /// --max-shape`), queryLen and keyLen are their bounds, which size the
  /// plan (blocks, splits, buffers) and nothing else.
  mlir::attn::SdpaDims dims;
  /// The lengths of this run, index values defined before the kernels'
  /// launches (constants when static): what the kernels index, mask and
  /// count by.
  mlir::Value queryLen, keyLen;
  /// The fp32 kernel's rows (threads) per block, and the query heads
  /// those rows span: 1, or a whole group of heads that share a kv head
  /// (rows query-major: row r is query r / headsPerBlock of head
  /// r % headsPerBlock of the group).
  int64_t qBlock, headsPerBlock = 1;
  /// Keys per shared-memory tile (tile kernels), and parts each key
  /// range is split into (the decode kernel: kDecodeWarps per block).
  int64_t kvBlock, kvSplits;
  mlir::attn::WindowAttr window;
  float scale;
  bool seqMajor[4];

  /// Query positions per block of the fp32 kernel.
  int64_t queriesPerBlock() const { return qBlock / headsPerBlock; }
};

class SdpaKernelBase : protected KernelBuilder {
protected:
  SdpaKernelBase(mlir::OpBuilder &b, mlir::Location loc, const SdpaShape &shape)
      : KernelBuilder(b, loc), shape(shape) {}

  /// Indices of element (batch, head, position, column) of sdpa tensor `t`.
  llvm::SmallVector<mlir::Value> at(mlir::attn::SdpaTensor t, mlir::Value batch,
                                    mlir::Value head, mlir::Value position, mlir::Value column) {
    if (shape.seqMajor[unsigned(t)])
      return {batch, position, head, column};
    return {batch, head, position, column};
  }

  /// Stages positions [first, first + count) of `source` (sdpa tensor
  /// `which`, batch row `batch`, head `head`) into `tile`, rows x width:
  /// at [position][column], or [column][position] when `transposed`;
  /// times `scale`, converted to the tile's element type (rounded for the
  /// tensor cores); zeros past `count`. `threads` threads from `thread`,
  /// each every threads-th element (consecutive threads read consecutive
  /// columns: coalesced where the column is contiguous).
  void stageRows(mlir::Value source, mlir::attn::SdpaTensor which, mlir::Value tile,
                 int64_t rows, int64_t width, mlir::Value first, mlir::Value count,
                 mlir::Value batch, mlir::Value head, mlir::Value thread, int64_t threads,
                 bool transposed = false, float scale = 1.0f);
  /// Element (r, c) of what stageRows stages: position first + r, column
  /// c of `source`, times `scale`, converted to `element`; zero when r is
  /// not below `count` (nothing read).
  mlir::Value loadRowElement(mlir::Value source, mlir::attn::SdpaTensor which,
                             mlir::Type element, mlir::Value r, mlir::Value c,
                             mlir::Value first, mlir::Value count, mlir::Value batch,
                             mlir::Value head, float scale = 1.0f);

  /// Whether the key at `key` is in the window of the query at `position`.
  mlir::Value visible(mlir::Value position, mlir::Value key);

  /// Where query row 0 of `batch` stands: the offset operand (the past
  /// length when decoding), else 0.
  mlir::Value queryOffset(const SdpaOperands &operands, mlir::Value batch);

  /// The query block a block of the grid computes, from its x. With a
  /// window's right bound (causal), a later query block sees more keys:
  /// the blocks run last-first, so the longest start in the first wave
  /// and the short ones fill the tail, not the other way round.
  mlir::Value queryBlockOf(mlir::Value x, int64_t rowsPerBlock) {
    if (shape.window.isRightUnbounded())
      return x;
    return sub(sub(blocksOf(shape.queryLen, rowsPerBlock), index(1)), x);
  }

  /// ceil(length / per): the blocks (or tiles) that cover `length`.
  mlir::Value blocksOf(mlir::Value length, int64_t per) {
    return b.createOrFold<mlir::arith::CeilDivUIOp>(loc, length, index(per));
  }

  /// [begin, end) of the keys that rows [firstRow, firstRow + rows) (those
  /// below the query length) may see through the window: tiles outside
  /// are never loaded.
  std::pair<mlir::Value, mlir::Value> keyRange(mlir::Value firstRow, int64_t rows,
                                               mlir::Value offset);

  /// The second kernel of a kv split: one thread per result element
  /// merges the shape.kvSplits parts (each rescaled by exp(its maximum -
  /// the largest)) and normalizes.
  void buildMerge(const SdpaOperands &operands);

  const SdpaShape &shape;
};

/// Whether the tensor-core kernel takes `shape`: head dims multiples of 16
/// (QKᵀ's k steps) and 8 (P·V's n tiles) of at most 128 (its registers),
/// one key range per block (no kv splits: decode shapes keep the fp32
/// kernel's split-KV).
bool tensorCoresTake(const SdpaShape &shape);

/// The tensor-core kernel for `shape` at the builder's insertion point,
/// multiplying in `narrow` (f16 or bf16) with f32 accumulators.
void buildTensorCoreSdpa(mlir::OpBuilder &b, mlir::Location loc, const SdpaShape &shape,
                         const SdpaOperands &operands, mlir::Type narrow);

/// Warps per block of the decode kernel, each walking a part of the keys.
constexpr int64_t kDecodeWarps = 4;
/// Head dims the decode kernel keeps in registers: 8 columns per lane.
constexpr int64_t kDecodeMaxHeadDim = 256;

/// Whether the decode kernel takes `dims`: at most `maxRows` query rows
/// per kv head (queries x the group of heads that share it) and head dims
/// of at most kDecodeMaxHeadDim. Its rows are its threads' registers: the
/// query length must be static (the key length may be a run-time one).
bool decodeKernelTakes(const mlir::attn::SdpaDims &dims, int64_t maxRows);

/// The decode kernel for `shape` (headsPerBlock: the whole group,
/// qBlock: queries x group, kvSplits: a multiple of kDecodeWarps) and its
/// merge, at the builder's insertion point.
void buildDecodeSdpa(mlir::OpBuilder &b, mlir::Location loc, const SdpaShape &shape,
                     const SdpaOperands &operands);

} // namespace attnc::gpu

#endif // ATTNC_COMPILER_GPU_SDPAKERNEL_H

//===- FlashCommon.h - Pieces both attn.sdpa kernels share ------*- C++ -*-===//
//
// The portable (linalg) and the register-tiled (vector) FlashAttention
// kernels differ in how they compute a (q-block, kv-block) pair; which
// kv-blocks a q-block visits, and the order q-blocks run in, are the same.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_TILING_FLASHCOMMON_H
#define ATTNC_PASSES_TILING_FLASHCOMMON_H

#include "dialects/attn/AttnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"

namespace mlir::attn::tiling {

/// Index arithmetic, tersely.
struct IndexMath {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value max(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value div(Value x, int64_t y) { return arith::DivUIOp::create(b, loc, x, c(y)); }
  Value rem(Value x, int64_t y) { return arith::RemUIOp::create(b, loc, x, c(y)); }
  Value div(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value rem(Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); }
  Value floorDiv(Value x, Value y) { return arith::FloorDivSIOp::create(b, loc, x, y); }
  Value ceilDiv(Value x, Value y) { return arith::CeilDivSIOp::create(b, loc, x, y); }
};

/// Where `rows` consecutive positions from `start` of one head lie in a
/// rank-4 attn.sdpa tensor with `cols` columns: sizes [1, 1, rows, cols] at
/// (batch, head, start, 0), or [1, rows, 1, cols] at (batch, start, head, 0)
/// when the tensor is sequence-major (sdpa.C11).
struct HeadRows {
  SmallVector<OpFoldResult, 4> offsets, sizes;
};
HeadRows headRows(OpBuilder &b, bool seqMajor, OpFoldResult batch, OpFoldResult head,
                  OpFoldResult start, OpFoldResult rows, int64_t cols);

/// The index of element (batch, head, position, column) of a rank-4
/// attn.sdpa tensor in its layout.
SmallVector<Value, 4> headIndex(bool seqMajor, Value batch, Value head, Value position,
                                Value column);

/// Maps the slot-th of `count` q-blocks to a q-block index in zigzag order
/// (0, n-1, 1, n-2, ...): causal and window q-blocks carry unequal work, so
/// contiguous chunks of a parallel loop then hold equal work.
Value zigzagBlock(IndexMath &im, Value slot, Value count);

/// For `op`'s [B, T] key mask, a [B, 2] i64 tensor of each batch row's
/// first key that counts and one past its last ((T, 0) when none counts),
/// so padding at either end of a row is never visited. A key counts where
/// a boolean mask is true, or where an additive one is not -inf: a -inf
/// bias gives that key weight exactly 0, so skipping it changes nothing (a
/// row of only -inf keys yields zeros either way, sdpa.C10). When every
/// query sees every key of its row (no window, no dense mask), an additive
/// bias at or below -1e30 (finfo.min: HF's padding) does not count either
/// in a row that has a key above it: exp of its score's difference to the
/// row's maximum is exactly 0 in f32 then. A row of only such keys keeps
/// them all, since its softmax averages them.
Value buildKeyBounds(OpBuilder &b, Location loc, SdpaOp op);

/// The kv-blocks a q-block of `qLen` rows starting at `qStart` visits.
struct KvBlockRange {
  /// Absolute position of the q-block's first query (offset + qStart).
  Value firstPos;
  /// Visited kv-blocks: [blockBegin, blockEnd).
  Value blockBegin, blockEnd;
};
/// `keyLen` is the key length T, a constant or read at run time.
KvBlockRange buildKvBlockRange(IndexMath &im, SdpaOp op, Value keyLen, Value keyBounds, Value bIdx,
                               Value qStart, Value qLen, int64_t kvBlock);

} // namespace mlir::attn::tiling

#endif // ATTNC_PASSES_TILING_FLASHCOMMON_H

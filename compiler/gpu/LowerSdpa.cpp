//===- LowerSdpa.cpp - attn.sdpa as a FlashAttention kernel launch --------===//
//
// The CUDA backend's attention kernel, first version: scalar fp32 on CUDA
// cores. One thread block per (query block, query head, batch row), one
// thread per query row; with grouped query heads one block per (query
// block, kv head, batch row) whose rows are the group's heads' queries,
// so that the heads that read the same keys share their staged tiles.
// The block walks the keys its rows' window allows in tiles staged in
// shared memory (every thread loads a share of the tile, so
// the global reads are coalesced and each key is read once per block, not
// once per row), and each thread keeps its row's online-softmax state: the
// running maximum and sum, and the output accumulator, rescaled once per
// tile. The query row, the accumulator and a tile's scores live in
// per-thread (private) memory.
//
// Split-KV (flash decoding): where the (query block, head, batch) blocks
// are too few to fill the GPU (a decode step: one query row per head, over
// thousands of cached keys), each block's key range is split into
// `kvSplits` parts walked by blocks of their own, which write their
// unnormalized accumulator, maximum and sum; a second kernel merges the
// parts of each output element (rescaling each by exp(its max - the max)).
//
// Why this shape first: it is the FlashAttention loop with the mask
// structure that decides which tiles exist, and it is simple enough to be
// right before a GPU has run it. Tensor cores (mma.sync, then wgmma) replace
// the two inner products in later steps; the tile walk and the softmax stay.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/SdpaKernel.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "dialects/attn/RunTimeDims.h"

#include <limits>

namespace attnc::gpu {
#define GEN_PASS_DEF_GPULOWERSDPAPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;

namespace {

using mlir::attn::SdpaDims;
using mlir::attn::SdpaOp;
using mlir::attn::SdpaTensor;
using mlir::attn::WindowAttr;

using KernelOperands = attnc::gpu::SdpaOperands;
using KernelShape = attnc::gpu::SdpaShape;

/// The largest length sequence axis of sdpa tensor `t` takes in a run:
/// its size, or the bound of a run-time one (`--max-shape`); nullopt for
/// a run-time length without a bound.
std::optional<int64_t> lengthBound(SdpaOp op, SdpaTensor t) {
  Value tensor = t == SdpaTensor::Query ? op.getQuery() : op.getKey();
  return mlir::attn::runTimeBound(tensor, mlir::attn::sdpaSeqAxis(op.isSeqMajor(t)));
}

/// Whether the kernel runs `op`: f32, masks (if any) of i1 or f32, every
/// dim static but the sequence lengths (which need bounds: lengthBound).
bool kernelTakes(SdpaOp op) {
  for (Value mask : {op.getKeyMask(), op.getDenseMask()}) {
    if (!mask)
      continue;
    Type element = cast<RankedTensorType>(mask.getType()).getElementType();
    if (!element.isInteger(1) && !element.isF32())
      return false;
  }
  auto staticButSeq = [&](Value v, SdpaTensor t) {
    auto type = cast<RankedTensorType>(v.getType());
    unsigned seq = mlir::attn::sdpaSeqAxis(op.isSeqMajor(t));
    for (unsigned d = 0; d < type.getRank(); ++d)
      if (d != seq && type.isDynamicDim(d))
        return false;
    return type.getElementType().isF32();
  };
  return staticButSeq(op.getQuery(), SdpaTensor::Query) &&
         staticButSeq(op.getKey(), SdpaTensor::Key) &&
         staticButSeq(op.getValue(), SdpaTensor::Value);
}

/// Keys per shared-memory tile: K and V tiles together in 32 KiB, a
/// multiple of 8, at most 64.
int64_t defaultKvBlock(const SdpaDims &dims) {
  int64_t perKey = 4 * (dims.headDim + dims.valueDim);
  int64_t keys = (32 * 1024) / perKey;
  return std::max<int64_t>(8, std::min<int64_t>(64, keys / 8 * 8));
}

/// Thread blocks that keep a GPU busy: about one wave on an H100's 132
/// SMs (an A100 has 108).
constexpr int64_t kBlocksWanted = 128;
/// Tiles each part of a split key range walks at least, so that the
/// parts' extra writes and the merge stay small beside their work.
constexpr int64_t kMinTilesPerSplit = 4;

/// Parts to split each block's key range into: enough to make about
/// kBlocksWanted blocks, while each part keeps kMinTilesPerSplit tiles.
int64_t defaultKvSplits(const KernelShape &shape) {
  const SdpaDims &d = shape.dims;
  int64_t blocks = llvm::divideCeil(d.queryLen, shape.queriesPerBlock()) *
                   (d.queryHeads / shape.headsPerBlock) * d.batch;
  if (blocks >= kBlocksWanted)
    return 1;
  // The keys one block may see: its rows' window, else all of them.
  int64_t keys = d.keyLen;
  if (!shape.window.isLeftUnbounded() && !shape.window.isRightUnbounded())
    keys = std::min(keys, shape.queriesPerBlock() + shape.window.getLeft() +
                              shape.window.getRight());
  int64_t tiles = llvm::divideCeil(keys, shape.kvBlock);
  return std::max<int64_t>(
      1, std::min<int64_t>(llvm::divideCeil(kBlocksWanted, blocks), tiles / kMinTilesPerSplit));
}

/// Blocks of the decode kernel that keep a GPU's memory busy: about 4
/// blocks (16 warps) on each of an H100's 132 SMs, each warp with two key
/// rows in flight.
constexpr int64_t kDecodeBlocksWanted = 512;
/// Keys each warp of the decode kernel walks at least, so that its part's
/// writes and the merge stay small beside the reads.
constexpr int64_t kMinKeysPerPart = 32;

/// Builds the kernel body inside a gpu.launch.
class SdpaKernelBuilder : attnc::gpu::SdpaKernelBase {
public:
  SdpaKernelBuilder(OpBuilder &b, Location loc, const KernelShape &shape)
      : SdpaKernelBase(b, loc, shape) {}

  /// The kernel's launch at the builder's insertion point, its body
  /// written; the builder's insertion point stays after it.
  void build(const KernelOperands &operands);

private:

  /// Where a thread's query row is: its batch row, query head, index in
  /// the query and position (index + offset).
  struct RowAt {
    Value batch, head, row, position;
  };

  /// Scores of the tile's keys for the query `at` (window, key mask and
  /// dense mask applied) into `scores`; returns their maximum.
  Value scoreTile(const KernelOperands &operands, Value queryRow, Value keys, Value scores,
                  const RowAt &at, Value first, Value count);

  /// `score` with the mask's verdict on (at, key): -inf where `shown` is
  /// false or an i1 mask hides the key, an f32 mask's value added.
  Value applyMasks(const KernelOperands &operands, Value score, Value shown, const RowAt &at,
                   Value key);

  /// Adds exp(score - rowMax) x value row of every key to the accumulator;
  /// returns the sum of those weights added to `sum`.
  Value accumulateTile(Value values, Value scores, Value accumulator, Value rowMax, Value sum,
                       Value count);

  /// The launch of the kernel: its grid, block, shared K/V tiles and
  /// private query row, accumulator and scores.
  gpu::LaunchOp createLaunch();
  void buildBody(gpu::LaunchOp launch, const KernelOperands &operands);

  /// Writes the block's rows: normalized into the result, or (kv splits)
  /// as its part's accumulator, maximum and sum.
  void storeRows(const KernelOperands &operands, Value active, Value split, Value batch,
                 Value head, Value row, Value accumulator, Value rowMax, Value sum);

};

} // namespace

namespace attnc::gpu {

void SdpaKernelBase::stageRows(Value source, SdpaTensor which, Value tile, int64_t rows,
                               int64_t width, Value first, Value count, Value batch, Value head,
                               Value thread, int64_t threads, bool transposed, float scale) {
  Type element = cast<MemRefType>(tile.getType()).getElementType();
  forEach(thread, index(rows * width), index(threads), [&](Value e) {
    Value r = arith::DivUIOp::create(b, loc, e, index(width));
    Value c = arith::RemUIOp::create(b, loc, e, index(width));
    Value x = loadRowElement(source, which, element, r, c, first, count, batch, head, scale);
    memref::StoreOp::create(b, loc, x, tile, transposed ? ValueRange{c, r} : ValueRange{r, c});
  });
}

Value SdpaKernelBase::loadRowElement(Value source, SdpaTensor which, Type element, Value r,
                                     Value c, Value first, Value count, Value batch, Value head,
                                     float scale) {
  auto load = scf::IfOp::create(b, loc, element, lessThan(r, count), /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(load.thenBlock());
  Value x = memref::LoadOp::create(b, loc, source, at(which, batch, head, add(first, r), c));
  if (scale != 1.0f)
    x = arith::MulFOp::create(b, loc, x, f32(scale));
  if (x.getType() != element)
    x = arith::TruncFOp::create(b, loc, element, x);
  scf::YieldOp::create(b, loc, x);
  b.setInsertionPointToStart(load.elseBlock());
  scf::YieldOp::create(b, loc,
                       ValueRange{arith::ConstantOp::create(b, loc, b.getFloatAttr(element, 0.0))});
  return load.getResult(0);
}

Value SdpaKernelBase::visible(Value position, Value key) {
  Value yes = arith::ConstantIntOp::create(b, loc, 1, 1);
  Value result = yes;
  if (!shape.window.isLeftUnbounded()) // key >= position - left
    result = arith::AndIOp::create(
        b, loc, result, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                              add(key, index(shape.window.getLeft())), position));
  if (!shape.window.isRightUnbounded()) // key <= position + right
    result = arith::AndIOp::create(
        b, loc, result, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, key,
                                              add(position, index(shape.window.getRight()))));
  return result;
}

Value SdpaKernelBase::queryOffset(const SdpaOperands &operands, Value batch) {
  if (!operands.offset)
    return index(0);
  auto offsetType = cast<MemRefType>(operands.offset.getType());
  SmallVector<Value> indices;
  if (offsetType.getRank() == 1)
    indices.push_back(batch);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                    memref::LoadOp::create(b, loc, operands.offset, indices));
}

std::pair<Value, Value> SdpaKernelBase::keyRange(Value firstRow, int64_t rows, Value offset) {
  Value lastRow = sub(minIdx(add(firstRow, index(rows)), shape.queryLen), index(1));
  Value keyBegin = index(0), keyEnd = shape.keyLen;
  if (!shape.window.isLeftUnbounded())
    keyBegin = maxIdx(index(0), sub(add(firstRow, offset), index(shape.window.getLeft())));
  if (!shape.window.isRightUnbounded())
    keyEnd = minIdx(keyEnd, add(add(lastRow, offset), index(shape.window.getRight() + 1)));
  return {keyBegin, keyEnd};
}

void SdpaKernelBase::buildMerge(const SdpaOperands &operands) {
  const SdpaDims &d = shape.dims;
  constexpr int64_t kThreads = 256;
  Value elements = mul(shape.queryLen, index(d.batch * d.queryHeads * d.valueDim));
  Value one = index(1);
  auto launch = mlir::gpu::LaunchOp::create(b, loc, blocksOf(elements, kThreads), one, one,
                                            index(kThreads), one, one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value element = add(mul(launch.getBlockIds().x, index(kThreads)), launch.getThreadIds().x);
  auto inside = scf::IfOp::create(b, loc, lessThan(element, elements), /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard body(b);
    b.setInsertionPoint(inside.thenBlock()->getTerminator());
    // element = ((batch · Hq + head) · S + row) · Dv + column
    auto divRem = [&](Value x, Value by) -> std::pair<Value, Value> {
      return {arith::DivUIOp::create(b, loc, x, by), arith::RemUIOp::create(b, loc, x, by)};
    };
    auto [rest, column] = divRem(element, index(d.valueDim));
    auto [rest2, row] = divRem(rest, shape.queryLen);
    auto [batch, head] = divRem(rest2, index(d.queryHeads));
    Value splits = index(shape.kvSplits);
    Value negInf = f32(-std::numeric_limits<float>::infinity());
    auto maxLoop = scf::ForOp::create(b, loc, index(0), splits, one, ValueRange{negInf});
    {
      OpBuilder::InsertionGuard loopGuard(b);
      b.setInsertionPointToStart(maxLoop.getBody());
      Value m = memref::LoadOp::create(b, loc, operands.partMaxima,
                                       ValueRange{maxLoop.getInductionVar(), batch, head, row});
      scf::YieldOp::create(
          b, loc, ValueRange{arith::MaximumFOp::create(b, loc, maxLoop.getRegionIterArgs()[0], m)});
    }
    // No part saw a key: every weight is 0 and the row yields zeros; the
    // shift of 0 keeps exp(-inf - -inf) from making NaN.
    Value top = maxLoop.getResult(0);
    Value seen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, top, negInf);
    Value shift = arith::SelectOp::create(b, loc, seen, top, f32(0.0f));
    auto sumLoop = scf::ForOp::create(b, loc, index(0), splits, one,
                                      ValueRange{f32(0.0f), f32(0.0f)});
    {
      OpBuilder::InsertionGuard loopGuard(b);
      b.setInsertionPointToStart(sumLoop.getBody());
      Value part = sumLoop.getInductionVar();
      Value m = memref::LoadOp::create(b, loc, operands.partMaxima,
                                       ValueRange{part, batch, head, row});
      Value weight = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, m, shift));
      Value l = memref::LoadOp::create(b, loc, operands.partSums, ValueRange{part, batch, head, row});
      Value a = memref::LoadOp::create(b, loc, operands.partAccumulators,
                                       ValueRange{part, batch, head, row, column});
      Value sum = math::FmaOp::create(b, loc, l, weight, sumLoop.getRegionIterArgs()[0]);
      Value acc = math::FmaOp::create(b, loc, a, weight, sumLoop.getRegionIterArgs()[1]);
      scf::YieldOp::create(b, loc, ValueRange{sum, acc});
    }
    Value sum = sumLoop.getResult(0);
    Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, sum, f32(0.0f));
    Value value = arith::SelectOp::create(
        b, loc, positive, arith::DivFOp::create(b, loc, sumLoop.getResult(1), sum), f32(0.0f));
    memref::StoreOp::create(b, loc, value, operands.result,
                            at(SdpaTensor::Result, batch, head, row, column));
  }
  mlir::gpu::TerminatorOp::create(b, loc);
}

} // namespace attnc::gpu

namespace {

Value SdpaKernelBuilder::scoreTile(const KernelOperands &operands, Value queryRow, Value keys,
                                   Value scores, const RowAt &at, Value first, Value count) {
  Value negInf = f32(-std::numeric_limits<float>::infinity());
  auto loop = scf::ForOp::create(b, loc, index(0), count, index(1), ValueRange{negInf});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value r = loop.getInductionVar();
  auto dot = scf::ForOp::create(b, loc, index(0), index(shape.dims.headDim), index(1),
                                ValueRange{f32(0.0f)});
  {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(dot.getBody());
    Value c = dot.getInductionVar();
    Value qc = memref::LoadOp::create(b, loc, queryRow, ValueRange{c});
    Value kc = memref::LoadOp::create(b, loc, keys, ValueRange{r, c});
    Value s = math::FmaOp::create(b, loc, qc, kc, dot.getRegionIterArgs()[0]);
    scf::YieldOp::create(b, loc, s);
  }
  Value key = add(first, r);
  Value score = applyMasks(operands, dot.getResult(0), visible(at.position, key), at, key);
  memref::StoreOp::create(b, loc, score, scores, ValueRange{r});
  Value rowMax = arith::MaximumFOp::create(b, loc, loop.getRegionIterArgs()[0], score);
  scf::YieldOp::create(b, loc, rowMax);
  return loop.getResult(0);
}

Value SdpaKernelBuilder::applyMasks(const KernelOperands &operands, Value score, Value shown,
                                     const RowAt &at, Value key) {
  SmallVector<Value> masks;
  if (operands.keyMask)
    masks.push_back(memref::LoadOp::create(b, loc, operands.keyMask, ValueRange{at.batch, key}));
  if (Value dense = operands.denseMask) {
    // Broadcast to [B, Hq, S, T] from the right: a unit dim reads index 0.
    auto type = cast<MemRefType>(dense.getType());
    Value full[4] = {at.batch, at.head, at.row, key};
    SmallVector<Value> indices;
    for (int64_t d = 0, rank = type.getRank(); d < rank; ++d)
      indices.push_back(type.getDimSize(d) == 1 ? index(0) : full[4 - rank + d]);
    masks.push_back(memref::LoadOp::create(b, loc, dense, indices));
  }
  for (Value mask : masks) {
    if (mask.getType().isInteger(1)) // true: visible
      shown = arith::AndIOp::create(b, loc, shown, mask);
    else // a bias added to the score
      score = arith::AddFOp::create(b, loc, score, mask);
  }
  return arith::SelectOp::create(b, loc, shown, score,
                                 f32(-std::numeric_limits<float>::infinity()));
}

Value SdpaKernelBuilder::accumulateTile(Value values, Value scores, Value accumulator,
                                        Value rowMax, Value sum, Value count) {
  auto loop = scf::ForOp::create(b, loc, index(0), count, index(1), ValueRange{sum});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value r = loop.getInductionVar();
  Value score = memref::LoadOp::create(b, loc, scores, ValueRange{r});
  // A hidden key (-inf) weighs exp(-inf) = 0.
  Value weight = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, score, rowMax));
  forEach(index(0), index(shape.dims.valueDim), index(1), [&](Value c) {
    Value a = memref::LoadOp::create(b, loc, accumulator, ValueRange{c});
    Value vc = memref::LoadOp::create(b, loc, values, ValueRange{r, c});
    memref::StoreOp::create(b, loc, math::FmaOp::create(b, loc, weight, vc, a), accumulator,
                            ValueRange{c});
  });
  Value total = arith::AddFOp::create(b, loc, loop.getRegionIterArgs()[0], weight);
  scf::YieldOp::create(b, loc, total);
  return loop.getResult(0);
}

gpu::LaunchOp SdpaKernelBuilder::createLaunch() {
  const SdpaDims &d = shape.dims;
  Value one = index(1);
  return gpu::LaunchOp::create(
      b, loc, mul(blocksOf(shape.queryLen, shape.queriesPerBlock()), index(shape.kvSplits)),
      index(d.queryHeads / shape.headsPerBlock),
      index(d.batch), index(shape.qBlock), one, one, /*dynamicSharedMemorySize=*/nullptr,
      /*asyncTokenType=*/nullptr, /*asyncDependencies=*/ValueRange{},
      TypeRange{buffer({shape.kvBlock, d.headDim}, gpu::AddressSpace::Workgroup),
                buffer({shape.kvBlock, d.valueDim}, gpu::AddressSpace::Workgroup)},
      TypeRange{buffer({d.headDim}, gpu::AddressSpace::Private),
                buffer({d.valueDim}, gpu::AddressSpace::Private),
                buffer({shape.kvBlock}, gpu::AddressSpace::Private)});
}

void SdpaKernelBuilder::build(const KernelOperands &operands) {
  gpu::LaunchOp launch = createLaunch();
  {
    OpBuilder::InsertionGuard guard(b);
    buildBody(launch, operands);
  }
  if (shape.kvSplits > 1)
    buildMerge(operands);
}

void SdpaKernelBuilder::buildBody(gpu::LaunchOp launch, const KernelOperands &operands) {
  Value q = operands.query, k = operands.key, v = operands.value;
  const SdpaDims &d = shape.dims;
  Block &body = launch.getBody().front();
  b.setInsertionPointToStart(&body);
  Value keyTile = launch.getWorkgroupAttributions()[0];
  Value valueTile = launch.getWorkgroupAttributions()[1];
  Value queryRow = launch.getPrivateAttributions()[0];
  Value accumulator = launch.getPrivateAttributions()[1];
  Value scores = launch.getPrivateAttributions()[2];

  Value thread = launch.getThreadIds().x;
  // Block x: the query block, and with kv splits which part of its keys.
  Value splits = index(shape.kvSplits);
  int64_t queries = shape.queriesPerBlock();
  Value qBlockIndex = queryBlockOf(
      b.createOrFold<arith::DivUIOp>(loc, launch.getBlockIds().x, splits), queries);
  Value split = b.createOrFold<arith::RemUIOp>(loc, launch.getBlockIds().x, splits);
  // Block y: a query head, or a group of them; a thread's row is a query
  // of one of those heads.
  Value heads = index(shape.headsPerBlock);
  Value head = add(mul(launch.getBlockIds().y, heads),
                   b.createOrFold<arith::RemUIOp>(loc, thread, heads));
  Value queryInBlock = b.createOrFold<arith::DivUIOp>(loc, thread, heads);
  Value batch = launch.getBlockIds().z;
  Value kvHead = arith::DivUIOp::create(b, loc, head, index(d.queryHeads / d.kvHeads));
  Value firstRow = mul(qBlockIndex, index(queries));
  Value row = add(firstRow, queryInBlock);
  Value active = lessThan(row, shape.queryLen);
  // Threads past the last row still stage tiles and meet the barriers; they
  // compute on the last row and store nothing.
  Value safeRow = minIdx(row, sub(shape.queryLen, index(1)));
  // Query i stands at position offset + i (the past length when decoding).
  Value offset = queryOffset(operands, batch);
  Value position = add(safeRow, offset);

  // The query row, scaled once; the accumulator at zero.
  Value scale = f32(shape.scale);
  forEach(index(0), index(d.headDim), index(1), [&](Value c) {
    Value x = memref::LoadOp::create(b, loc, q, at(SdpaTensor::Query, batch, head, safeRow, c));
    memref::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, x, scale), queryRow,
                            ValueRange{c});
  });
  forEach(index(0), index(d.valueDim), index(1), [&](Value c) {
    memref::StoreOp::create(b, loc, f32(0.0f), accumulator, ValueRange{c});
  });

  // The keys any row of this block may see: tiles outside never load.
  auto [keyBegin, keyEnd] = keyRange(firstRow, queries, offset);
  if (shape.kvSplits > 1) {
    // Part `split` of the range: whole tiles, as evenly as they go; a
    // part past the end walks nothing (maximum -inf, sum 0).
    Value kvBlock = index(shape.kvBlock);
    Value tiles = arith::CeilDivSIOp::create(b, loc, maxIdx(sub(keyEnd, keyBegin), index(0)),
                                             kvBlock);
    Value perSplit = arith::CeilDivSIOp::create(b, loc, tiles, splits);
    Value partKeys = mul(perSplit, kvBlock);
    Value partBegin = add(keyBegin, mul(split, partKeys));
    keyEnd = minIdx(keyEnd, add(partBegin, partKeys));
    keyBegin = partBegin;
  }

  Value negInf = f32(-std::numeric_limits<float>::infinity());
  auto tiles = scf::ForOp::create(b, loc, keyBegin, keyEnd, index(shape.kvBlock),
                                  ValueRange{negInf, f32(0.0f)});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(tiles.getBody());
    Value first = tiles.getInductionVar();
    Value runningMax = tiles.getRegionIterArgs()[0];
    Value runningSum = tiles.getRegionIterArgs()[1];
    Value count = minIdx(index(shape.kvBlock), sub(keyEnd, first));
    stageRows(k, SdpaTensor::Key, keyTile, shape.kvBlock, d.headDim, first, count, batch,
              kvHead, thread, shape.qBlock);
    stageRows(v, SdpaTensor::Value, valueTile, shape.kvBlock, d.valueDim, first, count, batch,
              kvHead, thread, shape.qBlock);
    gpu::BarrierOp::create(b, loc);

    Value tileMax = scoreTile(operands, queryRow, keyTile, scores,
                              RowAt{batch, head, safeRow, position}, first, count);
    Value newMax = arith::MaximumFOp::create(b, loc, runningMax, tileMax);
    // While the row has seen no key its maximum is -inf; subtracting 0
    // instead keeps exp(-inf - -inf) from making NaN (every weight is 0).
    Value seen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, newMax, negInf);
    Value shift = arith::SelectOp::create(b, loc, seen, newMax, f32(0.0f));
    Value correction =
        math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, runningMax, shift));
    forEach(index(0), index(d.valueDim), index(1), [&](Value c) {
      Value a = memref::LoadOp::create(b, loc, accumulator, ValueRange{c});
      memref::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, a, correction), accumulator,
                              ValueRange{c});
    });
    Value rescaledSum = arith::MulFOp::create(b, loc, runningSum, correction);
    Value newSum = accumulateTile(valueTile, scores, accumulator, shift, rescaledSum, count);
    // Every thread is done with the tile before the next one overwrites it.
    gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, ValueRange{newMax, newSum});
  }

  storeRows(operands, active, split, batch, head, row, accumulator, tiles.getResult(0),
            tiles.getResult(1));
  gpu::TerminatorOp::create(b, loc);
}

void SdpaKernelBuilder::storeRows(const KernelOperands &operands, Value active, Value split,
                                  Value batch, Value head, Value row, Value accumulator,
                                  Value rowMax, Value sum) {
  const SdpaDims &d = shape.dims;
  auto store = scf::IfOp::create(b, loc, active, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(store.thenBlock()->getTerminator());
  if (shape.kvSplits > 1) {
    memref::StoreOp::create(b, loc, rowMax, operands.partMaxima,
                            ValueRange{split, batch, head, row});
    memref::StoreOp::create(b, loc, sum, operands.partSums, ValueRange{split, batch, head, row});
    forEach(index(0), index(d.valueDim), index(1), [&](Value c) {
      Value a = memref::LoadOp::create(b, loc, accumulator, ValueRange{c});
      memref::StoreOp::create(b, loc, a, operands.partAccumulators,
                              ValueRange{split, batch, head, row, c});
    });
    return;
  }
  // out = accumulator / sum; a row that saw no key (sum 0) yields zeros.
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, sum, f32(0.0f));
  Value inverse = arith::SelectOp::create(
      b, loc, positive, arith::DivFOp::create(b, loc, f32(1.0f), sum), f32(0.0f));
  forEach(index(0), index(d.valueDim), index(1), [&](Value c) {
    Value a = memref::LoadOp::create(b, loc, accumulator, ValueRange{c});
    memref::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, a, inverse), operands.result,
                            at(SdpaTensor::Result, batch, head, row, c));
  });
}

struct GpuLowerSdpaPass : public attnc::gpu::impl::GpuLowerSdpaPassBase<GpuLowerSdpaPass> {
  using GpuLowerSdpaPassBase::GpuLowerSdpaPassBase;

  void runOnOperation() override {
    if (qBlock < 1 || qBlock > 1024 || kvBlock < 0 || kvSplits < 0) {
      getOperation().emitError(
          "gpu-lower-sdpa: q-block must be in [1, 1024], kv-block and kv-splits >= 0");
      return signalPassFailure();
    }
    FailureOr<Type> type = attnc::gpu::precisionType(&getContext(), precision);
    if (failed(type)) {
      getOperation().emitError("gpu-lower-sdpa: precision must be fp32, fp16 or bf16, not '")
          << precision << "'";
      return signalPassFailure();
    }
    narrow = *type;
    // The lengths' bounds are traced through the graph before any op is
    // replaced (a lowered op's result has no rule to trace through).
    SmallVector<std::tuple<SdpaOp, int64_t, int64_t>> ops;
    getOperation().walk([&](SdpaOp op) {
      std::optional<int64_t> queries = lengthBound(op, SdpaTensor::Query);
      std::optional<int64_t> keys = lengthBound(op, SdpaTensor::Key);
      // Left for attn-decompose-sdpa: its matmuls and softmax run as the
      // generic kernels every other op gets (gpu-loops-to-kernels).
      if (kernelTakes(op) && queries && keys)
        ops.emplace_back(op, *queries, *keys);
    });
    for (auto [op, queries, keys] : ops)
      lower(op, queries, keys);
  }

  /// `op` as the kernel's launches, planned for at most `queryBound`
  /// queries and `keyBound` keys.
  void lower(SdpaOp op, int64_t queryBound, int64_t keyBound) {
    KernelShape shape;
    shape.dims = op.getDims();
    // Run-time lengths: the plan is made for their bounds.
    shape.dims.queryLen = queryBound;
    shape.dims.keyLen = keyBound;
    bool runTimeQueries = !cast<RankedTensorType>(op.getQuery().getType()).hasStaticShape();
    shape.kvBlock = std::min<int64_t>(kvBlock ? kvBlock : defaultKvBlock(shape.dims),
                                      shape.dims.keyLen);
    shape.window = op.getWindow();
    shape.scale = op.getScale().convertToFloat();
    for (SdpaTensor t : {SdpaTensor::Query, SdpaTensor::Key, SdpaTensor::Value,
                         SdpaTensor::Result})
      shape.seqMajor[unsigned(t)] = op.isSeqMajor(t);
    KernelKind kind = plan(shape, runTimeQueries, op.getDenseMask() != nullptr);

    OpBuilder b(op);
    Location loc = op.getLoc();
    // The lengths in this run: constants, or tensor.dim of a run-time dim.
    auto lengthOf = [&](Value tensor, SdpaTensor t) {
      unsigned axis = mlir::attn::sdpaSeqAxis(op.isSeqMajor(t));
      return getValueOrCreateConstantIndexOp(b, loc, tensor::getMixedSize(b, loc, tensor, axis));
    };
    shape.queryLen = lengthOf(op.getQuery(), SdpaTensor::Query);
    shape.keyLen = lengthOf(op.getKey(), SdpaTensor::Key);
    KernelOperands operands;
    operands.query = attnc::gpu::bufferOf(b, loc, op.getQuery());
    operands.key = attnc::gpu::bufferOf(b, loc, op.getKey());
    operands.value = attnc::gpu::bufferOf(b, loc, op.getValue());
    if (Value offset = op.getOffset())
      operands.offset = attnc::gpu::bufferOf(b, loc, offset);
    if (Value mask = op.getKeyMask())
      operands.keyMask = attnc::gpu::bufferOf(b, loc, mask);
    if (Value mask = op.getDenseMask())
      operands.denseMask = attnc::gpu::bufferOf(b, loc, mask);
    auto resultType = cast<RankedTensorType>(op.getType());
    // The result's only run-time dim is its sequence axis (the query's).
    SmallVector<Value> resultSizes;
    if (runTimeQueries)
      resultSizes.push_back(shape.queryLen);
    operands.result = memref::AllocOp::create(
        b, loc, MemRefType::get(resultType.getShape(), resultType.getElementType()),
        resultSizes);
    if (shape.kvSplits > 1) {
      // Sized for the longest query; the kernels index the run's rows.
      const SdpaDims &d = shape.dims;
      auto parts = [&](ArrayRef<int64_t> rest) {
        SmallVector<int64_t> dims = {shape.kvSplits, d.batch, d.queryHeads, d.queryLen};
        dims.append(rest.begin(), rest.end());
        return memref::AllocOp::create(b, loc, MemRefType::get(dims, b.getF32Type()));
      };
      operands.partAccumulators = parts({d.valueDim});
      operands.partMaxima = parts({});
      operands.partSums = parts({});
    }

    switch (kind) {
    case KernelKind::Decode:
      attnc::gpu::buildDecodeSdpa(b, loc, shape, operands);
      break;
    case KernelKind::TensorCores:
      attnc::gpu::buildTensorCoreSdpa(b, loc, shape, operands, narrow);
      break;
    case KernelKind::Tiles:
      SdpaKernelBuilder(b, loc, shape).build(operands);
      break;
    }
    for (Value part : {operands.partAccumulators, operands.partMaxima, operands.partSums})
      if (part)
        memref::DeallocOp::create(b, loc, part);
    Value result = bufferization::ToTensorOp::create(b, loc, resultType, operands.result,
                                                     /*restrict=*/true, /*writable=*/true);
    op.replaceAllUsesWith(result);
    op.erase();
  }

  enum class KernelKind { Decode, TensorCores, Tiles };

  /// The kernel that runs `shape`, its blocks and splits planned: decode
  /// shapes take the kernel whose warps stream the keys; of the others, the
  /// tensor-core kernel (with a narrow precision) where it takes the
  /// one-head blocks of 64 rows it plans, else the fp32 tile kernel, whose
  /// blocks span a group of heads that share keys. A dense mask (a score
  /// each) is read by the fp32 tile kernel only.
  KernelKind plan(KernelShape &shape, bool runTimeQueries, bool denseMask) {
    if (!runTimeQueries && !denseMask &&
        attnc::gpu::decodeKernelTakes(shape.dims, decodeRows)) {
      planDecode(shape);
      return KernelKind::Decode;
    }
    if (narrow && !denseMask) {
      KernelShape oneHead = shape;
      planBlocks(oneHead, /*heads=*/1);
      if (attnc::gpu::tensorCoresTake(oneHead)) {
        shape = oneHead;
        return KernelKind::TensorCores;
      }
    }
    planBlocks(shape, shape.dims.queryHeads / shape.dims.kvHeads);
    return KernelKind::Tiles;
  }

  /// The fp32 kernel's blocks: rows (threads) of `heads` query heads each
  /// (a whole group when heads share a kv head: each K/V tile is then
  /// staged once for the group, not once per head, which a decode step's
  /// one query row per head needs most), and the kv splits that fill the
  /// GPU with them.
  void planBlocks(KernelShape &shape, int64_t heads) {
    if (heads > qBlock)
      heads = 1;
    // At least a warp even for a decode step's one or few rows, since
    // every thread stages K and V tiles.
    int64_t rows = std::min<int64_t>(
        qBlock, std::max<int64_t>(32, llvm::alignTo(shape.dims.queryLen * heads, 32)));
    shape.headsPerBlock = heads;
    shape.qBlock = rows / heads * heads;
    shape.kvSplits = kvSplits ? kvSplits : defaultKvSplits(shape);
  }

  /// The decode kernel's blocks: every query row of a kv head (its whole
  /// group of heads), kDecodeWarps parts of the key range each; as many
  /// blocks per (batch row, kv head) as `kv-splits` asks, else enough to
  /// make about kDecodeBlocksWanted blocks while each part keeps
  /// kMinKeysPerPart keys.
  void planDecode(KernelShape &shape) {
    const SdpaDims &d = shape.dims;
    shape.headsPerBlock = d.queryHeads / d.kvHeads;
    shape.qBlock = d.queryLen * shape.headsPerBlock;
    int64_t blocks = kvSplits;
    if (!blocks) {
      int64_t keys = d.keyLen;
      if (!shape.window.isLeftUnbounded() && !shape.window.isRightUnbounded())
        keys = std::min(keys, d.queryLen + shape.window.getLeft() + shape.window.getRight());
      blocks = std::max<int64_t>(
          1, std::min(llvm::divideCeil(kDecodeBlocksWanted, d.batch * d.kvHeads),
                      llvm::divideCeil(keys, attnc::gpu::kDecodeWarps * kMinKeysPerPart)));
    }
    shape.kvSplits = blocks * attnc::gpu::kDecodeWarps;
  }

  /// The tensor cores' type (precision fp16 or bf16), else null.
  Type narrow;
};

} // namespace

//===- TensorCoreSdpa.cpp - attn.sdpa as FlashAttention-2 on mma.sync ------===//
//
// With --precision fp16|bf16, attention runs on the tensor cores: k and v
// are rounded to that type once, by a kernel of their own, into buffers
// laid out as the tiles take them (K [B, Hkv, T', D], V transposed [B,
// Hkv, Dv, T'], T' whole tiles, zeros after the last key), so that the
// attention kernel reads half the bytes of the f32 tensors, once per
// query block, and stages each tile by 16-byte asynchronous copies
// (cp.async); q is rounded as it is staged. Both products
// (S = Q·Kᵀ and O += P·V) are `mma.sync.m16n8k16` with f32 accumulators,
// and the online softmax stays in f32 registers. The FlashAttention-2
// shape: a block of 4 warps per 64 query rows (of one head and batch
// row), each warp owning 16 rows for the whole key walk; the block walks
// the key tiles its rows' window allows, 64 keys at a time, staged in
// shared memory (K as [key][d], V transposed as [d][key], so that both
// are the B operand with k contiguous). Per tile a warp computes its
// 16 x 64 scores as 8 accumulator fragments, hides keys (window, key
// mask, past the end) with -inf (only in tiles at an edge of some row's
// window or of the key range: a uniform branch lets the tiles every row
// sees whole, most of a long walk, skip the per-score tests; a key mask
// is staged per tile in shared memory as biases, 0 or -inf for an i1
// mask, and added to every score), takes the rows' maxima over the 4 lanes
// that share a row (two butterfly shuffles), rescales its output
// accumulators and running sums, and feeds exp(S - max) straight back as
// the A operand of P·V: a 16 x 16 k step of P is exactly two neighbouring
// score fragments, so P never leaves registers. Running sums stay
// per lane until the end (every lane of a row scales them alike).
//
// Q, K and V fragments come out of shared memory by ldmatrix.x4 (rows
// padded by 8 elements, so one matrix's 8 rows start in 8 bank groups;
// gpu-align-shared aligns the buffers to 16 bytes). The key walk starts
// at a whole tile (its first key rounded down to 64: the keys before the
// range are outside every row's window and hidden by the edge tests), so
// that every copy is whole and 16-byte aligned. The copies overlap the
// products without a second pair of tiles (which at head dim 128 would
// not fit the 48 KiB of static shared memory): a tile's values load while
// its scores are computed, and the next tile's keys while its P·V runs,
// each the other's wait (cp.async.wait_group 1, then 0). Not yet: wgmma
// (sm_90a); decode shapes (few query rows) take the decode kernel.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/MmaFragments.h"
#include "compiler/gpu/SdpaKernel.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

#include <limits>

using namespace mlir;
using mlir::attn::SdpaTensor;
namespace mma = attnc::gpu::mma;

namespace {

constexpr int64_t kWarps = 4;
constexpr int64_t kQBlock = kWarps * mma::kM;
constexpr int64_t kKvBlock = 64;
// The queries are staged through K's tile.
static_assert(kQBlock == kKvBlock, "a query block fits the key tile");
/// Score fragments per key tile (n8 each), and P·V k steps (16 keys each).
constexpr int64_t kScoreTiles = kKvBlock / mma::kN, kKeySteps = kKvBlock / mma::kK;
constexpr int64_t kThreads = kWarps * mma::kWarpSize;
constexpr int64_t kRowPadding = 8;
constexpr int64_t kMaxHeadDim = 128;
/// Rows of an accumulator fragment a lane holds: g and g + 8.
constexpr int64_t kLaneRows = mma::kCRegisters;
/// Elements of a 16-byte copy (global to shared memory, one thread).
constexpr int64_t kCopyElements = 8;
/// Padding of the narrowing kernel's transposed tile (row stride 33
/// words: a warp's stores land in distinct banks).
constexpr int64_t kTransposePadding = 2;

/// K and V rounded to the narrow type by the narrowing kernel, in the
/// layouts their shared tiles take: K [B, Hkv, T', D], V transposed
/// [B, Hkv, Dv, T'], T' the key length rounded up to whole tiles (zeros
/// past the last key), so that every tile is whole and 16-byte aligned.
struct NarrowKeysValues {
  Value keys, values;
};

class TensorCoreSdpaBuilder : attnc::gpu::SdpaKernelBase {
public:
  TensorCoreSdpaBuilder(OpBuilder &b, Location loc, const attnc::gpu::SdpaShape &shape,
                        Type narrow)
      : SdpaKernelBase(b, loc, shape), narrow(narrow) {}

  void build(const attnc::gpu::SdpaOperands &operands);

private:
  /// Allocates the narrow K and V and launches the kernel that fills them
  /// (before the attention kernel, which then reads half the bytes and
  /// stages its tiles by 16-byte copies).
  NarrowKeysValues narrowKeysValues(const attnc::gpu::SdpaOperands &operands);
  /// Where one attention block works, and what its stages share.
  struct AttentionBlock {
    /// Shared memory: K's tile (Q's before the walk), V's, and with a key
    /// mask the tile's key biases.
    Value keyTile, valueTile, keyBiases;
    Value head, batch, kvHead;
    /// The block's first query row, its warp's first row in the block, and
    /// the queries' position offset (a KV cache's past length).
    Value firstRow, warpRow, offset;
    /// This lane's rows (g and g + 8 of its warp's 16) and their positions.
    SmallVector<Value> rows, positions;
    /// One past the last key of the walk.
    Value keyEnd;
    Value negInf, zero;
  };
  /// The key walk's loop-carried state: the output accumulator fragments,
  /// each lane row's running maximum and its lane's share of the running
  /// sum.
  struct WalkState {
    SmallVector<Value> outputs, maxima, sums;

    static WalkState of(ValueRange values, int64_t outputTiles) {
      WalkState state;
      state.outputs.assign(values.begin(), values.begin() + outputTiles);
      state.maxima.assign(values.begin() + outputTiles, values.begin() + outputTiles + kLaneRows);
      state.sums.assign(values.begin() + outputTiles + kLaneRows, values.end());
      return state;
    }
    SmallVector<Value> flat() const {
      SmallVector<Value> values(outputs);
      values.append(maxima.begin(), maxima.end());
      values.append(sums.begin(), sums.end());
      return values;
    }
  };

  /// The attention kernel's launch: the block's setup, the key walk
  /// (walkTile per tile), the normalized store.
  void buildAttention(const attnc::gpu::SdpaOperands &operands, const NarrowKeysValues &narrowed);
  /// The queries, scaled and staged through K's tile into registers: one
  /// A fragment per 16 of the head dim.
  SmallVector<Value> loadQueryFragments(const attnc::gpu::SdpaOperands &operands,
                                        const AttentionBlock &block,
                                        attnc::gpu::MmaFragments &fragments);
  WalkState initialWalkState(const AttentionBlock &block);
  /// Starts the copy of the key tile at `first` (one commit group).
  void copyKeys(const NarrowKeysValues &narrowed, const AttentionBlock &block, Value first);
  /// One key tile of the walk: values copied in, scores, masking, the
  /// online softmax, the next tile's keys prefetched, P·V; `state` updated.
  void walkTile(const attnc::gpu::SdpaOperands &operands, const NarrowKeysValues &narrowed,
                const AttentionBlock &block, ArrayRef<Value> queryFragments,
                attnc::gpu::MmaFragments &fragments, Value first, WalkState &state);
  /// S = Q·Kᵀ for this warp's 16 rows and the tile's keys (kScoreTiles
  /// accumulator fragments).
  SmallVector<Value> tileScores(const AttentionBlock &block, ArrayRef<Value> queryFragments,
                                attnc::gpu::MmaFragments &fragments);
  /// The online softmax over one tile's masked scores: new row maxima,
  /// the old state's `corrections` (exp(old max - new max)), running sums
  /// rescaled and added to; returns P = exp(S - max) rounded to the narrow
  /// type, per score fragment.
  SmallVector<SmallVector<Value>> softmaxWeights(const AttentionBlock &block,
                                                 ArrayRef<SmallVector<Value>> masked,
                                                 WalkState &state,
                                                 SmallVectorImpl<Value> &corrections);
  /// O = O · correction + P·V, P straight from the score fragments.
  void accumulateValues(const AttentionBlock &block, ArrayRef<SmallVector<Value>> weights,
                        ArrayRef<Value> corrections, attnc::gpu::MmaFragments &fragments,
                        WalkState &state);
  /// out = O / sum for this lane's rows inside the query length.
  void storeNormalized(const attnc::gpu::SdpaOperands &operands, const AttentionBlock &block,
                       const WalkState &final, attnc::gpu::MmaFragments &fragments);
  int64_t outputTiles() const { return shape.dims.valueDim / mma::kN; }
  /// A zero f32 accumulator fragment.
  Value zeroAccumulator() {
    auto type = VectorType::get({mma::kCRegisters, mma::kPerRegister}, b.getF32Type());
    return arith::ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, 0.0f));
  }
  /// Starts copying a rows x width block of narrow `source` (width a
  /// multiple of 8) into `tile` by asynchronous 16-byte copies (cp.async,
  /// not yet committed); `at(r, c)` gives the source indices of element
  /// (r, c).
  void copyTile(Value source, Value tile, int64_t rows, int64_t width,
                function_ref<SmallVector<Value>(Value, Value)> at);
  /// Commits this thread's copies started since the last commit as one
  /// group (cp.async.commit_group); the group's token.
  Value commitCopies();
  /// Waits until at most `pending` of this thread's newest groups are
  /// still in flight (cp.async.wait_group); `group` is the newest.
  void awaitCopies(Value group, int64_t pending);
  int64_t paddedKeys() const { return llvm::alignTo(shape.dims.keyLen, kKvBlock); }

  /// `value` combined with the values of the other 3 lanes of its quad
  /// (the lanes holding the same rows of a fragment).
  Value overQuad(Value value, function_ref<Value(Value, Value)> combine);
  /// Stages the key mask of keys [first, first + kKvBlock) into `biases`
  /// as what each adds to its scores: an i1 mask's hidden keys -inf, its
  /// shown ones 0; an additive mask's own values. Keys past the last are
  /// read clamped (their scores are hidden by the key range anyway).
  void stageKeyBiases(Value keyMask, Value biases, Value first, Value batch);
  /// Whether every key of the tile at `first` is shown to every row of the
  /// block (rows [firstRow, firstRow + kQBlock) at `offset`): inside the
  /// key range and inside each row's window. Uniform over the block.
  Value wholeTile(Value first, Value keyEnd, Value firstRow, Value offset);
  /// The tile's scores (kScoreTiles fragments) as elements, each
  /// fragment's flattened [reg][e], with the hidden keys at -inf and key
  /// biases added. Tiles every row sees whole (most of a long key walk)
  /// skip the per-score window and range tests: one uniform branch.
  SmallVector<SmallVector<Value>> hideKeys(ArrayRef<Value> scores, Value first, Value keyEnd,
                                           Value firstRow, Value offset,
                                           ArrayRef<Value> positions, Value keyBiases,
                                           attnc::gpu::MmaFragments &fragments);
  /// `score` of the query at `position` for `key`, or -inf where that
  /// query may not see the key (outside its window, at or past `keyEnd`).
  Value maskScore(Value score, Value position, Value key, Value keyEnd);

  Type narrow;
  Value thread;
};

Value TensorCoreSdpaBuilder::overQuad(Value value,
                                      function_ref<Value(Value, Value)> combine) {
  return butterfly(value, {1, 2}, combine);
}

void TensorCoreSdpaBuilder::stageKeyBiases(Value keyMask, Value biases, Value first,
                                            Value batch) {
  forEach(thread, index(kKvBlock), index(kThreads), [&](Value column) {
    Value key = minIdx(add(first, column), sub(shape.keyLen, index(1)));
    Value mask = memref::LoadOp::create(b, loc, keyMask, ValueRange{batch, key});
    if (mask.getType().isInteger(1)) // true: shown
      mask = arith::SelectOp::create(b, loc, mask, f32(0.0f),
                                     f32(-std::numeric_limits<float>::infinity()));
    memref::StoreOp::create(b, loc, mask, biases, ValueRange{column});
  });
}

Value TensorCoreSdpaBuilder::wholeTile(Value first, Value keyEnd, Value firstRow, Value offset) {
  auto notAbove = [&](Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, x, y);
  };
  Value lastKey = add(first, index(kKvBlock - 1));
  Value whole = lessThan(lastKey, keyEnd);
  // The block's first row sees the fewest keys on the right, its last row
  // (counted as if the block were full) the fewest on the left.
  if (!shape.window.isRightUnbounded())
    whole = arith::AndIOp::create(
        b, loc, whole,
        notAbove(lastKey, add(add(firstRow, offset), index(shape.window.getRight()))));
  if (!shape.window.isLeftUnbounded())
    whole = arith::AndIOp::create(
        b, loc, whole,
        notAbove(add(add(firstRow, offset), index(kQBlock - 1)),
                 add(first, index(shape.window.getLeft()))));
  return whole;
}

Value TensorCoreSdpaBuilder::maskScore(Value score, Value position, Value key, Value keyEnd) {
  Value shown = arith::AndIOp::create(b, loc, lessThan(key, keyEnd), visible(position, key));
  return arith::SelectOp::create(b, loc, shown, score,
                                 f32(-std::numeric_limits<float>::infinity()));
}

SmallVector<SmallVector<Value>> TensorCoreSdpaBuilder::hideKeys(
    ArrayRef<Value> scores, Value first, Value keyEnd, Value firstRow, Value offset,
    ArrayRef<Value> positions, Value keyBiases, attnc::gpu::MmaFragments &fragments) {
  constexpr int64_t kPerFragment = mma::kCRegisters * mma::kPerRegister;
  // The scores with their keys' biases added, fragment j's element `flat`
  // at j * kPerFragment + flat; a lane's two rows share their columns (and
  // biases): column c of fragment j, element e, at j * kPerRegister + e.
  SmallVector<Value> biased, columns, biases;
  for (int64_t j = 0; j < kScoreTiles; ++j)
    for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
      for (int64_t e = 0; e < mma::kPerRegister; ++e) {
        if (reg == 0) {
          columns.push_back(add(fragments.pairColumn, index(j * mma::kN + e)));
          if (keyBiases)
            biases.push_back(memref::LoadOp::create(b, loc, keyBiases, columns.back()));
        }
        Value score = fragments.element(scores[j], reg, e);
        if (keyBiases)
          score = arith::AddFOp::create(b, loc, score, biases[j * mma::kPerRegister + e]);
        biased.push_back(score);
      }

  // Tiles every row sees whole pass the scores on; the others test each.
  SmallVector<Type> types(biased.size(), b.getF32Type());
  auto branch = scf::IfOp::create(b, loc, types,
                                  wholeTile(first, keyEnd, firstRow, offset),
                                  /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.thenBlock());
    scf::YieldOp::create(b, loc, biased);
    b.setInsertionPointToStart(branch.elseBlock());
    SmallVector<Value> edge;
    for (int64_t i = 0, n = biased.size(); i < n; ++i) {
      int64_t j = i / kPerFragment, flat = i % kPerFragment;
      auto [rowPlus, columnPlus] = mma::cOffset(flat / mma::kPerRegister, flat % mma::kPerRegister);
      Value key = add(first, columns[j * mma::kPerRegister + columnPlus]);
      edge.push_back(maskScore(biased[i], positions[rowPlus / 8], key, keyEnd));
    }
    scf::YieldOp::create(b, loc, edge);
  }
  SmallVector<SmallVector<Value>> masked(kScoreTiles);
  for (int64_t i = 0, n = biased.size(); i < n; ++i)
    masked[i / kPerFragment].push_back(branch.getResult(i));
  return masked;
}

void TensorCoreSdpaBuilder::copyTile(Value source, Value tile, int64_t rows, int64_t width,
                                     function_ref<SmallVector<Value>(Value, Value)> at) {
  auto token = nvgpu::DeviceAsyncTokenType::get(b.getContext());
  int64_t perRow = width / kCopyElements;
  forEach(thread, index(rows * perRow), index(kThreads), [&](Value e) {
    Value r = arith::DivUIOp::create(b, loc, e, index(perRow));
    Value c = mul(arith::RemUIOp::create(b, loc, e, index(perRow)), index(kCopyElements));
    nvgpu::DeviceAsyncCopyOp::create(b, loc, token, tile, ValueRange{r, c}, source, at(r, c),
                                     b.getIndexAttr(kCopyElements), /*srcElements=*/Value(),
                                     b.getUnitAttr());
  });
}

Value TensorCoreSdpaBuilder::commitCopies() {
  return nvgpu::DeviceAsyncCreateGroupOp::create(
      b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), ValueRange{});
}

void TensorCoreSdpaBuilder::awaitCopies(Value group, int64_t pending) {
  nvgpu::DeviceAsyncWaitOp::create(b, loc, group, b.getI32IntegerAttr(pending));
}

NarrowKeysValues TensorCoreSdpaBuilder::narrowKeysValues(
    const attnc::gpu::SdpaOperands &operands) {
  const mlir::attn::SdpaDims &d = shape.dims;
  NarrowKeysValues narrowed;
  narrowed.keys = memref::AllocOp::create(
      b, loc, MemRefType::get({d.batch, d.kvHeads, paddedKeys(), d.headDim}, narrow));
  narrowed.values = memref::AllocOp::create(
      b, loc, MemRefType::get({d.batch, d.kvHeads, d.valueDim, paddedKeys()}, narrow));
  // A block per tile of keys (kv head, batch row). K is rounded as it is
  // copied, row for row (zeros past the last key); V goes through shared
  // memory to be transposed, both its reads and its writes coalesced.
  Value one = index(1);
  auto launch = gpu::LaunchOp::create(
      b, loc, blocksOf(shape.keyLen, kKvBlock), index(d.kvHeads), index(d.batch),
      index(kThreads), one, one, nullptr, nullptr, ValueRange{},
      TypeRange{buffer({d.valueDim, kKvBlock + kTransposePadding}, gpu::AddressSpace::Workgroup,
                       narrow)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  thread = launch.getThreadIds().x;
  Value valueTile = launch.getWorkgroupAttributions()[0];
  Value kvHead = launch.getBlockIds().y, batch = launch.getBlockIds().z;
  Value first = mul(launch.getBlockIds().x, index(kKvBlock));
  Value count = minIdx(index(kKvBlock), sub(shape.keyLen, first));
  forEach(thread, index(kKvBlock * d.headDim), index(kThreads), [&](Value e) {
    Value r = arith::DivUIOp::create(b, loc, e, index(d.headDim));
    Value c = arith::RemUIOp::create(b, loc, e, index(d.headDim));
    Value x = loadRowElement(operands.key, SdpaTensor::Key, narrow, r, c, first, count, batch,
                             kvHead);
    memref::StoreOp::create(b, loc, x, narrowed.keys, ValueRange{batch, kvHead, add(first, r), c});
  });
  stageRows(operands.value, SdpaTensor::Value, valueTile, kKvBlock, d.valueDim, first, count,
            batch, kvHead, thread, kThreads, /*transposed=*/true);
  gpu::BarrierOp::create(b, loc);
  forEach(thread, index(d.valueDim * kKvBlock), index(kThreads), [&](Value e) {
    Value c = arith::DivUIOp::create(b, loc, e, index(kKvBlock));
    Value j = arith::RemUIOp::create(b, loc, e, index(kKvBlock));
    Value x = memref::LoadOp::create(b, loc, valueTile, ValueRange{c, j});
    memref::StoreOp::create(b, loc, x, narrowed.values,
                            ValueRange{batch, kvHead, c, add(first, j)});
  });
  gpu::TerminatorOp::create(b, loc);
  return narrowed;
}

void TensorCoreSdpaBuilder::build(const attnc::gpu::SdpaOperands &operands) {
  NarrowKeysValues narrowed = narrowKeysValues(operands);
  buildAttention(operands, narrowed);
  memref::DeallocOp::create(b, loc, narrowed.keys);
  memref::DeallocOp::create(b, loc, narrowed.values);
}

void TensorCoreSdpaBuilder::buildAttention(const attnc::gpu::SdpaOperands &operands,
                                           const NarrowKeysValues &narrowed) {
  const mlir::attn::SdpaDims &d = shape.dims;
  Value one = index(1);
  // K's tile holds the block's queries before the walk (Q's fragments then
  // live in registers): 2 tiles of shared memory, not 3 (48 KiB is the
  // static limit; at head dim 128 these take 35 KiB). With a key mask, a
  // third buffer holds the tile's keys' biases, read by every warp.
  SmallVector<Type> shared = {
      buffer({kKvBlock, d.headDim + kRowPadding}, gpu::AddressSpace::Workgroup, narrow),
      buffer({d.valueDim, kKvBlock + kRowPadding}, gpu::AddressSpace::Workgroup, narrow)};
  if (operands.keyMask)
    shared.push_back(buffer({kKvBlock}, gpu::AddressSpace::Workgroup));
  auto launch = gpu::LaunchOp::create(
      b, loc, blocksOf(shape.queryLen, kQBlock), index(d.queryHeads), index(d.batch),
      index(kThreads), one, one, nullptr, nullptr, ValueRange{}, shared);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  AttentionBlock block;
  block.keyTile = launch.getWorkgroupAttributions()[0];
  block.valueTile = launch.getWorkgroupAttributions()[1];
  if (operands.keyMask)
    block.keyBiases = launch.getWorkgroupAttributions()[2];
  thread = launch.getThreadIds().x;
  Value warp = arith::DivUIOp::create(b, loc, thread, index(mma::kWarpSize));
  attnc::gpu::MmaFragments fragments(
      b, loc, arith::RemUIOp::create(b, loc, thread, index(mma::kWarpSize)));
  block.head = launch.getBlockIds().y;
  block.batch = launch.getBlockIds().z;
  block.kvHead = arith::DivUIOp::create(b, loc, block.head, index(d.queryHeads / d.kvHeads));
  block.firstRow = mul(queryBlockOf(launch.getBlockIds().x, kQBlock), index(kQBlock));
  block.warpRow = mul(warp, index(mma::kM));
  block.offset = queryOffset(operands, block.batch);
  // This lane's rows: g and g + 8 of its warp's 16.
  for (int64_t half = 0; half < kLaneRows; ++half) {
    block.rows.push_back(
        add(add(block.firstRow, block.warpRow), add(fragments.group, index(8 * half))));
    block.positions.push_back(add(block.rows.back(), block.offset));
  }

  SmallVector<Value> queryFragments = loadQueryFragments(operands, block, fragments);
  block.negInf = f32(-std::numeric_limits<float>::infinity());
  block.zero = f32(0.0f);
  WalkState initial = initialWalkState(block);

  // The walk starts at a whole tile of the narrow K and V (the keys before
  // the range are outside every row's window: the edge tests hide them).
  auto [keyBegin, keyEnd] = keyRange(block.firstRow, kQBlock, block.offset);
  keyBegin = mul(b.createOrFold<arith::DivUIOp>(loc, keyBegin, index(kKvBlock)), index(kKvBlock));
  block.keyEnd = keyEnd;
  // The first tile's keys are in flight before the walk (Q's fragments
  // are in registers and the barrier after them freed K's tile).
  copyKeys(narrowed, block, keyBegin);
  auto tiles = scf::ForOp::create(b, loc, keyBegin, keyEnd, index(kKvBlock), initial.flat());
  {
    OpBuilder::InsertionGuard walk(b);
    b.setInsertionPointToStart(tiles.getBody());
    WalkState state = WalkState::of(tiles.getRegionIterArgs(), outputTiles());
    walkTile(operands, narrowed, block, queryFragments, fragments, tiles.getInductionVar(),
             state);
    scf::YieldOp::create(b, loc, state.flat());
  }
  storeNormalized(operands, block, WalkState::of(tiles.getResults(), outputTiles()), fragments);
  gpu::TerminatorOp::create(b, loc);
}

SmallVector<Value>
TensorCoreSdpaBuilder::loadQueryFragments(const attnc::gpu::SdpaOperands &operands,
                                          const AttentionBlock &block,
                                          attnc::gpu::MmaFragments &fragments) {
  const mlir::attn::SdpaDims &d = shape.dims;
  // The queries, scaled, through K's tile into registers: one A fragment
  // per 16 of the head dim.
  Value queryRows = minIdx(index(kQBlock), sub(shape.queryLen, block.firstRow));
  stageRows(operands.query, SdpaTensor::Query, block.keyTile, kQBlock, d.headDim, block.firstRow,
            queryRows, block.batch, block.head, thread, kThreads, /*transposed=*/false,
            shape.scale);
  gpu::BarrierOp::create(b, loc);
  SmallVector<Value> queryFragments;
  for (int64_t k = 0; k < d.headDim; k += mma::kK)
    queryFragments.push_back(fragments.loadA(block.keyTile, block.warpRow, index(k)));
  gpu::BarrierOp::create(b, loc);
  return queryFragments;
}

TensorCoreSdpaBuilder::WalkState
TensorCoreSdpaBuilder::initialWalkState(const AttentionBlock &block) {
  // The output accumulators (one fragment per 8 value columns), each lane
  // row's running maximum and its lane's share of the running sum.
  WalkState state;
  for (int64_t n = 0; n < outputTiles(); ++n)
    state.outputs.push_back(zeroAccumulator());
  state.maxima.assign(kLaneRows, block.negInf);
  state.sums.assign(kLaneRows, block.zero);
  return state;
}

void TensorCoreSdpaBuilder::copyKeys(const NarrowKeysValues &narrowed,
                                     const AttentionBlock &block, Value first) {
  // The keys' group is never awaited by its own token: cp.async.wait_group
  // counts groups, so the wait on the values' group (pending 1, then 0)
  // covers it.
  copyTile(narrowed.keys, block.keyTile, kKvBlock, shape.dims.headDim, [&](Value r, Value c) {
    return SmallVector<Value>{block.batch, block.kvHead, add(first, r), c};
  });
  commitCopies();
}

void TensorCoreSdpaBuilder::walkTile(const attnc::gpu::SdpaOperands &operands,
                                     const NarrowKeysValues &narrowed,
                                     const AttentionBlock &block, ArrayRef<Value> queryFragments,
                                     attnc::gpu::MmaFragments &fragments, Value first,
                                     WalkState &state) {
  // The tile's values load while its scores are computed: one group
  // after the keys' (issued before the walk or by the previous tile), so
  // awaiting all but the newest group awaits the keys.
  copyTile(narrowed.values, block.valueTile, shape.dims.valueDim, kKvBlock,
           [&](Value r, Value c) {
             return SmallVector<Value>{block.batch, block.kvHead, r, add(first, c)};
           });
  Value valueCopies = commitCopies();
  awaitCopies(valueCopies, /*pending=*/1);
  if (block.keyBiases)
    stageKeyBiases(operands.keyMask, block.keyBiases, first, block.batch);
  gpu::BarrierOp::create(b, loc);

  SmallVector<Value> scores = tileScores(block, queryFragments, fragments);
  SmallVector<SmallVector<Value>> masked =
      hideKeys(scores, first, block.keyEnd, block.firstRow, block.offset, block.positions,
               block.keyBiases, fragments);
  SmallVector<Value> corrections;
  SmallVector<SmallVector<Value>> weights = softmaxWeights(block, masked, state, corrections);

  // Every warp is done with the keys and the values have landed: the
  // next tile's keys load while this tile's P·V runs.
  awaitCopies(valueCopies, /*pending=*/0);
  gpu::BarrierOp::create(b, loc);
  Value nextTile = add(first, index(kKvBlock));
  auto prefetch =
      scf::IfOp::create(b, loc, lessThan(nextTile, block.keyEnd), /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard inside(b);
    b.setInsertionPoint(prefetch.thenBlock()->getTerminator());
    copyKeys(narrowed, block, nextTile);
  }
  accumulateValues(block, weights, corrections, fragments, state);
  // Every warp is done with the values before the next tile's overwrite
  // them.
  gpu::BarrierOp::create(b, loc);
}

SmallVector<Value> TensorCoreSdpaBuilder::tileScores(const AttentionBlock &block,
                                                     ArrayRef<Value> queryFragments,
                                                     attnc::gpu::MmaFragments &fragments) {
  // S = Q·Kᵀ for this warp's 16 rows and the tile's 64 keys.
  SmallVector<Value> scores(kScoreTiles, zeroAccumulator());
  for (int64_t k = 0; k < shape.dims.headDim; k += mma::kK) {
    SmallVector<Value> keys = fragments.loadB(block.keyTile, index(k), index(0), kScoreTiles);
    for (int64_t j = 0; j < kScoreTiles; ++j)
      scores[j] = nvgpu::MmaSyncOp::create(b, loc, queryFragments[k / mma::kK], keys[j], scores[j],
                                           ArrayRef<int64_t>{mma::kM, mma::kN, mma::kK});
  }
  return scores;
}

SmallVector<SmallVector<Value>>
TensorCoreSdpaBuilder::softmaxWeights(const AttentionBlock &block,
                                      ArrayRef<SmallVector<Value>> masked, WalkState &state,
                                      SmallVectorImpl<Value> &corrections) {
  Value negInf = block.negInf, zero = block.zero;
  // Each lane row's maximum over the tile.
  SmallVector<Value> tileMax(kLaneRows, negInf);
  for (int64_t j = 0; j < kScoreTiles; ++j)
    for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
      for (int64_t e = 0; e < mma::kPerRegister; ++e) {
        int64_t half = mma::cOffset(reg, e).first / 8;
        tileMax[half] = arith::MaximumFOp::create(b, loc, tileMax[half],
                                                  masked[j][reg * mma::kPerRegister + e]);
      }
  SmallVector<Value> shifts;
  for (int64_t half = 0; half < kLaneRows; ++half) {
    Value rowMax = overQuad(tileMax[half], [&](Value x, Value y) -> Value {
      return arith::MaximumFOp::create(b, loc, x, y);
    });
    Value newMax = arith::MaximumFOp::create(b, loc, state.maxima[half], rowMax);
    // While a row has seen no key its maximum is -inf; subtracting 0
    // instead keeps exp(-inf - -inf) from making NaN.
    Value seen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, newMax, negInf);
    shifts.push_back(arith::SelectOp::create(b, loc, seen, newMax, zero));
    corrections.push_back(math::ExpOp::create(
        b, loc, arith::SubFOp::create(b, loc, state.maxima[half], shifts.back())));
    state.maxima[half] = newMax;
    state.sums[half] = arith::MulFOp::create(b, loc, state.sums[half], corrections.back());
  }
  // P = exp(S - max), summed per lane row, rounded for the second product.
  SmallVector<SmallVector<Value>> weights(kScoreTiles);
  for (int64_t j = 0; j < kScoreTiles; ++j)
    for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
      for (int64_t e = 0; e < mma::kPerRegister; ++e) {
        int64_t half = mma::cOffset(reg, e).first / 8;
        Value p = math::ExpOp::create(
            b, loc,
            arith::SubFOp::create(b, loc, masked[j][reg * mma::kPerRegister + e], shifts[half]));
        state.sums[half] = arith::AddFOp::create(b, loc, state.sums[half], p);
        weights[j].push_back(arith::TruncFOp::create(b, loc, narrow, p));
      }
  return weights;
}

void TensorCoreSdpaBuilder::accumulateValues(const AttentionBlock &block,
                                             ArrayRef<SmallVector<Value>> weights,
                                             ArrayRef<Value> corrections,
                                             attnc::gpu::MmaFragments &fragments,
                                             WalkState &state) {
  // O = O · correction + P·V. P's A fragment for keys [16s, 16s + 16)
  // is made of score fragments 2s and 2s + 1, held by this same lane
  // (mma::aFromC).
  SmallVector<Value> &outputs = state.outputs;
  for (int64_t n = 0; n < outputTiles(); ++n) {
    SmallVector<Value> scaled;
    for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
      for (int64_t e = 0; e < mma::kPerRegister; ++e)
        scaled.push_back(arith::MulFOp::create(b, loc, fragments.element(outputs[n], reg, e),
                                               corrections[mma::cOffset(reg, e).first / 8]));
    outputs[n] = fragments.vectorOf(scaled, {mma::kCRegisters, mma::kPerRegister});
  }
  for (int64_t s = 0; s < kKeySteps; ++s) {
    SmallVector<Value> elements;
    for (int64_t reg = 0; reg < mma::kARegisters; ++reg)
      for (int64_t e = 0; e < mma::kPerRegister; ++e) {
        auto [fragment, flat] = mma::aFromC(reg, e);
        elements.push_back(weights[2 * s + fragment][flat]);
      }
    Value probabilities = fragments.vectorOf(elements, {mma::kARegisters, mma::kPerRegister});
    SmallVector<Value> values =
        fragments.loadB(block.valueTile, index(s * mma::kK), index(0), outputTiles());
    for (int64_t n = 0; n < outputTiles(); ++n)
      outputs[n] = nvgpu::MmaSyncOp::create(b, loc, probabilities, values[n], outputs[n],
                                            ArrayRef<int64_t>{mma::kM, mma::kN, mma::kK});
  }
}

void TensorCoreSdpaBuilder::storeNormalized(const attnc::gpu::SdpaOperands &operands,
                                            const AttentionBlock &block, const WalkState &final,
                                            attnc::gpu::MmaFragments &fragments) {
  // out = O / sum (the row's sum over its 4 lanes); a row that saw no key
  // (sum 0) yields zeros; rows past the query length store nothing.
  Value zero = block.zero;
  SmallVector<Value> inverses;
  for (int64_t half = 0; half < kLaneRows; ++half) {
    Value sum = overQuad(final.sums[half], [&](Value x, Value y) -> Value {
      return arith::AddFOp::create(b, loc, x, y);
    });
    Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, sum, zero);
    inverses.push_back(arith::SelectOp::create(
        b, loc, positive, arith::DivFOp::create(b, loc, f32(1.0f), sum), zero));
  }
  for (int64_t half = 0; half < kLaneRows; ++half) {
    auto store = scf::IfOp::create(b, loc, lessThan(block.rows[half], shape.queryLen),
                                   /*withElseRegion=*/false);
    OpBuilder::InsertionGuard inside(b);
    b.setInsertionPoint(store.thenBlock()->getTerminator());
    for (int64_t n = 0; n < outputTiles(); ++n)
      for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
        for (int64_t e = 0; e < mma::kPerRegister; ++e) {
          auto [rowPlus, columnPlus] = mma::cOffset(reg, e);
          if (rowPlus / 8 != half)
            continue;
          Value column = add(fragments.pairColumn, index(n * mma::kN + columnPlus));
          Value value = arith::MulFOp::create(b, loc, fragments.element(final.outputs[n], reg, e),
                                              inverses[half]);
          memref::StoreOp::create(
              b, loc, value, operands.result,
              at(SdpaTensor::Result, block.batch, block.head, block.rows[half], column));
        }
  }
}

} // namespace

namespace attnc::gpu {

bool tensorCoresTake(const SdpaShape &shape) {
  const mlir::attn::SdpaDims &d = shape.dims;
  return shape.kvSplits == 1 && d.headDim % mma::kK == 0 && d.valueDim % mma::kN == 0 &&
         d.headDim <= kMaxHeadDim && d.valueDim <= kMaxHeadDim;
}

void buildTensorCoreSdpa(OpBuilder &b, Location loc, const SdpaShape &shape,
                         const SdpaOperands &operands, Type narrow) {
  TensorCoreSdpaBuilder(b, loc, shape, narrow).build(operands);
}

} // namespace attnc::gpu

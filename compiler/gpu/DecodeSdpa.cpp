//===- DecodeSdpa.cpp - attn.sdpa for a few query rows: warps over keys ---===//
//
// A decode step asks attention for one query row (or a few) per head over
// thousands of cached keys. Its work is reading K and V once; the kernel's
// job is to keep enough of those reads in flight. The fp32 tile kernel
// gives each query row to one thread, so a decode block would run one
// useful thread that walks a 64- or 128-long dot product per key in series.
//
// Here each warp streams a part of the keys (flash decoding), a key's row
// at a time: lane l holds columns l, l + 32, ... of it, so a warp's load of
// a row is coalesced, and the warp computes every query row of the kv
// head at once (a decode step's whole group of query heads: the cache is
// read once per group). Per key and query row: a partial dot product per
// lane, a butterfly sum over the warp, then the online softmax with one
// exponential: whichever of the running maximum and the new score is
// smaller is scaled by exp(-|their difference|). The query rows, their
// accumulators (the lane's columns), maxima and sums live in registers;
// nothing is staged in shared memory. Two keys are loaded before either is
// used, so each warp has two rows of K and V in flight.
//
// A block is kDecodeWarps warps of one (batch row, kv head), each its own
// part of the key range; every part writes its unnormalized accumulators,
// maxima and sums, and the split merge kernel (SdpaKernelBase::buildMerge)
// combines them. All warps of a block take the same number of steps (keys
// past a part's end score -inf), so the block stays converged.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/SdpaKernel.h"

#include <limits>

using namespace mlir;
using mlir::attn::SdpaDims;
using mlir::attn::SdpaTensor;

namespace {

constexpr int64_t kWarpSize = 32;
constexpr int64_t kWarps = attnc::gpu::kDecodeWarps;
constexpr int64_t kThreads = kWarps * kWarpSize;
/// Keys a warp loads before it uses the first of them.
constexpr int64_t kKeysPerStep = 2;

/// One query row's online-softmax state in a lane: running maximum and
/// sum (the same in every lane) and the accumulator's columns the lane
/// holds.
struct RowState {
  Value max, sum;
  SmallVector<Value> accumulator;
};

/// A key row as a lane holds it.
struct KeyShare {
  Value key;     // position in the sequence
  Value counted; // inside the warp's part
  SmallVector<Value> keyColumns, valueColumns;
  Value mask; // the key mask's entry (i1 or an additive f32), or null
};

class DecodeSdpaBuilder : attnc::gpu::SdpaKernelBase {
public:
  DecodeSdpaBuilder(OpBuilder &b, Location loc, const attnc::gpu::SdpaShape &shape)
      : SdpaKernelBase(b, loc, shape) {}

  /// The kernel's launch and the merge after it, at the builder's
  /// insertion point.
  void build(const attnc::gpu::SdpaOperands &operands);

private:
  void buildBody(gpu::LaunchOp launch, const attnc::gpu::SdpaOperands &operands);

  int64_t group() const { return shape.headsPerBlock; }
  int64_t rows() const { return shape.qBlock; }
  /// Columns per lane of a width-wide row: lane + 32 j for j below this.
  static int64_t shares(int64_t width) { return llvm::divideCeil(width, kWarpSize); }
  /// Row r of the block is query r / group of head kvHead · group + r % group.
  Value headOf(int64_t r) { return add(mul(kvHead, index(group())), index(r % group())); }
  int64_t queryOf(int64_t r) const { return r / group(); }

  /// The lane's columns of row `position` of `source` (sdpa tensor
  /// `which`, head `head`, `width` columns; past the width, the last
  /// column's value: no product uses those columns).
  SmallVector<Value> loadShares(Value source, SdpaTensor which, Value head, Value position,
                                int64_t width);
  /// `value` summed over the warp (every lane gets the sum).
  Value warpSum(Value value);
  /// Loads key `key` (counted while below `partEnd`).
  KeyShare loadKey(const attnc::gpu::SdpaOperands &operands, Value key, Value partEnd);
  /// Folds key `k` into query row `r`'s state.
  void addKey(RowState &state, ArrayRef<Value> query, const KeyShare &k, int64_t r);
  /// The rows' states as the key loop carries them (per row: maximum,
  /// sum, accumulator columns), and back.
  SmallVector<RowState> unpack(ValueRange carried);
  static SmallVector<Value> pack(ArrayRef<RowState> states);
  /// Writes the warp's part: its rows' accumulators, maxima and sums.
  void storePart(const attnc::gpu::SdpaOperands &operands, ArrayRef<RowState> states,
                 Value part);

  Value lane, batch, kvHead, offset;
};

SmallVector<Value> DecodeSdpaBuilder::loadShares(Value source, SdpaTensor which, Value head,
                                                 Value position, int64_t width) {
  SmallVector<Value> columns;
  for (int64_t j = 0; j < shares(width); ++j) {
    Value column = add(lane, index(j * kWarpSize));
    if (width % kWarpSize)
      column = minIdx(column, index(width - 1));
    columns.push_back(
        memref::LoadOp::create(b, loc, source, at(which, batch, head, position, column)));
  }
  return columns;
}

Value DecodeSdpaBuilder::warpSum(Value value) {
  return butterfly(value, {16, 8, 4, 2, 1}, [&](Value x, Value y) -> Value {
    return arith::AddFOp::create(b, loc, x, y);
  });
}

KeyShare DecodeSdpaBuilder::loadKey(const attnc::gpu::SdpaOperands &operands, Value key,
                                    Value partEnd) {
  const SdpaDims &d = shape.dims;
  KeyShare share;
  share.key = key;
  share.counted = lessThan(key, partEnd);
  // Past the part's end the load reads the last key (in bounds) and the
  // score is hidden.
  Value safe = minIdx(key, sub(shape.keyLen, index(1)));
  share.keyColumns = loadShares(operands.key, SdpaTensor::Key, kvHead, safe, d.headDim);
  share.valueColumns = loadShares(operands.value, SdpaTensor::Value, kvHead, safe, d.valueDim);
  if (operands.keyMask)
    share.mask = memref::LoadOp::create(b, loc, operands.keyMask, ValueRange{batch, safe});
  return share;
}

void DecodeSdpaBuilder::addKey(RowState &state, ArrayRef<Value> query, const KeyShare &k,
                               int64_t r) {
  Value dot = f32(0.0f);
  for (size_t j = 0; j < query.size(); ++j)
    dot = math::FmaOp::create(b, loc, query[j], k.keyColumns[j], dot);
  Value score = warpSum(dot);
  Value position = add(offset, index(queryOf(r)));
  Value shown = arith::AndIOp::create(b, loc, k.counted, visible(position, k.key));
  if (k.mask && k.mask.getType().isInteger(1))
    shown = arith::AndIOp::create(b, loc, shown, k.mask);
  else if (k.mask)
    score = arith::AddFOp::create(b, loc, score, k.mask);
  // A score of -inf (an additive mask's) weighs nothing, like a hidden
  // key; a NaN stays shown and reaches the result.
  Value negInf = f32(-std::numeric_limits<float>::infinity());
  shown = arith::AndIOp::create(
      b, loc, shown, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, score, negInf));

  // The larger of the running maximum and the score becomes the maximum;
  // the other side is scaled by exp(-|score - maximum|) (0 while the
  // maximum is still -inf).
  Value difference = arith::SubFOp::create(b, loc, score, state.max);
  Value ahead = arith::AndIOp::create(
      b, loc, shown,
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, difference, f32(0.0f)));
  Value scaled = math::ExpOp::create(
      b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, difference)));
  Value one = f32(1.0f);
  Value correction = arith::SelectOp::create(b, loc, ahead, scaled, one);
  Value weight = arith::SelectOp::create(
      b, loc, shown, arith::SelectOp::create(b, loc, ahead, one, scaled), f32(0.0f));
  state.max = arith::SelectOp::create(b, loc, ahead, score, state.max);
  state.sum = math::FmaOp::create(b, loc, state.sum, correction, weight);
  for (size_t j = 0; j < state.accumulator.size(); ++j) {
    Value rescaled = arith::MulFOp::create(b, loc, state.accumulator[j], correction);
    state.accumulator[j] = math::FmaOp::create(b, loc, weight, k.valueColumns[j], rescaled);
  }
}

SmallVector<RowState> DecodeSdpaBuilder::unpack(ValueRange carried) {
  int64_t perRow = shares(shape.dims.valueDim) + 2;
  SmallVector<RowState> states;
  for (int64_t r = 0; r < rows(); ++r) {
    ValueRange row = carried.slice(r * perRow, perRow);
    states.push_back({row[0], row[1], SmallVector<Value>(row.drop_front(2))});
  }
  return states;
}

SmallVector<Value> DecodeSdpaBuilder::pack(ArrayRef<RowState> states) {
  SmallVector<Value> carried;
  for (const RowState &state : states) {
    carried.push_back(state.max);
    carried.push_back(state.sum);
    carried.append(state.accumulator);
  }
  return carried;
}

void DecodeSdpaBuilder::storePart(const attnc::gpu::SdpaOperands &operands,
                                  ArrayRef<RowState> states, Value part) {
  const SdpaDims &d = shape.dims;
  Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, index(0));
  for (int64_t r = 0; r < rows(); ++r) {
    const RowState &state = states[r];
    Value head = headOf(r), query = index(queryOf(r));
    for (int64_t j = 0; j < shares(d.valueDim); ++j) {
      Value column = add(lane, index(j * kWarpSize));
      OpBuilder::InsertionGuard guard(b);
      if ((j + 1) * kWarpSize > d.valueDim) { // the last share of a ragged width
        auto inside = scf::IfOp::create(b, loc, lessThan(column, d.valueDim), false);
        b.setInsertionPoint(inside.thenBlock()->getTerminator());
      }
      memref::StoreOp::create(b, loc, state.accumulator[j], operands.partAccumulators,
                              ValueRange{part, batch, head, query, column});
    }
    auto byFirstLane = scf::IfOp::create(b, loc, first, false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(byFirstLane.thenBlock()->getTerminator());
    memref::StoreOp::create(b, loc, state.max, operands.partMaxima,
                            ValueRange{part, batch, head, query});
    memref::StoreOp::create(b, loc, state.sum, operands.partSums,
                            ValueRange{part, batch, head, query});
  }
}

void DecodeSdpaBuilder::build(const attnc::gpu::SdpaOperands &operands) {
  const SdpaDims &d = shape.dims;
  Value one = index(1);
  auto launch = gpu::LaunchOp::create(b, loc, index(shape.kvSplits / kWarps), index(d.kvHeads),
                                      index(d.batch), index(kThreads), one, one);
  {
    OpBuilder::InsertionGuard guard(b);
    buildBody(launch, operands);
  }
  buildMerge(operands);
}

void DecodeSdpaBuilder::buildBody(gpu::LaunchOp launch,
                                  const attnc::gpu::SdpaOperands &operands) {
  const SdpaDims &d = shape.dims;
  b.setInsertionPointToStart(&launch.getBody().front());
  Value thread = launch.getThreadIds().x;
  lane = arith::RemUIOp::create(b, loc, thread, index(kWarpSize));
  Value warp = arith::DivUIOp::create(b, loc, thread, index(kWarpSize));
  Value part = add(mul(launch.getBlockIds().x, index(kWarps)), warp);
  kvHead = launch.getBlockIds().y;
  batch = launch.getBlockIds().z;
  offset = queryOffset(operands, batch);

  // The query rows' columns, scaled once (zero past the head dim).
  SmallVector<SmallVector<Value>> queries;
  for (int64_t r = 0; r < rows(); ++r) {
    SmallVector<Value> columns = loadShares(operands.query, SdpaTensor::Query, headOf(r),
                                            index(queryOf(r)), d.headDim);
    for (size_t j = 0; j < columns.size(); ++j) {
      columns[j] = arith::MulFOp::create(b, loc, columns[j], f32(shape.scale));
      if (d.headDim % kWarpSize)
        columns[j] = arith::SelectOp::create(
            b, loc, lessThan(add(lane, index(j * kWarpSize)), d.headDim), columns[j], f32(0.0f));
    }
    queries.push_back(std::move(columns));
  }

  // The warp's part of the keys its rows may see: as many keys as every
  // other part (a multiple of the step), past the range's end hidden.
  auto [keyBegin, keyEnd] = keyRange(index(0), d.queryLen, offset);
  Value keys = maxIdx(sub(keyEnd, keyBegin), index(0));
  Value perPart = mul(arith::CeilDivSIOp::create(
                          b, loc, keys, index(shape.kvSplits * kKeysPerStep)),
                      index(kKeysPerStep));
  Value partBegin = add(keyBegin, mul(part, perPart));
  Value partEnd = minIdx(keyEnd, add(partBegin, perPart));

  RowState empty{f32(-std::numeric_limits<float>::infinity()), f32(0.0f),
                 SmallVector<Value>(shares(d.valueDim), f32(0.0f))};
  auto loop = scf::ForOp::create(b, loc, index(0), perPart, index(kKeysPerStep),
                                 pack(SmallVector<RowState>(rows(), empty)));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<RowState> states = unpack(loop.getRegionIterArgs());
    SmallVector<KeyShare> step;
    for (int64_t k = 0; k < kKeysPerStep; ++k)
      step.push_back(loadKey(operands, add(add(partBegin, loop.getInductionVar()), index(k)),
                             partEnd));
    for (const KeyShare &key : step)
      for (int64_t r = 0; r < rows(); ++r)
        addKey(states[r], queries[r], key, r);
    scf::YieldOp::create(b, loc, pack(states));
  }
  storePart(operands, unpack(loop.getResults()), part);
  gpu::TerminatorOp::create(b, loc);
}

} // namespace

namespace attnc::gpu {

bool decodeKernelTakes(const mlir::attn::SdpaDims &dims, int64_t maxRows) {
  return dims.queryLen * (dims.queryHeads / dims.kvHeads) <= maxRows &&
         dims.headDim <= kDecodeMaxHeadDim && dims.valueDim <= kDecodeMaxHeadDim;
}

void buildDecodeSdpa(OpBuilder &b, Location loc, const SdpaShape &shape,
                     const SdpaOperands &operands) {
  assert(shape.kvSplits % kDecodeWarps == 0 && "a part per warp");
  assert(shape.qBlock == shape.dims.queryLen * shape.headsPerBlock && "every row of a kv head");
  DecodeSdpaBuilder(b, loc, shape).build(operands);
}

} // namespace attnc::gpu

//===- TensorCoreSdpa.cpp - attn.sdpa as FlashAttention-2 on mma.sync ------===//
//
// With --precision fp16|bf16, attention runs on the tensor cores: q, k and
// v are rounded to that type as they are staged, both products
// (S = Q·Kᵀ and O += P·V) are `mma.sync.m16n8k16` with f32 accumulators,
// and the online softmax stays in f32 registers. The FlashAttention-2
// shape: a block of 4 warps per 64 query rows (of one head and batch
// row), each warp owning 16 rows for the whole key walk; the block walks
// the key tiles its rows' window allows, 64 keys at a time, staged in
// shared memory (K as [key][d], V transposed as [d][key], so that both
// are the B operand with k contiguous). Per tile a warp computes its
// 16 x 64 scores as 8 accumulator fragments, hides keys (window, key
// mask, past the end) with -inf, takes the rows' maxima over the 4 lanes
// that share a row (two butterfly shuffles), rescales its output
// accumulators and running sums, and feeds exp(S - max) straight back as
// the A operand of P·V: a 16 x 16 k step of P is exactly two neighbouring
// score fragments, so P never leaves registers. Running sums stay
// per lane until the end (every lane of a row scales them alike).
//
// Q, K and V fragments come out of shared memory by ldmatrix.x4 (rows
// padded by 8 elements, so one matrix's 8 rows start in 8 bank groups).
// Not yet: cp.async double buffering, vector global loads, wgmma
// (sm_90a); decode shapes (few query rows, kv splits) keep the fp32
// kernel.
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

class TensorCoreSdpaBuilder : attnc::gpu::SdpaKernelBase {
public:
  TensorCoreSdpaBuilder(OpBuilder &b, Location loc, const attnc::gpu::SdpaShape &shape,
                        Type narrow)
      : SdpaKernelBase(b, loc, shape), narrow(narrow) {}

  void build(const attnc::gpu::SdpaOperands &operands);

private:
  /// Stages positions [first, first + count) of `source` (head `head`)
  /// into `tile`, [position][column] or, `transposed`, [column][position],
  /// times `scale` and rounded to the narrow type; zeros past `count`.
  void stage(Value source, SdpaTensor which, Value tile, int64_t rows, int64_t width,
             Value first, Value count, Value batch, Value head, bool transposed, float scale);
  /// `value` combined with the values of the other 3 lanes of its quad
  /// (the lanes holding the same rows of a fragment).
  Value overQuad(Value value, function_ref<Value(Value, Value)> combine);
  /// `score` of the query at `position` for `key`: -inf where that query
  /// may not see the key (outside its window, hidden by the key mask, at
  /// or past `keyEnd`), else plus the key's bias if the mask is additive.
  Value maskScore(Value score, Value position, Value key, Value keyEnd, Value batch,
                  Value keyMask);

  Type narrow;
  Value thread;
};

void TensorCoreSdpaBuilder::stage(Value source, SdpaTensor which, Value tile, int64_t rows,
                                  int64_t width, Value first, Value count, Value batch,
                                  Value head, bool transposed, float scale) {
  forEach(thread, index(rows * width), index(kThreads), [&](Value e) {
    Value r = arith::DivUIOp::create(b, loc, e, index(width));
    Value c = arith::RemUIOp::create(b, loc, e, index(width));
    auto load = scf::IfOp::create(b, loc, narrow, lessThan(r, count), /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(load.thenBlock());
      Value x = memref::LoadOp::create(b, loc, source, at(which, batch, head, add(first, r), c));
      if (scale != 1.0f)
        x = arith::MulFOp::create(b, loc, x, f32(scale));
      scf::YieldOp::create(b, loc, ValueRange{arith::TruncFOp::create(b, loc, narrow, x)});
      b.setInsertionPointToStart(load.elseBlock());
      scf::YieldOp::create(
          b, loc, ValueRange{arith::ConstantOp::create(b, loc, b.getFloatAttr(narrow, 0.0))});
    }
    memref::StoreOp::create(b, loc, load.getResult(0), tile,
                            transposed ? ValueRange{c, r} : ValueRange{r, c});
  });
}

Value TensorCoreSdpaBuilder::overQuad(Value value,
                                      function_ref<Value(Value, Value)> combine) {
  for (int32_t mask : {1, 2}) {
    Value other = gpu::ShuffleOp::create(b, loc, value, mask, mma::kWarpSize,
                                         gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    value = combine(value, other);
  }
  return value;
}

Value TensorCoreSdpaBuilder::maskScore(Value score, Value position, Value key, Value keyEnd,
                                       Value batch, Value keyMask) {
  Value shown = arith::AndIOp::create(b, loc, lessThan(key, keyEnd), visible(position, key));
  if (keyMask) {
    // Past the last key the index is clamped; that score is hidden anyway.
    Value safeKey = minIdx(key, index(shape.dims.keyLen - 1));
    Value mask = memref::LoadOp::create(b, loc, keyMask, ValueRange{batch, safeKey});
    if (mask.getType().isInteger(1)) // true: visible
      shown = arith::AndIOp::create(b, loc, shown, mask);
    else // a bias added to the key's score
      score = arith::AddFOp::create(b, loc, score, mask);
  }
  return arith::SelectOp::create(b, loc, shown, score,
                                 f32(-std::numeric_limits<float>::infinity()));
}

void TensorCoreSdpaBuilder::build(const attnc::gpu::SdpaOperands &operands) {
  const mlir::attn::SdpaDims &d = shape.dims;
  Value one = index(1);
  // K's tile holds the block's queries before the walk (Q's fragments then
  // live in registers): 2 tiles of shared memory, not 3 (48 KiB is the
  // static limit; at head dim 128 these take 35 KiB).
  auto launch = gpu::LaunchOp::create(
      b, loc, index(llvm::divideCeil(d.queryLen, kQBlock)), index(d.queryHeads), index(d.batch),
      index(kThreads), one, one, nullptr, nullptr, ValueRange{},
      TypeRange{buffer({kKvBlock, d.headDim + kRowPadding}, gpu::AddressSpace::Workgroup, narrow),
                buffer({d.valueDim, kKvBlock + kRowPadding}, gpu::AddressSpace::Workgroup,
                       narrow)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value keyTile = launch.getWorkgroupAttributions()[0];
  Value valueTile = launch.getWorkgroupAttributions()[1];
  thread = launch.getThreadIds().x;
  Value warp = arith::DivUIOp::create(b, loc, thread, index(mma::kWarpSize));
  attnc::gpu::MmaFragments fragments(
      b, loc, arith::RemUIOp::create(b, loc, thread, index(mma::kWarpSize)));
  Value head = launch.getBlockIds().y, batch = launch.getBlockIds().z;
  Value kvHead = arith::DivUIOp::create(b, loc, head, index(d.queryHeads / d.kvHeads));
  Value firstRow = mul(queryBlockOf(launch.getBlockIds().x, kQBlock), index(kQBlock));
  Value warpRow = mul(warp, index(mma::kM));
  Value offset = queryOffset(operands, batch);
  // This lane's rows: g and g + 8 of its warp's 16.
  SmallVector<Value> rows, positions;
  for (int64_t half = 0; half < kLaneRows; ++half) {
    rows.push_back(add(add(firstRow, warpRow), add(fragments.group, index(8 * half))));
    positions.push_back(add(rows.back(), offset));
  }

  // The queries, scaled, through K's tile into registers: one A fragment
  // per 16 of the head dim.
  Value queryRows = minIdx(index(kQBlock), sub(index(d.queryLen), firstRow));
  stage(operands.query, SdpaTensor::Query, keyTile, kQBlock, d.headDim, firstRow, queryRows,
        batch, head, /*transposed=*/false, shape.scale);
  gpu::BarrierOp::create(b, loc);
  SmallVector<Value> queryFragments;
  for (int64_t k = 0; k < d.headDim; k += mma::kK)
    queryFragments.push_back(fragments.loadA(keyTile, warpRow, index(k)));
  gpu::BarrierOp::create(b, loc);

  // Loop-carried: the output accumulators (one fragment per 8 value
  // columns), each lane row's running maximum and its lane's share of the
  // running sum.
  Value negInf = f32(-std::numeric_limits<float>::infinity());
  Value zero = f32(0.0f);
  auto accumulatorType = VectorType::get({mma::kCRegisters, mma::kPerRegister}, b.getF32Type());
  int64_t outputTiles = d.valueDim / mma::kN;
  SmallVector<Value> carried;
  for (int64_t n = 0; n < outputTiles; ++n)
    carried.push_back(arith::ConstantOp::create(
        b, loc, accumulatorType, DenseElementsAttr::get(accumulatorType, 0.0f)));
  for (int64_t half = 0; half < kLaneRows; ++half)
    carried.push_back(negInf);
  for (int64_t half = 0; half < kLaneRows; ++half)
    carried.push_back(zero);

  auto [keyBegin, keyEnd] = keyRange(firstRow, kQBlock, offset);
  auto tiles = scf::ForOp::create(b, loc, keyBegin, keyEnd, index(kKvBlock), carried);
  {
    OpBuilder::InsertionGuard walk(b);
    b.setInsertionPointToStart(tiles.getBody());
    Value first = tiles.getInductionVar();
    ValueRange state = tiles.getRegionIterArgs();
    SmallVector<Value> outputs(state.begin(), state.begin() + outputTiles);
    SmallVector<Value> maxima(state.begin() + outputTiles,
                              state.begin() + outputTiles + kLaneRows);
    SmallVector<Value> sums(state.begin() + outputTiles + kLaneRows, state.end());
    Value count = minIdx(index(kKvBlock), sub(keyEnd, first));
    stage(operands.key, SdpaTensor::Key, keyTile, kKvBlock, d.headDim, first, count, batch,
          kvHead, /*transposed=*/false, 1.0f);
    stage(operands.value, SdpaTensor::Value, valueTile, kKvBlock, d.valueDim, first, count,
          batch, kvHead, /*transposed=*/true, 1.0f);
    gpu::BarrierOp::create(b, loc);

    // S = Q·Kᵀ for this warp's 16 rows and the tile's 64 keys.
    SmallVector<Value> scores(
        kScoreTiles, arith::ConstantOp::create(b, loc, accumulatorType,
                                               DenseElementsAttr::get(accumulatorType, 0.0f)));
    for (int64_t k = 0; k < d.headDim; k += mma::kK) {
      SmallVector<Value> keys = fragments.loadB(keyTile, index(k), index(0), kScoreTiles);
      for (int64_t j = 0; j < kScoreTiles; ++j)
        scores[j] = nvgpu::MmaSyncOp::create(b, loc, queryFragments[k / mma::kK], keys[j],
                                             scores[j],
                                             ArrayRef<int64_t>{mma::kM, mma::kN, mma::kK});
    }
    // Hidden keys at -inf, and each lane row's maximum over the tile.
    SmallVector<SmallVector<Value>> masked(kScoreTiles);
    SmallVector<Value> tileMax(kLaneRows, negInf);
    for (int64_t j = 0; j < kScoreTiles; ++j)
      for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
        for (int64_t e = 0; e < mma::kPerRegister; ++e) {
          auto [rowPlus, columnPlus] = mma::cOffset(reg, e);
          int64_t half = rowPlus / 8;
          Value key = add(first, add(fragments.pairColumn, index(j * mma::kN + columnPlus)));
          Value score = maskScore(fragments.element(scores[j], reg, e), positions[half], key,
                                  keyEnd, batch, operands.keyMask);
          masked[j].push_back(score);
          tileMax[half] = arith::MaximumFOp::create(b, loc, tileMax[half], score);
        }
    SmallVector<Value> shifts, corrections;
    for (int64_t half = 0; half < kLaneRows; ++half) {
      Value rowMax = overQuad(tileMax[half], [&](Value x, Value y) -> Value {
        return arith::MaximumFOp::create(b, loc, x, y);
      });
      Value newMax = arith::MaximumFOp::create(b, loc, maxima[half], rowMax);
      // While a row has seen no key its maximum is -inf; subtracting 0
      // instead keeps exp(-inf - -inf) from making NaN.
      Value seen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, newMax, negInf);
      shifts.push_back(arith::SelectOp::create(b, loc, seen, newMax, zero));
      corrections.push_back(
          math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, maxima[half], shifts.back())));
      maxima[half] = newMax;
      sums[half] = arith::MulFOp::create(b, loc, sums[half], corrections.back());
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
          sums[half] = arith::AddFOp::create(b, loc, sums[half], p);
          weights[j].push_back(arith::TruncFOp::create(b, loc, narrow, p));
        }
    // O = O · correction + P·V. P's A fragment for keys [16s, 16s + 16):
    // its element at (row, key) is score fragment 2s + key / 8's element
    // at (row, key % 8), held by this same lane (the two layouts agree).
    for (int64_t n = 0; n < outputTiles; ++n) {
      SmallVector<Value> scaled;
      for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
        for (int64_t e = 0; e < mma::kPerRegister; ++e)
          scaled.push_back(arith::MulFOp::create(
              b, loc, fragments.element(outputs[n], reg, e),
              corrections[mma::cOffset(reg, e).first / 8]));
      outputs[n] = fragments.vectorOf(scaled, {mma::kCRegisters, mma::kPerRegister});
    }
    for (int64_t s = 0; s < kKeySteps; ++s) {
      SmallVector<Value> elements;
      for (int64_t reg = 0; reg < mma::kARegisters; ++reg)
        for (int64_t e = 0; e < mma::kPerRegister; ++e) {
          auto [rowPlus, keyPlus] = mma::aOffset(reg, e);
          int64_t tile = 2 * s + keyPlus / mma::kN;
          // The score element at (row g + rowPlus, column 2t + keyPlus % 8).
          int64_t scoreIndex = -1;
          for (int64_t r = 0; r < mma::kCRegisters; ++r)
            for (int64_t x = 0; x < mma::kPerRegister; ++x)
              if (mma::cOffset(r, x) == std::pair<int64_t, int64_t>{rowPlus, keyPlus % mma::kN})
                scoreIndex = r * mma::kPerRegister + x;
          assert(scoreIndex >= 0 && "score and P fragments share a layout");
          elements.push_back(weights[tile][scoreIndex]);
        }
      Value probabilities =
          fragments.vectorOf(elements, {mma::kARegisters, mma::kPerRegister});
      SmallVector<Value> values =
          fragments.loadB(valueTile, index(s * mma::kK), index(0), outputTiles);
      for (int64_t n = 0; n < outputTiles; ++n)
        outputs[n] = nvgpu::MmaSyncOp::create(b, loc, probabilities, values[n], outputs[n],
                                              ArrayRef<int64_t>{mma::kM, mma::kN, mma::kK});
    }
    // Every warp is done with the tiles before the next ones overwrite them.
    gpu::BarrierOp::create(b, loc);
    SmallVector<Value> next(outputs);
    next.append(maxima.begin(), maxima.end());
    next.append(sums.begin(), sums.end());
    scf::YieldOp::create(b, loc, next);
  }

  // out = O / sum (the row's sum over its 4 lanes); a row that saw no key
  // (sum 0) yields zeros; rows past the query length store nothing.
  ValueRange results = tiles.getResults();
  SmallVector<Value> inverses;
  for (int64_t half = 0; half < kLaneRows; ++half) {
    Value sum = overQuad(results[outputTiles + kLaneRows + half], [&](Value x, Value y) -> Value {
      return arith::AddFOp::create(b, loc, x, y);
    });
    Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, sum, zero);
    inverses.push_back(arith::SelectOp::create(
        b, loc, positive, arith::DivFOp::create(b, loc, f32(1.0f), sum), zero));
  }
  for (int64_t half = 0; half < kLaneRows; ++half) {
    auto store = scf::IfOp::create(b, loc, lessThan(rows[half], d.queryLen),
                                   /*withElseRegion=*/false);
    OpBuilder::InsertionGuard inside(b);
    b.setInsertionPoint(store.thenBlock()->getTerminator());
    for (int64_t n = 0; n < outputTiles; ++n)
      for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
        for (int64_t e = 0; e < mma::kPerRegister; ++e) {
          auto [rowPlus, columnPlus] = mma::cOffset(reg, e);
          if (rowPlus / 8 != half)
            continue;
          Value column = add(fragments.pairColumn, index(n * mma::kN + columnPlus));
          Value value = arith::MulFOp::create(b, loc, fragments.element(results[n], reg, e),
                                              inverses[half]);
          memref::StoreOp::create(b, loc, value, operands.result,
                                  at(SdpaTensor::Result, batch, head, rows[half], column));
        }
  }
  gpu::TerminatorOp::create(b, loc);
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

//===- VectorFlashKernel.cpp - Register-tiled attn.sdpa kernel ----------===//
//
// The FlashAttention-2 loop of attn-tile-sdpa with both products written as
// register tiles in the vector dialect, so that they become FMA
// instructions on whole vector registers (AVX2, AVX-512, NEON: W lanes):
//
//   Kᵀ packed once per call: [B, Hkv, kv-block, D, Bk'] (Bk' = Bk rounded up
//   to W, zero-padded), so one block's keys are contiguous; W x W
//   transposes in registers.
//   for each (kv head, q-block, batch) in parallel, zigzag order:
//     Q̂ = scale · log2(e) · q, the rows of every query head sharing the
//         kv head, so that scores are in log2 units and e^x is 2^x'
//         (without log2(e) when an additive mask is added to the scores)
//     for each visited kv-block:
//       S = Q̂ · Kᵀ                         R x (C·W) register tiles; each
//                                           strip of R rows only the tiles
//                                           with keys its rows can see
//       if the block is cut: mask S         window, padding, key/dense mask
//       per row: m' = max(m, rowmax S), P = 2^(S - m'),
//                l = l·2^(m - m') + rowsum P  (l kept per lane, summed
//                                              across lanes once per task)
//       acc = acc · 2^(m - m') + P · V      R x (C·W) register tiles, over
//                                           the keys the strip can see
//     out = acc / l                         (0 where l = 0, sdpa.C10),
//                                           written in place
//
// Query heads that share a kv head (grouped-query attention) are stacked
// into one block of rows, so each K and V tile is read once for all of
// them. A block is "full" when every (query, key) pair in it is visible; it
// skips the mask code. Memory: per task O(G·Bq·(D + Bk + Dv)), plus packed
// Kᵀ, O(T·D); never S x T.
//
// Run-time lengths (S or T a `?` dim): the geometry stays static and the
// block and task counts are read at run time. With a run-time S the loop is
// emitted for two size classes, chosen per call: many query rows per kv
// head pack Kᵀ (`attn.tiling`), a few take dot products over K's own rows
// (`attn.decode_tiling`, typically with kv splits).
//
//===----------------------------------------------------------------------===//

#include "passes/tiling/VectorFlashKernel.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "passes/Transforms.h"
#include "passes/lowering/LinalgBuilders.h"
#include "passes/tiling/FlashCommon.h"
#include "passes/tiling/VectorEmitter.h"
#include "passes/tiling/VectorExp.h"
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tiling;

namespace {

/// Below this many query rows per kv head (S x group), scores use K's own
/// layout instead of packing Kᵀ (see packKeys).
constexpr int64_t kMinRowsForPackedKeys = 16;

/// log2(e): exponentials are powers of 2 (buildVectorExp2), e^x = 2^(x·log2(e)).
constexpr double kLog2E = 1.4426950408889634;

/// One attn.sdpa emitted as the register-tiled FlashAttention-2 loop
/// described at the top of this file. The constructor fixes the block
/// geometry; emit() runs the stages in order: per call, pack Kᵀ, turn a
/// key mask into a bias row and view a dense mask; then the parallel loop
/// over (kv head, q-block, batch[, kv split]) tasks, each loading its
/// scaled queries and stepping over its kv-blocks (scores, mask, online
/// softmax, P·V); then the results, divided into the output or, with kv
/// splits, merged by a second parallel loop.
class VectorFlashKernel {
public:
  /// `packKeys` decides how scores are computed where the query length is
  /// a run-time dim (see packKeys below); a static length decides itself.
  VectorFlashKernel(ImplicitLocOpBuilder &b, SdpaOp op, const SdpaTiling &tiling,
                    std::optional<bool> packKeysForRunTimeLength = std::nullopt)
      : b(b), e(b, tiling.vectorWidth), im(e.im), op(op), w(tiling.vectorWidth),
        window(op.getWindow()) {
    SdpaDims dims = op.getDims();
    batch = dims.batch, heads = dims.queryHeads, kvHeads = dims.kvHeads;
    s = dims.queryLen, t = dims.keyLen, d = dims.headDim, dv = dims.valueDim;
    group = heads / kvHeads;
    runTimeQueries = ShapedType::isDynamic(s), runTimeKeys = ShapedType::isDynamic(t);
    // Block geometry. Rows of a task: `group` heads x qPad rows each, qPad a
    // multiple of the register tile's rows. Columns of a kv-block: kPad, a
    // multiple of W; the columns past the block's keys are masked. The
    // geometry is static; with run-time lengths only the block counts are
    // computed at run time.
    qBlock = runTimeQueries ? tiling.qBlock : std::min(tiling.qBlock, s);
    kvBlock = runTimeKeys ? tiling.kvBlock : std::min(tiling.kvBlock, t);
    regRows = std::min(tiling.registerRows, qBlock);
    qPad = roundUp(qBlock, regRows), rows = group * qPad;
    kPad = roundUp(kvBlock, w);
    scoreCols = largestDivisorAtMost(kPad / w, tiling.registerColumnVectors);
    valueCols = largestDivisorAtMost(dv / w, tiling.registerColumnVectors);
    splits = std::max<int64_t>(
        1, runTimeKeys ? tiling.kvSplits
                       : std::min(tiling.kvSplits, (t + kvBlock - 1) / kvBlock));
    rowsPad = roundUp(rows, w);
    // Packing Kᵀ reads all of K once per call, which pays off when many
    // query rows share each key; with only a few (decoding), scores are
    // dot products along D of K's own rows instead.
    packKeys = runTimeQueries ? packKeysForRunTimeLength.value_or(true)
                              : s * group >= kMinRowsForPackedKeys;
    resultSeqMajor = op.isSeqMajor(SdpaTensor::Result);
    if (Value denseMask = op.getDenseMask())
      isBool = cast<RankedTensorType>(denseMask.getType()).getElementType().isInteger(1);
    // Scores are kept in log2 units (log2(e) folded into the scale) unless
    // an additive mask is added to them: its values are in natural units,
    // and converting them could overflow (-FLT_MAX·log2(e) is -inf), so
    // then each exponent is converted instead, one multiply more per score.
    additiveMask = op.getKeyBias() || (op.getDenseMask() && !isBool);
    scoreUnit = additiveMask ? 1.0 : kLog2E;
    exp2Scaling = tiling.avx512 ? Exp2Scaling::Avx512Scalef : Exp2Scaling::ExponentBits;
  }

  /// Emits the loop before the op; returns the value that replaces its
  /// result and the main parallel loop (which carries the plan's
  /// attributes).
  std::pair<Value, scf::ForallOp> emit();

private:
  /// A task's batch row, kv head and q-block: its first query and length.
  struct TaskIndices {
    Value batch, kvHead, qStart, qLen;
  };

  // Per call, before the parallel loop.
  void readLengths();
  Value times(Value x, int64_t k);
  Value packKeysByBlock();
  void buildKeyBias();
  void viewDenseMask();

  // A task and its rows.
  TaskIndices taskIndices(Value task);
  Value headOf(int64_t g);
  void startTask(Value task, Value split);
  Value loadScaledQueries();
  Value rowPos(Value r);
  std::pair<Value, Value> windowKeys(Value first, Value last, Value kStart, Value kLen);
  std::pair<Value, Value> stripKeys(Value i0, Value kStart, Value kLen);

  // One kv-block of a task.
  SmallVector<Value> kvBlockStep(Value kb, ValueRange carried);
  Value packedScores(Value scoresIn, Value kb, Value kStart, Value kLen);
  Value dotScores(Value scoresIn, Value kStart, Value kLen);
  Value blockIsCut(Value kStart, Value kLen);
  Value maskScores(Value scores, Value kStart, Value kLen);
  Value applyDenseMask(Value scores, Value kStart, Value kLen);
  Value expOf(Value x);

  // Results.
  Value inverseOrZero(Value l);
  Value rowSum(Value lLanes, Value r);
  void storeHeadRows(scf::ForallOp loop, const TaskIndices &at,
                     function_ref<SmallVector<Value>(Value)> rowVectors);
  scf::ForallOp mergeSplits(scf::ForallOp parts);
  void recordPlan(scf::ForallOp forall);

  // The element (batch, head, position, column) of q, k or v in its layout.
  SmallVector<Value> at(SdpaTensor tensor, Value bi, Value h, Value pos, Value c) {
    return headIndex(op.isSeqMajor(tensor), bi, h, pos, c);
  }

  ImplicitLocOpBuilder &b;
  Emitter e;
  IndexMath &im;
  SdpaOp op;
  const int64_t w;
  WindowAttr window;
  // s and t are ShapedType::kDynamic for run-time lengths.
  int64_t batch, heads, kvHeads, s, t, d, dv, group;
  int64_t qBlock, kvBlock, regRows, qPad, rows, kPad;
  int64_t scoreCols, valueCols, splits, rowsPad;
  bool runTimeQueries, runTimeKeys;
  bool packKeys, resultSeqMajor, isBool = false, additiveMask;
  double scoreUnit;
  Exp2Scaling exp2Scaling;

  // Per call: the lengths S and T and the block and task counts (index
  // values, constants when static; readLengths), packed Kᵀ, the key mask's
  // bounds and bias row, the dense mask viewed as 4-D, and the output.
  Value queryLen, keyLen, qBlocks, kvBlocks, tasks;
  Value packedK, keyBounds, keyBias, mask4, out;
  SmallVector<int64_t> mask4Shape;

  // The task being emitted (startTask): its indices, its kv-blocks, the
  // position of its first and last query, the rows that hold queries, and
  // its scaled queries Q̂.
  TaskIndices task;
  Value splitBegin, splitEnd, firstPos, lastPos, activeRows, qHat;
};

// S and T, read from q and k where they are run-time dims, and the counts
// of q-blocks, kv-blocks and (batch, kv head, q-block) tasks.
void VectorFlashKernel::readLengths() {
  auto length = [&](SdpaTensor tensor, Value value, int64_t n) -> Value {
    if (!ShapedType::isDynamic(n))
      return im.c(n);
    return tensor::DimOp::create(b, value, sdpaSeqAxis(op.isSeqMajor(tensor)));
  };
  queryLen = length(SdpaTensor::Query, op.getQuery(), s);
  keyLen = length(SdpaTensor::Key, op.getKey(), t);
  auto blocks = [&](Value n, int64_t block) {
    std::optional<int64_t> known = getConstantIntValue(n);
    return known ? im.c((*known + block - 1) / block) : im.ceilDiv(n, im.c(block));
  };
  qBlocks = blocks(queryLen, qBlock);
  kvBlocks = blocks(keyLen, kvBlock);
  tasks = times(qBlocks, batch * kvHeads);
}

// x·k, a constant when x is one (static shapes keep static loop bounds).
Value VectorFlashKernel::times(Value x, int64_t k) {
  if (std::optional<int64_t> known = getConstantIntValue(x))
    return im.c(*known * k);
  return im.mul(x, im.c(k));
}

// Kᵀ packed by kv-block: packed[b, h, kb, c, j] = k[b, h, kb·Bk + j, c]
// for j < Bk and kb·Bk + j < T, else 0; one parallel task per block.
Value VectorFlashKernel::packKeysByBlock() {
  Type f32 = b.getF32Type();
  Value init = tensor::EmptyOp::create(
      b, ArrayRef<OpFoldResult>{b.getIndexAttr(batch), b.getIndexAttr(kvHeads),
                                getAsOpFoldResult(kvBlocks), b.getIndexAttr(d),
                                b.getIndexAttr(kPad)},
      f32);
  auto pack = scf::ForallOp::create(
      b, ArrayRef<OpFoldResult>{getAsOpFoldResult(times(kvBlocks, batch * kvHeads))},
      ValueRange{init}, std::nullopt);
  OpBuilder::InsertionGuard packGuard(b);
  b.setInsertionPoint(pack.getTerminator());
  Value task = pack.getInductionVars()[0];
  Value bi = im.div(task, times(kvBlocks, kvHeads));
  Value hi = im.rem(im.div(task, kvBlocks), kvHeads);
  Value kb = im.rem(task, kvBlocks);
  // W keys x W columns at a time: W row reads of K, a transpose in
  // registers, W row writes of the tile. Keys past the block or past T
  // read the last key (in bounds) and are replaced by zeros. The tile is
  // the task's own slice of the packed tensor, so it bufferizes in place.
  SmallVector<OpFoldResult> offsets = {bi, hi, kb, b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(1),
                                     b.getIndexAttr(d), b.getIndexAttr(kPad)};
  SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
  Value packed = pack.getRegionIterArgs()[0];
  Value tile = tensor::ExtractSliceOp::create(b, RankedTensorType::get({d, kPad}, f32), packed,
                                              offsets, sizes, strides);
  tile = e.loop(0, d, w, tile, [&](Value c0, ValueRange a1) {
    return e.loop(0, kPad, w, a1[0], [&](Value j0, ValueRange a2) {
      SmallVector<Value> keys;
      for (int64_t r = 0; r < w; ++r) {
        Value j = im.add(j0, im.c(r));
        Value key = im.add(im.mul(kb, im.c(kvBlock)), j);
        Value valid = arith::AndIOp::create(
            b, arith::CmpIOp::create(b, arith::CmpIPredicate::slt, j, im.c(kvBlock)),
            arith::CmpIOp::create(b, arith::CmpIPredicate::slt, key, keyLen));
        Value row = e.read(op.getKey(),
                           at(SdpaTensor::Key, bi, hi, im.min(key, im.sub(keyLen, im.c(1))), c0));
        keys.push_back(arith::SelectOp::create(b, valid, row, e.splat(e.f32(0.0))));
      }
      SmallVector<Value> columns = e.transpose(keys);
      Value packedTile = a2[0];
      for (int64_t c = 0; c < w; ++c)
        packedTile = e.write(columns[c], packedTile, {im.add(c0, im.c(c)), j0});
      return SmallVector<Value>{packedTile};
    });
  })[0];
  b.setInsertionPointToStart(pack.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, tile, packed, offsets, sizes, strides);
  return pack.getResult(0);
}

// A key mask becomes an additive bias [B, T'] (-inf past T) so that
// masking reads whole vectors: 0 or -inf from a boolean mask, or the
// values of an additive one. Its bounds (the first and last key that is
// not hidden or -inf) also trim the kv loop.
void VectorFlashKernel::buildKeyBias() {
  Value keyMask = op.getKeyMask();
  if (!keyMask)
    return;
  // Whole blocks of kPad columns: (kv-blocks - 1) x Bk + kPad.
  std::optional<int64_t> knownBlocks = getConstantIntValue(kvBlocks);
  OpFoldResult biasLength =
      knownBlocks ? OpFoldResult(b.getIndexAttr((*knownBlocks - 1) * kvBlock + kPad))
                  : OpFoldResult(im.add(im.mul(im.sub(kvBlocks, im.c(1)), im.c(kvBlock)),
                                        im.c(kPad)));
  bool additive = (bool)op.getKeyBias();
  keyBounds = buildKeyBounds(b, b.getLoc(), op);
  Value biasEmpty = tensor::EmptyOp::create(
      b, ArrayRef<OpFoldResult>{b.getIndexAttr(batch), biasLength}, b.getF32Type());
  Value biasInit = linalg::FillOp::create(b, e.negInf(), biasEmpty).getResult(0);
  MLIRContext *ctx = b.getContext();
  Type biasType = biasInit.getType();
  Value keys = keyLen;
  keyBias = linalg::GenericOp::create(
                b, biasType, ValueRange{}, biasInit,
                ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(2, ctx)},
                SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
                [&](OpBuilder &nb, Location l, ValueRange args) {
                  ImplicitLocOpBuilder ib(l, nb);
                  IndexMath il{ib, l};
                  Value bi = linalg::IndexOp::create(ib, 0), j = linalg::IndexOp::create(ib, 1);
                  Value inside = arith::CmpIOp::create(ib, arith::CmpIPredicate::slt, j, keys);
                  Value entry = tensor::ExtractOp::create(
                      ib, keyMask, ValueRange{bi, il.min(j, il.sub(keys, il.c(1)))});
                  if (additive) {
                    linalg::YieldOp::create(
                        ib, ValueRange{arith::SelectOp::create(ib, inside, entry, args[0])});
                    return;
                  }
                  Value zero = arith::ConstantOp::create(ib, ib.getF32FloatAttr(0.0));
                  Value shown = arith::AndIOp::create(ib, inside, entry);
                  linalg::YieldOp::create(
                      ib, ValueRange{arith::SelectOp::create(ib, shown, zero, args[0])});
                })
                .getResult(0);
}

// A dense mask viewed as 4-D (unit dims broadcast), reshaped once.
void VectorFlashKernel::viewDenseMask() {
  Value denseMask = op.getDenseMask();
  if (!denseMask)
    return;
  auto maskType = cast<RankedTensorType>(denseMask.getType());
  mask4Shape.assign(maskType.getShape().begin(), maskType.getShape().end());
  while (mask4Shape.size() < 4)
    mask4Shape.insert(mask4Shape.begin(), 1);
  mask4 = lowering::buildReshape(b, b.getLoc(), denseMask, mask4Shape);
}

// Tasks are (kv head, q-block, batch), q-blocks in zigzag order and the
// batch innermost: the threads take contiguous runs of tasks, so each gets
// its share of every batch row (rows whose padding bounds their kv loop
// carry less work) and of every q-block (causal ones carry unequal work).
VectorFlashKernel::TaskIndices VectorFlashKernel::taskIndices(Value task) {
  Value batchIndex = im.rem(task, im.c(batch));
  Value rest = im.div(task, batch);
  Value qStart = im.mul(zigzagBlock(im, im.rem(rest, qBlocks), qBlocks), im.c(qBlock));
  return TaskIndices{batchIndex, im.div(rest, qBlocks), qStart,
                     im.min(im.c(qBlock), im.sub(queryLen, qStart))};
}

Value VectorFlashKernel::headOf(int64_t g) {
  return im.add(im.mul(task.kvHead, im.c(group)), im.c(g));
}

// The task's indices, its part of the kv range (its split's with kv
// splits), and its scaled queries.
void VectorFlashKernel::startTask(Value taskIndex, Value split) {
  task = taskIndices(taskIndex);
  KvBlockRange range =
      buildKvBlockRange(im, op, keyLen, keyBounds, task.batch, task.qStart, task.qLen, kvBlock);
  splitBegin = range.blockBegin, splitEnd = range.blockEnd;
  if (splits > 1) {
    Value chunk = im.ceilDiv(im.sub(range.blockEnd, range.blockBegin), im.c(splits));
    splitBegin = im.min(range.blockEnd, im.add(range.blockBegin, im.mul(split, chunk)));
    splitEnd = im.min(range.blockEnd, im.add(splitBegin, chunk));
  }
  firstPos = range.firstPos;
  lastPos = im.add(firstPos, im.sub(task.qLen, im.c(1)));
  // Rows that hold queries, up to the last head's last register tile: a
  // short last q-block (S = 1024 in blocks of 60: 4 rows) computes one
  // register tile, not the whole block.
  activeRows = im.add(im.c((group - 1) * qPad),
                      im.mul(im.ceilDiv(task.qLen, im.c(regRows)), im.c(regRows)));
  qHat = loadScaledQueries();
}

// Q̂: the scaled query rows, head g's at rows [g·qPad, g·qPad + qLen).
// Padding rows (past qLen in each head's qPad) are zeros: the products
// compute them, and their results are discarded.
Value VectorFlashKernel::loadScaledQueries() {
  Value scale = e.splat(e.f32(op.getScale().convertToDouble() * scoreUnit));
  Value rowsOfQ = tensor::EmptyOp::create(b, ArrayRef<int64_t>{rows, d}, b.getF32Type());
  for (int64_t g = 0; g < group; ++g) {
    Value head = headOf(g);
    rowsOfQ =
        e.loop(im.c(0), im.c(qPad), 1, rowsOfQ, [&](Value i, ValueRange a) -> SmallVector<Value> {
          Value inside = arith::CmpIOp::create(b, arith::CmpIPredicate::slt, i, task.qLen);
          Value query = im.add(task.qStart, im.min(i, im.sub(task.qLen, im.c(1))));
          Value tile = a[0];
          for (int64_t c = 0; c < d; c += w) {
            Value x =
                e.read(op.getQuery(), at(SdpaTensor::Query, task.batch, head, query, im.c(c)));
            x = arith::SelectOp::create(b, inside, arith::MulFOp::create(b, x, scale),
                                        e.splat(e.f32(0.0)));
            tile = e.write(x, tile, {im.add(i, im.c(g * qPad)), im.c(c)});
          }
          return {tile};
        })[0];
  }
  return rowsOfQ;
}

// The position of row r's query. Padding rows (past qLen) take the last
// query's, so that no row sees a key its strip's range (stripKeys) left
// out: a padding row's result is discarded, but stale scores read there
// could be NaN or subnormal, and slow.
Value VectorFlashKernel::rowPos(Value r) {
  return im.add(firstPos, im.min(im.rem(r, qPad), im.sub(task.qLen, im.c(1))));
}

// The keys [lo, hi) of the kv-block [kStart, kStart + kLen) that queries
// at positions first..last see through the window, together: one row's
// (first = last) for the mask, a register strip's for the products.
std::pair<Value, Value> VectorFlashKernel::windowKeys(Value first, Value last, Value kStart,
                                                      Value kLen) {
  Value lo = kStart, hi = im.add(kStart, kLen);
  if (!window.isLeftUnbounded())
    lo = im.max(lo, im.sub(first, im.c(window.getLeft())));
  if (!window.isRightUnbounded())
    hi = im.min(hi, im.add(last, im.c(window.getRight() + 1)));
  return {lo, hi};
}

// The keys some row of the register strip from row i0 sees, [lo, hi)
// relative to kStart: the products skip the rest of the block, which the
// mask then hides (a block where any row's view is narrower than the
// block is cut). Diagonal blocks of causal attention need only their
// lower triangle.
std::pair<Value, Value> VectorFlashKernel::stripKeys(Value i0, Value kStart, Value kLen) {
  auto [lo, hi] = windowKeys(rowPos(i0), rowPos(im.add(i0, im.c(regRows - 1))), kStart, kLen);
  return {im.sub(lo, kStart), im.sub(hi, kStart)};
}

// S = Q̂ · Kᵀ in R x (C·W) register tiles: per step along D, C vector
// loads of packed Kᵀ and R broadcasts of Q̂ feed R·C FMAs; per strip,
// only the tiles holding keys it sees.
Value VectorFlashKernel::packedScores(Value scoresIn, Value kb, Value kStart, Value kLen) {
  int64_t tileWidth = scoreCols * w;
  return e.registerTiledProduct(
      scoresIn, activeRows, regRows, scoreCols,
      [&](Value i0) {
        // A side the window leaves open keeps its constant bound: loops
        // with constant trip counts are unrolled (padding keys past T
        // are zeros in packed Kᵀ, and masked).
        auto [lo, hi] = stripKeys(i0, kStart, kLen);
        Value first = window.isLeftUnbounded() ? im.c(0)
                                               : im.mul(im.div(lo, tileWidth), im.c(tileWidth));
        Value end = window.isRightUnbounded()
                        ? im.c(kPad)
                        : im.mul(im.ceilDiv(hi, im.c(tileWidth)), im.c(tileWidth));
        return Emitter::StripRange{first, end, im.c(0), im.c(d)};
      },
      [&](Value, Value, Value) { return e.splat(e.f32(0.0)); },
      [&](Value i, Value c) { return e.at(qHat, {i, c}); },
      [&](Value c, Value j) { return e.read(packedK, {task.batch, task.kvHead, kb, c, j}); });
}

// S[r, j] = Q̂[r, :] · k[j, :] for the block's keys: W-wide FMAs along D
// and one horizontal sum per score (few query rows, K unpacked).
Value VectorFlashKernel::dotScores(Value scoresIn, Value kStart, Value kLen) {
  return e.loop(im.c(0), activeRows, 1, scoresIn, [&](Value r, ValueRange a1) {
    SmallVector<Value> query;
    for (int64_t c = 0; c < d; c += w)
      query.push_back(e.read(qHat, {r, im.c(c)}));
    return e.loop(im.c(0), kLen, 1, a1[0], [&](Value j, ValueRange a2) {
      Value sum = e.splat(e.f32(0.0));
      for (int64_t c = 0; c < d; c += w) {
        Value key = e.read(op.getKey(), at(SdpaTensor::Key, task.batch, task.kvHead,
                                           im.add(kStart, j), im.c(c)));
        sum = vector::FMAOp::create(b, query[c / w], key, sum);
      }
      Value score = e.horizontal(
          sum, [&](Value x, Value y) -> Value { return arith::AddFOp::create(b, x, y); });
      return SmallVector<Value>{tensor::InsertOp::create(b, score, a2[0], ValueRange{r, j})};
    });
  })[0];
}

// A block is cut when some pair in it is hidden: padding columns, a
// window edge crossing it, or a key/dense mask. A dense mask may hide any
// pair: every block is cut. A key mask, as its bias row, cuts only the
// blocks where some bias is not 0.
Value VectorFlashKernel::blockIsCut(Value kStart, Value kLen) {
  if (op.getDenseMask())
    return arith::ConstantIntOp::create(b, 1, 1);
  Value cut = arith::CmpIOp::create(b, arith::CmpIPredicate::slt, kLen, im.c(kPad));
  if (keyBias) {
    Value anyBias;
    for (int64_t col = 0; col < kPad; col += w) {
      Value bias = e.read(keyBias, {task.batch, im.add(kStart, im.c(col))});
      Value nonZero =
          arith::CmpFOp::create(b, arith::CmpFPredicate::UNE, bias, e.splat(e.f32(0.0)));
      anyBias = anyBias ? Value(arith::OrIOp::create(b, anyBias, nonZero)) : nonZero;
    }
    cut = arith::OrIOp::create(
        b, cut, vector::ReductionOp::create(b, vector::CombiningKind::OR, anyBias));
  }
  if (!window.isLeftUnbounded())
    cut = arith::OrIOp::create(b, cut,
                               arith::CmpIOp::create(b, arith::CmpIPredicate::slt,
                                                     im.add(kStart, im.c(window.getLeft())),
                                                     lastPos));
  if (!window.isRightUnbounded())
    cut = arith::OrIOp::create(
        b, cut,
        arith::CmpIOp::create(b, arith::CmpIPredicate::sgt,
                              im.sub(im.add(kStart, im.c(kPad - 1)), firstPos),
                              im.c(window.getRight())));
  return cut;
}

// Hides the scores of a cut block that their rows do not see: -inf
// outside each row's window and past the block's keys, plus the key bias
// and the dense mask.
Value VectorFlashKernel::maskScores(Value scores, Value kStart, Value kLen) {
  Value masked = e.loop(im.c(0), activeRows, 1, scores, [&](Value r, ValueRange a1) {
    Value pos = rowPos(r);
    auto [lo, hi] = windowKeys(pos, pos, kStart, kLen);
    auto i32Vec = VectorType::get({w}, b.getI32Type());
    Value loV = vector::BroadcastOp::create(b, i32Vec, e.i32(lo));
    Value hiV = vector::BroadcastOp::create(b, i32Vec, e.i32(hi));
    SmallVector<int32_t> lanes;
    for (int64_t lane = 0; lane < w; ++lane)
      lanes.push_back(lane);
    Value iota =
        arith::ConstantOp::create(b, DenseElementsAttr::get(i32Vec, ArrayRef<int32_t>(lanes)));
    return e.loop(0, kPad, w, a1[0], [&](Value col, ValueRange a2) {
      Value x = e.read(a2[0], {r, col});
      Value key = arith::AddIOp::create(
          b, vector::BroadcastOp::create(b, i32Vec, e.i32(im.add(kStart, col))), iota);
      Value visible =
          arith::AndIOp::create(b, arith::CmpIOp::create(b, arith::CmpIPredicate::sge, key, loV),
                                arith::CmpIOp::create(b, arith::CmpIPredicate::slt, key, hiV));
      x = arith::SelectOp::create(b, visible, x, e.splat(e.negInf()));
      if (keyBias)
        x = arith::AddFOp::create(b, x, e.read(keyBias, {task.batch, im.add(kStart, col)}));
      return SmallVector<Value>{e.write(x, a2[0], {r, col})};
    });
  })[0];
  return mask4 ? applyDenseMask(masked, kStart, kLen) : masked;
}

// Element by element: a dense mask may broadcast along any dimension and
// be i1 or additive.
Value VectorFlashKernel::applyDenseMask(Value scores, Value kStart, Value kLen) {
  ArrayRef<int64_t> shape = mask4Shape;
  Value tile = scores;
  for (int64_t g = 0; g < group; ++g) {
    Value head = headOf(g);
    tile = e.loop(im.c(0), task.qLen, 1, tile, [&](Value i, ValueRange a1) {
      return e.loop(im.c(0), kLen, 1, a1[0], [&](Value j, ValueRange a2) {
        Value r = im.add(i, im.c(g * qPad));
        Value x = e.at(a2[0], {r, j});
        Value mv = e.at(mask4, {shape[0] == 1 ? im.c(0) : task.batch,
                                shape[1] == 1 ? im.c(0) : head,
                                shape[2] == 1 ? im.c(0) : im.add(task.qStart, i),
                                shape[3] == 1 ? im.c(0) : im.add(kStart, j)});
        x = isBool ? Value(arith::SelectOp::create(b, mv, x, e.negInf()))
                   : Value(arith::AddFOp::create(b, x, mv));
        return SmallVector<Value>{tensor::InsertOp::create(b, x, a2[0], ValueRange{r, j})};
      });
    })[0];
  }
  return tile;
}

Value VectorFlashKernel::expOf(Value x) {
  if (additiveMask)
    x = arith::MulFOp::create(b, x, e.splat(e.f32(kLog2E)));
  return buildVectorExp2(b, x, exp2Scaling);
}

// One kv-block: `carried` and the result are (scores, m, l, corr, shift,
// row max, acc), each in its own buffer (Emitter::carried).
SmallVector<Value> VectorFlashKernel::kvBlockStep(Value kb, ValueRange a) {
  Value kStart = im.mul(kb, im.c(kvBlock));
  Value kLen = im.min(im.c(kvBlock), im.sub(keyLen, kStart));

  Value scores = packKeys ? packedScores(a[0], kb, kStart, kLen) : dotScores(a[0], kStart, kLen);
  auto ifCut = scf::IfOp::create(
      b, blockIsCut(kStart, kLen),
      [&](OpBuilder &, Location) { scf::YieldOp::create(b, maskScores(scores, kStart, kLen)); },
      [&](OpBuilder &, Location) { scf::YieldOp::create(b, scores); });
  scores = ifCut.getResult(0);

  // Online softmax in three sweeps, so that the per-row statistics
  // are computed W rows at a time rather than one scalar at a time:
  //   per row:        rowmax S
  //   W rows at once: m' = max(m, rowmax), shift = m' (0 while m' is
  //                   -inf: no visible key yet), corr = 2^(m - shift)
  Value rowMax = e.loop(im.c(0), activeRows, 1, a[5], [&](Value r, ValueRange a1) {
    Value vmax = e.loop(0, kPad, w, e.splat(e.negInf()), [&](Value col, ValueRange x) {
      return SmallVector<Value>{e.max(x[0], e.read(scores, {r, col}))};
    })[0];
    return SmallVector<Value>{tensor::InsertOp::create(
        b, e.horizontal(vmax, [&](Value x, Value y) { return e.max(x, y); }), a1[0],
        ValueRange{r})};
  })[0];
  SmallVector<Value> stats =
      e.loop(0, rowsPad, w, ValueRange{a[1], a[3], a[4]}, [&](Value r0, ValueRange x) {
        Value mOld = e.read(x[0], {r0});
        Value mNew = e.max(mOld, e.read(rowMax, {r0}));
        Value unseen =
            arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, mNew, e.splat(e.negInf()));
        Value shift = arith::SelectOp::create(b, unseen, e.splat(e.f32(0.0)), mNew);
        Value corr = expOf(arith::SubFOp::create(b, mOld, shift));
        return SmallVector<Value>{e.write(mNew, x[0], {r0}), e.write(corr, x[1], {r0}),
                                  e.write(shift, x[2], {r0})};
      });
  Value corrs = stats[1], shifts = stats[2];
  //   per row:        P = 2^(S - shift), l = l·corr + P summed per lane
  SmallVector<Value> probsAndSums =
      e.loop(im.c(0), activeRows, 1, ValueRange{scores, a[2]}, [&](Value r, ValueRange a1) {
        Value shift = e.splat(e.at(shifts, {r}));
        Value carried =
            arith::MulFOp::create(b, e.read(a1[1], {r, im.c(0)}), e.splat(e.at(corrs, {r})));
        SmallVector<Value> sweep =
            e.loop(0, kPad, w, ValueRange{a1[0], carried}, [&](Value col, ValueRange x) {
              Value p = expOf(arith::SubFOp::create(b, e.read(x[0], {r, col}), shift));
              return SmallVector<Value>{e.write(p, x[0], {r, col}),
                                        arith::AddFOp::create(b, x[1], p)};
            });
        return SmallVector<Value>{sweep[0], e.write(sweep[1], a1[1], {r, im.c(0)})};
      });
  Value probs = probsAndSums[0], sums = probsAndSums[1];

  // acc = acc · corr + P · V in R x (C·W) register tiles: per key, C
  // vector loads of V and R broadcasts of P feed R·C FMAs.
  // Per strip, only the keys it sees (P is 0 for the others).
  Value acc = e.registerTiledProduct(
      a[6], activeRows, regRows, valueCols,
      [&](Value i0) {
        auto [lo, hi] = stripKeys(i0, kStart, kLen);
        return Emitter::StripRange{im.c(0), im.c(dv), lo, hi};
      },
      [&](Value tile, Value i, Value c) -> Value {
        return arith::MulFOp::create(b, e.read(tile, {i, c}), e.splat(e.at(corrs, {i})));
      },
      [&](Value i, Value j) { return e.at(probs, {i, j}); },
      [&](Value j, Value c) {
        return e.read(op.getValue(),
                      at(SdpaTensor::Value, task.batch, task.kvHead, im.add(kStart, j), c));
      });
  return {probs, stats[0], sums, corrs, shifts, rowMax, acc};
}

Value VectorFlashKernel::inverseOrZero(Value l) {
  Value empty = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, l, e.f32(0.0));
  return arith::SelectOp::create(b, empty, e.f32(0.0), arith::DivFOp::create(b, e.f32(1.0), l));
}

// l of row r: the sum of its lanes.
Value VectorFlashKernel::rowSum(Value lLanes, Value r) {
  return e.horizontal(e.read(lLanes, {r, im.c(0)}),
                      [&](Value x, Value y) -> Value { return arith::AddFOp::create(b, x, y); });
}

// Writes each query head's rows straight into the slice of the output
// that the task owns, [1, group, qLen, Dv] (or [1, qLen, group, Dv]
// sequence-major), and returns the slice with one parallel_insert_slice
// at the same place, which bufferizes in place: no tile, no copy. Row i
// of head g is row g·qPad + i of the task; `rowVectors(r)` gives its
// Dv/W vectors.
void VectorFlashKernel::storeHeadRows(scf::ForallOp loop, const TaskIndices &owner,
                                      function_ref<SmallVector<Value>(Value)> rowVectors) {
  auto one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
  Value firstHead = im.mul(owner.kvHead, im.c(group));
  SmallVector<OpFoldResult> offsets = {owner.batch, firstHead, owner.qStart, zero};
  SmallVector<OpFoldResult> sizes = {one, b.getIndexAttr(group), owner.qLen, b.getIndexAttr(dv)};
  if (resultSeqMajor) {
    std::swap(offsets[1], offsets[2]);
    std::swap(sizes[1], sizes[2]);
  }
  SmallVector<OpFoldResult> strides(4, one);
  Value shared = loop.getRegionIterArgs()[0];
  Value slice = tensor::ExtractSliceOp::create(b, shared, offsets, sizes, strides);
  for (int64_t g = 0; g < group; ++g)
    slice = e.loop(im.c(0), owner.qLen, 1, slice, [&](Value i, ValueRange a) -> SmallVector<Value> {
      SmallVector<Value> vectors = rowVectors(im.add(i, im.c(g * qPad)));
      Value head = im.c(g), tile = a[0];
      for (auto [c, vector] : llvm::enumerate(vectors))
        tile = e.write(vector, tile,
                       resultSeqMajor ? ValueRange{im.c(0), i, head, im.c(c * w)}
                                      : ValueRange{im.c(0), head, i, im.c(c * w)});
      return {tile};
    })[0];
  OpBuilder::InsertionGuard inParallel(b);
  b.setInsertionPointToStart(loop.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, slice, shared, offsets, sizes, strides);
}

// Merge of the kv splits' partial results (acc, m, l per part): M =
// max_s m_s, w_s = e^(m_s - M) (0 where m_s = -inf; a power of 2 where m
// is in log2 units), out = Σ w_s·acc_s / Σ w_s·l_s (0 where that sum is 0,
// sdpa.C10). A second parallel loop, over the tasks.
scf::ForallOp VectorFlashKernel::mergeSplits(scf::ForallOp parts) {
  b.setInsertionPointAfter(parts);
  Value partAcc = parts.getResult(0), partM = parts.getResult(1), partL = parts.getResult(2);
  auto merge = scf::ForallOp::create(b, ArrayRef<OpFoldResult>{getAsOpFoldResult(tasks)},
                                     ValueRange{out}, std::nullopt);
  b.setInsertionPoint(merge.getTerminator());
  Value taskIndex = merge.getInductionVars()[0];
  storeHeadRows(merge, taskIndices(taskIndex), [&](Value r) {
    SmallVector<Value> slots, maxima;
    Value mMax = e.negInf();
    for (int64_t part = 0; part < splits; ++part) {
      slots.push_back(im.add(im.mul(taskIndex, im.c(splits)), im.c(part)));
      maxima.push_back(e.at(partM, {slots.back(), r}));
      mMax = arith::MaximumFOp::create(b, mMax, maxima.back());
    }
    SmallVector<Value> weights;
    Value total = e.f32(0.0);
    for (int64_t part = 0; part < splits; ++part) {
      Value unseen = arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, maxima[part], e.negInf());
      weights.push_back(arith::SelectOp::create(
          b, unseen, e.f32(0.0),
          math::Exp2Op::create(b, arith::MulFOp::create(
                                      b, arith::SubFOp::create(b, maxima[part], mMax),
                                      e.f32(kLog2E / scoreUnit)))));
      total = math::FmaOp::create(b, weights.back(), e.at(partL, {slots[part], r}), total);
    }
    Value inverse = inverseOrZero(total);
    SmallVector<Value> vectors;
    for (int64_t c = 0; c < dv; c += w) {
      Value sum = e.splat(e.f32(0.0));
      for (int64_t part = 0; part < splits; ++part)
        sum = vector::FMAOp::create(b, e.read(partAcc, {slots[part], r, im.c(c)}),
                                    e.splat(arith::MulFOp::create(b, weights[part], inverse)),
                                    sum);
      vectors.push_back(sum);
    }
    return vectors;
  });
  return merge;
}

// What the loop does, for tests and --print-tiling: blocks, visited and
// full blocks, the register tile, the kv splits.
void VectorFlashKernel::recordPlan(scf::ForallOp forall) {
  forall->setAttr("attn.q_block", b.getI64IntegerAttr(qBlock));
  forall->setAttr("attn.kv_block", b.getI64IntegerAttr(kvBlock));
  // Block counts are known at compile time only for static lengths.
  if (!runTimeQueries && !runTimeKeys) {
    SdpaTilingPlan plan = planSdpaTiling(op, qBlock, kvBlock, w);
    forall->setAttr("attn.total_blocks", b.getI64IntegerAttr(plan.qBlocks * plan.kvBlocks));
    if (plan.visitedBlocks)
      forall->setAttr("attn.visited_blocks", b.getI64IntegerAttr(*plan.visitedBlocks));
    if (plan.fullBlocks)
      forall->setAttr("attn.full_blocks", b.getI64IntegerAttr(*plan.fullBlocks));
  }
  // Which size class this loop is (see tileSdpaWithVectorKernel).
  if (runTimeQueries)
    forall->setAttr("attn.pack_keys", b.getBoolAttr(packKeys));
  forall->setAttr("attn.vector_width", b.getI64IntegerAttr(w));
  forall->setAttr("attn.register_tile", b.getDenseI64ArrayAttr({regRows, scoreCols * w}));
  forall->setAttr("attn.kv_splits", b.getI64IntegerAttr(splits));
}

std::pair<Value, scf::ForallOp> VectorFlashKernel::emit() {
  Type f32 = b.getF32Type();
  readLengths();
  if (packKeys)
    packedK = packKeysByBlock();
  buildKeyBias();
  viewDenseMask();

  SmallVector<Value> runTimeDims;
  if (runTimeQueries)
    runTimeDims.push_back(queryLen);
  out = tensor::EmptyOp::create(b, op.getType().getShape(), f32, runTimeDims);
  // Flash-decoding: with kvSplits > 1 each (batch, kv head, q-block) task
  // is split into that many tasks over consecutive parts of its kv range;
  // they write unnormalized partial results (acc, m, l) that a second
  // parallel loop merges.
  SmallVector<Value> sharedOuts = {out};
  OpFoldResult parts = getAsOpFoldResult(times(tasks, splits));
  auto partsOf = [&](ArrayRef<int64_t> shape) -> Value {
    SmallVector<OpFoldResult> sizes = {parts};
    for (int64_t n : shape)
      sizes.push_back(b.getIndexAttr(n));
    return tensor::EmptyOp::create(b, sizes, f32);
  };
  if (splits > 1)
    sharedOuts = {partsOf({rows, dv}), partsOf({rowsPad}), partsOf({rowsPad})};
  auto forall = scf::ForallOp::create(b, ArrayRef<OpFoldResult>{parts}, sharedOuts, std::nullopt);
  b.setInsertionPoint(forall.getTerminator());
  Value flat = forall.getInductionVars()[0];
  startTask(im.div(flat, splits), im.rem(flat, splits));

  // The loop-carried state, each tensor in its own buffer (see carried).
  // Row statistics are padded to whole vectors of rows. The running sum l
  // is kept per lane ([rows, W]) and reduced across lanes once per task: a
  // horizontal sum per row and kv-block would be a serial shuffle chain as
  // long as the row's exps.
  SmallVector<Value> initial = {e.carried({rows, kPad}),
                                e.carried({rowsPad}, e.negInf()),
                                e.carried({rows, w}, e.f32(0.0)),
                                e.carried({rowsPad}, e.f32(0.0)),
                                e.carried({rowsPad}, e.f32(0.0)),
                                e.carried({rowsPad}, e.f32(0.0)),
                                e.carried({rows, dv}, e.f32(0.0))};
  SmallVector<Value> state =
      e.loop(splitBegin, splitEnd, 1, initial,
             [&](Value kb, ValueRange carried) { return kvBlockStep(kb, carried); });
  Value lLanes = state[2];

  if (splits == 1) {
    // Divide once, into the output; a row that saw no key yields zeros
    // (sdpa.C10).
    storeHeadRows(forall, task, [&](Value r) {
      Value inverse = e.splat(inverseOrZero(rowSum(lLanes, r)));
      SmallVector<Value> vectors;
      for (int64_t c = 0; c < dv; c += w)
        vectors.push_back(arith::MulFOp::create(b, e.read(state[6], {r, im.c(c)}), inverse));
      return vectors;
    });
    recordPlan(forall);
    return {forall.getResult(0), forall};
  }

  Value lFinal = e.loop(im.c(0), activeRows, 1, e.fill({rowsPad}, e.f32(0.0)),
                        [&](Value r, ValueRange a) {
                          return SmallVector<Value>{
                              tensor::InsertOp::create(b, rowSum(lLanes, r), a[0], ValueRange{r})};
                        })[0];
  {
    OpBuilder::InsertionGuard inParallel(b);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    auto one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
    tensor::ParallelInsertSliceOp::create(
        b, state[6], forall.getRegionIterArgs()[0], ArrayRef<OpFoldResult>{flat, zero, zero},
        ArrayRef<OpFoldResult>{one, b.getIndexAttr(rows), b.getIndexAttr(dv)},
        SmallVector<OpFoldResult>(3, one));
    // A named array: an ArrayRef of a braced list would dangle in the loop
    // (AddressSanitizer's stack-use-after-scope, test/sanitize.sh).
    Value stats[] = {state[1], lFinal};
    for (auto [which, stat] : llvm::enumerate(stats))
      tensor::ParallelInsertSliceOp::create(
          b, stat, forall.getRegionIterArgs()[which + 1], ArrayRef<OpFoldResult>{flat, zero},
          ArrayRef<OpFoldResult>{one, b.getIndexAttr(rowsPad)}, SmallVector<OpFoldResult>(2, one));
  }
  scf::ForallOp merge = mergeSplits(forall);
  recordPlan(forall);
  return {merge.getResult(0), forall};
}

} // namespace

void tiling::tileSdpaWithVectorKernel(RewriterBase &rewriter, SdpaOp op, const SdpaTiling &tiling,
                                      const SdpaTiling &decodeTiling) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  if (!ShapedType::isDynamic(op.getDims().queryLen)) {
    rewriter.replaceOp(op, VectorFlashKernel(b, op, tiling).emit().first);
    return;
  }
  // A run-time query length: two size classes, chosen per call. Many query
  // rows per kv head (a prompt) pack Kᵀ and use `tiling`; a few (a decode
  // step) take dot products of K's rows and `decodeTiling`, which
  // splits the kv range across the cores (flash-decoding).
  Value queries = tensor::DimOp::create(b, op.getQuery(),
                                        sdpaSeqAxis(op.isSeqMajor(SdpaTensor::Query)));
  SdpaDims dims = op.getDims();
  Value rows = arith::MulIOp::create(
      b, queries, arith::ConstantIndexOp::create(b, dims.queryHeads / dims.kvHeads));
  Value many = arith::CmpIOp::create(b, arith::CmpIPredicate::sge, rows,
                                     arith::ConstantIndexOp::create(b, kMinRowsForPackedKeys));
  auto classes = scf::IfOp::create(b, op.getType(), many, /*withElseRegion=*/true);
  for (bool packed : {true, false}) {
    OpBuilder::InsertionGuard inClass(b);
    Block *block = packed ? classes.thenBlock() : classes.elseBlock();
    b.setInsertionPointToStart(block);
    Value result =
        VectorFlashKernel(b, op, packed ? tiling : decodeTiling, packed).emit().first;
    b.setInsertionPointToEnd(block);
    scf::YieldOp::create(b, result);
  }
  rewriter.replaceOp(op, classes.getResult(0));
}

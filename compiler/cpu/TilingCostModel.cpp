//===- TilingCostModel.cpp - How to tile one attn.sdpa on a CPU ----------===//
//
// Each rule below is a reason a user can read back from
// `attnc compile --print-tiling`; none is tuned beyond what its comment
// says. Thresholds that come from measurements cite them.
//
//===----------------------------------------------------------------------===//

#include "compiler/cpu/TilingCostModel.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>

using namespace mlir;
using mlir::attn::SdpaOp;
using mlir::attn::SdpaTiling;
using mlir::attn::WindowAttr;

namespace attnc {

namespace {

constexpr int64_t kKiB = 1024, kMiB = 1024 * 1024;
/// FMA latency in cycles (4 on Skylake and later, Zen and Neoverse; 5 on
/// Haswell): a register tile needs this many independent accumulators per
/// FMA unit to keep the units busy.
constexpr int64_t kFmaLatency = 4;
/// validateSdpaTiling's bounds on the register tile.
constexpr int64_t kMaxRegisterRows = 16, kMaxRegisterColumns = 8;
/// The portable kernel: more q rows per block do not pay. K and V are
/// re-read once per q-block, and at 64 rows that is already 32 FLOP per
/// byte of K/V, so a core at 100 GFLOP/s needs only ~3 GB/s of it; larger
/// blocks only cost tasks (it measured within ~10% from 32 to 128 rows,
/// bench/RESULTS.md "Block sizes").
constexpr int64_t kMaxPortableQBlock = 64;
/// The vector kernel runs 3x faster, and also pays per (row, kv-block) for
/// its row statistics, so longer blocks both ways pay: non-causal S = 4096
/// on the 2-core AVX-512 VM took 157 ms in 60x64 blocks, 153 in 120x128,
/// 146 in 240x128, 147 in 360x128 (bench/RESULTS.md "Larger blocks").
constexpr int64_t kMaxVectorQBlock = 256;
/// The portable kernel pays a fixed cost per kv-block step (its tiles are
/// allocated per iteration): 32-key blocks ran 2.3-2.5x slower than 64-key
/// ones, and 64 to 256 keys within ~5% (D = 64 and 128, bench/RESULTS.md
/// "Block sizes").
constexpr int64_t kMinPortableKvBlock = 64;
/// A kv split (flash decoding) must cover at least this many keys, so its
/// partial result is worth the merge.
constexpr int64_t kMinKeysPerSplit = 256;
/// Parallel tasks wanted per core: two keep a core busy when the tasks
/// are uneven (causal rows differ in length).
constexpr int64_t kTasksPerCore = 2;
/// Flag-given tiles beyond this many bytes per thread are refused: no
/// cache holds them and the tiles are allocated per thread.
constexpr int64_t kMaxWorkingSet = 64 * kMiB;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }
int64_t roundDown(int64_t a, int64_t b) { return a / b * b; }

std::string formatBytes(int64_t bytes) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (bytes >= kMiB && bytes % kMiB == 0)
    os << bytes / kMiB << " MiB";
  else if (bytes >= kMiB)
    os << llvm::format("%.1f", double(bytes) / kMiB) << " MiB";
  else
    os << ceilDiv(bytes, kKiB) << " KiB";
  return text;
}

/// The shapes the model looks at.
struct SdpaShape {
  int64_t batch, heads, kvHeads, queries, keys, headDim, valueDim;
  bool isF32;
  /// Keys one query can see: the window's span, or all of them.
  int64_t visibleKeys;
  /// The window's span when both its bounds are finite.
  std::optional<int64_t> windowSpan;
};

SdpaShape readShape(SdpaOp op, const TilingRequest &request) {
  mlir::attn::SdpaDims dims = op.getDims();
  if (mlir::ShapedType::isDynamic(dims.queryLen))
    dims.queryLen = request.assumedQueries;
  if (mlir::ShapedType::isDynamic(dims.keyLen))
    dims.keyLen = request.assumedKeys;
  SdpaShape shape{dims.batch,   dims.queryHeads, dims.kvHeads,
                  dims.queryLen, dims.keyLen,    dims.headDim,
                  dims.valueDim, op.getQuery().getType().getElementType().isF32(),
                  dims.keyLen,   std::nullopt};
  if (WindowAttr window = op.getMaskAttr())
    if (!window.isLeftUnbounded() && !window.isRightUnbounded()) {
      shape.windowSpan = window.getLeft() + window.getRight() + 1;
      shape.visibleKeys = std::min(shape.keys, *shape.windowSpan);
    }
  return shape;
}

} // namespace

int64_t sdpaWorkingSetBytes(int64_t qBlock, int64_t kvBlock, int64_t headDim,
                            int64_t valueDim) {
  return 4 * (qBlock * headDim + qBlock * kvBlock + qBlock * valueDim + kvBlock * headDim +
              kvBlock * valueDim);
}

RegisterTile chooseRegisterTile(int64_t registers, int64_t valueVectors, int64_t fmaUnits,
                                int64_t maxRows) {
  RegisterTile best{1, 1};
  bool bestHidesLatency = false;
  for (int64_t columns = 1; columns <= kMaxRegisterColumns; ++columns) {
    if (valueVectors % columns)
      continue;
    // rows * columns accumulators + columns loaded vectors + 1 broadcast.
    int64_t rows = std::min({(registers - 1 - columns) / columns, kMaxRegisterRows, maxRows});
    if (rows < 1)
      continue;
    bool hidesLatency = rows * columns >= kFmaLatency * fmaUnits;
    // FMAs per load: rows*columns / (rows + columns), compared exactly.
    int64_t gain = rows * columns * (best.rows + best.columns);
    int64_t bestGain = best.rows * best.columns * (rows + columns);
    bool better = hidesLatency != bestHidesLatency
                      ? hidesLatency
                      : gain != bestGain ? gain > bestGain
                                         : rows * columns > best.rows * best.columns;
    if (better) {
      best = {rows, columns};
      bestHidesLatency = hidesLatency;
    }
  }
  return best;
}

mlir::attn::tiling::MatmulKernelShape chooseMatmulKernel(const TargetDescription &target,
                                                         int64_t columns) {
  mlir::attn::tiling::MatmulKernelShape choice;
  if (!target.hasFma || target.vectorBits < 128)
    return choice;
  choice.vectorWidth = target.vectorBits / 32;
  // The register tile: as many rows as the registers hold (a row of
  // accumulators each, plus the panel's vectors and a broadcast), up to a
  // cap. On AVX-512, panels of 3 vectors and 8 rows (3 loads and 8
  // broadcasts per 24 FMAs): whole models at S = 128 ran 3-8 % faster
  // than with 12x2 (GPT-2 small 141 -> 130 ms, LLaMA-shaped 161 -> 156,
  // BERT-base 173 -> 168), and 9x3 and 6x4 were slower (bench/RESULTS.md;
  // with the earlier 256-step k-blocks, 12x2 had beaten 6x4 and 14x2).
  // Other targets keep the 2-vector panels (AVX2: 6x2), not measured
  // against wider ones. So does a product whose columns would pad 48-wide
  // panels by over 5 % more than 32-wide ones: a 2048 x 256 product (GQA's
  // K or V) at M = 128 took 0.52 ms with 8x3 (288 columns computed for
  // 256), 0.46 with 12x2.
  auto padding = [&](int64_t panelColumns) {
    return (columns + panelColumns - 1) / panelColumns * panelColumns - columns;
  };
  const int64_t lanes = choice.vectorWidth;
  const bool widePanels =
      target.vectorBits == 512 &&
      (columns <= 0 || (padding(3 * lanes) - padding(2 * lanes)) * 20 <= columns);
  const int64_t panelVectors = widePanels ? 3 : 2, maxRows = widePanels ? 8 : 12;
  choice.registerColumnVectors = panelVectors;
  choice.registerRows = std::max<int64_t>(
      1, std::min(maxRows, (target.vectorRegisters - 1 - panelVectors) / panelVectors));
  int64_t panelRowBytes = panelVectors * choice.vectorWidth * 4;
  // Two tasks per core absorb two threads' worth of imbalance.
  choice.tasks = target.cores > 0 ? 2 * target.cores : 16;
  // 128 rows (rounded up to the tile's): BERT-base at 2 x 128 tokens ran
  // 148-153 ms with it, 152-160 ms with 264 or 512 (one row block).
  choice.taskRows = 128;
  // K-blocks as long as the task's block of `a` rows (task rows x k-block
  // floats) can stay in a quarter of L2. Each k-block reloads and stores
  // every strip's partial sums, which is what long blocks save; the
  // panel's slice need not fit in L1, since its strips read it in order
  // from L2 (the next panel's slice is prefetched there). On AVX-512 with
  // 2 MiB of L2 (k-blocks of 1024): LLaMA-shaped model at S = 128 about
  // 155 -> 145 ms against slices in two thirds of L1 (256), GPT-2 small at
  // S = 1024 1180 -> 1100 ms; blocks of the whole K (5632: the rows' block
  // spills from L2) were slower (bench/RESULTS.md).
  int64_t l2 = target.l2Bytes > 0 ? target.l2Bytes : 1024 * 1024;
  choice.kBlock = std::max<int64_t>(16, l2 / 4 / (choice.taskRows * 4) / 16 * 16);
  // A task's panels in chunks whose partial sums (task rows x chunk
  // columns) take half of L2, all k-blocks of a chunk before the next: on
  // the 2048 x 32000 LLaMA-shaped head a task's whole group (8 MB of
  // partial sums) went through memory at every k-block. Chunks of 64
  // panels: LLaMA-shaped S = 1024 1260 -> 1168 ms, GPT-2 S = 1024 1076 ->
  // 1027 ms, S = 128 -3 to -4 % (bench/RESULTS.md).
  choice.chunkPanels =
      std::max<int64_t>(1, l2 / 2 / (choice.taskRows * panelRowBytes));
  return choice;
}

namespace {

/// Whether the vector kernel fits an op: its lanes (narrowed to divide the
/// head sizes) and, when it cannot run, why not (empty when it can).
struct VectorFit {
  int64_t lanes;
  std::string whyNot;
};

VectorFit fitVectorKernel(SdpaOp op, const SdpaShape &shape, const TargetDescription &target) {
  // The vector kernel is built around vector FMAs on f32 with head sizes
  // in whole vectors; anything else runs the portable kernel.
  int64_t lanes = target.hasFma ? target.vectorBits / 32 : 0;
  // Narrower vectors of the same unit serve head sizes that are not whole
  // wide vectors (D = 8 or 40 with AVX-512's 16 lanes).
  while (lanes > 4 && shape.isF32 && (shape.headDim % lanes || shape.valueDim % lanes))
    lanes /= 2;
  std::string whyNot;
  llvm::raw_string_ostream os(whyNot);
  if (lanes == 0)
    os << (target.vectorBits == 0 ? "no SIMD unit" : "no FMA") << " on "
       << (target.cpu.empty() ? target.triple : target.cpu);
  else if (!shape.isF32)
    os << "the vector kernel is f32 only, got " << op.getQuery().getType().getElementType();
  else if (shape.headDim % lanes || shape.valueDim % lanes)
    os << "head sizes " << shape.headDim << " and " << shape.valueDim
       << " are not multiples of " << lanes << " " << target.simd << " lanes";
  return {lanes, whyNot};
}

/// Block sizes, and how a window shaped them (for the reason line).
struct SdpaBlocks {
  int64_t q, kv;
  bool shrunkToWindow = false, alignedToWindow = false;
};

/// What blocks must be whole multiples of, and the smallest kv-block.
struct BlockGrain {
  int64_t qAlign, kvAlign, kvMin;
};

/// Blocks from the caches: the K and V tiles in L1, the whole working set
/// in half of L2, shaped by a sliding window, never larger than the
/// problem.
SdpaBlocks cacheFittedBlocks(const SdpaShape &shape, const BlockGrain &grain, bool vectorRuns,
                             int64_t l1, int64_t l2) {
  // kv-block: the K tile, then the V tile, is swept once per register-row
  // strip, so each should stay in L1 beside the score and q strips: in
  // half of it for the portable kernel (which wants kMinPortableKvBlock
  // too), in 3/4 for the vector kernel, whose strips are one register tile
  // of rows. 48 KiB L1, non-causal S = 4096 in 240-row q-blocks: 128
  // keys (32 KiB of K) 146 ms, 192 (48 KiB) 160 ms, 256 157 ms
  // (bench/RESULTS.md "Larger blocks").
  int64_t widest = std::max(shape.headDim, shape.valueDim);
  int64_t kTileBytes = vectorRuns ? l1 * 3 / 4 : l1 / 2;
  SdpaBlocks blocks;
  blocks.kv = std::max(grain.kvMin,
                       roundDown(kTileBytes / (4 * std::max<int64_t>(widest, 1)), grain.kvAlign));
  // q-block: as many rows as keep the whole working set in half of L2
  // (the other half streams the next K/V tiles), up to the kernel's most.
  auto fits = [&](int64_t q, int64_t kv) {
    return sdpaWorkingSetBytes(q, kv, shape.headDim, shape.valueDim) <= l2 / 2;
  };
  while (!fits(grain.qAlign, blocks.kv) && blocks.kv > grain.kvMin)
    blocks.kv -= grain.kvAlign;
  int64_t maxQBlock = vectorRuns ? kMaxVectorQBlock : kMaxPortableQBlock;
  blocks.q = std::max(grain.qAlign, roundDown(maxQBlock, grain.qAlign));
  while (blocks.q > grain.qAlign && !fits(blocks.q, blocks.kv))
    blocks.q -= grain.qAlign;
  // A sliding window: blocks straddling its edges compute masked scores,
  // about (q-block + kv-block) / span of the work; keep that under half.
  if (shape.windowSpan)
    while (blocks.q + blocks.kv > *shape.windowSpan / 2 &&
           (blocks.q > grain.qAlign || blocks.kv > grain.kvMin)) {
      blocks.shrunkToWindow = true;
      if (blocks.q >= blocks.kv && blocks.q > grain.qAlign)
        blocks.q -= grain.qAlign;
      else if (blocks.kv > grain.kvMin)
        blocks.kv -= grain.kvAlign;
      else
        blocks.q -= grain.qAlign;
    }
  // Then a q-block as long as the kv-block, so that every q-block starts on
  // a kv-block boundary: it visits the same ceil((span + Q - 1) / K) blocks
  // as its neighbours, where a misaligned one often straddles one more.
  // The vector kernel pads the rows to whole register tiles (64 -> 66 with
  // 6-row tiles), which costs less than that block. Window 256, S = 4096:
  // 390 -> 310 visited block pairs per head (60x64 -> 64x64 blocks), and
  // 38.7 -> 35.0 ms at S = 8192 (bench/RESULTS.md, "Window alignment").
  if (shape.windowSpan && blocks.q != blocks.kv && blocks.kv >= grain.qAlign) {
    blocks.q = blocks.kv;
    blocks.alignedToWindow = true;
  }
  // Never larger than the problem (in whole register tiles for the vector
  // kernel).
  blocks.q = std::min(blocks.q, roundUp(std::max<int64_t>(shape.queries, 1),
                                        vectorRuns ? grain.qAlign : 1));
  blocks.kv = std::min(blocks.kv, roundUp(std::max<int64_t>(shape.keys, 1),
                                          vectorRuns ? grain.kvAlign : 1));
  return blocks;
}

/// Parallel tasks: (batch, head, q-block), with the query heads of a kv
/// head in one task in the vector kernel.
int64_t sdpaTasks(const SdpaShape &shape, bool vectorRuns, int64_t qBlock) {
  int64_t heads = shape.batch * (vectorRuns ? shape.kvHeads : shape.heads);
  return heads * ceilDiv(shape.queries, qBlock);
}

/// --q-block / --kv-block override the blocks exactly: the vector kernel
/// pads a block to whole register tiles itself (the padding rows and
/// columns are computed and discarded, padding keys masked), so any size
/// is correct; the register tile only shrinks to fit a small block. A
/// block beyond the problem is clamped (a warning); tiles beyond
/// kMaxWorkingSet are refused (choice.error, false returned), beyond L2
/// warned about.
bool applyBlockFlags(const TilingFlags &flags, const SdpaShape &shape, bool vectorRuns,
                     int64_t lanes, int64_t l2, SdpaBlocks &blocks, RegisterTile &tile,
                     TilingChoice &choice) {
  if (flags.qBlock) {
    blocks.q = *flags.qBlock;
    if (vectorRuns && blocks.q < tile.rows)
      tile.rows = blocks.q;
  }
  if (flags.kvBlock) {
    blocks.kv = *flags.kvBlock;
    if (vectorRuns && blocks.kv < lanes * tile.columns)
      tile.columns = std::max<int64_t>(1, ceilDiv(blocks.kv, lanes));
  }
  if (!flags.setsBlocks())
    return true;
  // A block beyond the problem is one ragged block anyway; clamping it
  // keeps its tiles from being sized by the flag.
  int64_t qMax = std::max<int64_t>(shape.queries, 1);
  int64_t kvMax = std::max<int64_t>(shape.keys, 1);
  if (flags.qBlock && blocks.q > qMax) {
    choice.warnings.push_back("--q-block " + std::to_string(blocks.q) + " clamped to " +
                              std::to_string(qMax) + ": the op has " +
                              std::to_string(shape.queries) + " queries");
    blocks.q = qMax;
  }
  if (flags.kvBlock && blocks.kv > kvMax) {
    choice.warnings.push_back("--kv-block " + std::to_string(blocks.kv) + " clamped to " +
                              std::to_string(kvMax) + ": the op has " +
                              std::to_string(shape.keys) + " keys");
    blocks.kv = kvMax;
  }
  int64_t bytes = sdpaWorkingSetBytes(blocks.q, blocks.kv, shape.headDim, shape.valueDim);
  std::string what = "--q-block/--kv-block: " + std::to_string(blocks.q) + "x" +
                     std::to_string(blocks.kv) + " blocks need " + formatBytes(bytes) +
                     " of tiles per thread, more than the ";
  if (bytes > kMaxWorkingSet) {
    choice.error = what + formatBytes(kMaxWorkingSet) + " allowed";
    return false;
  }
  if (bytes > l2)
    choice.warnings.push_back(what + formatBytes(l2) + " L2 cache; expect it to be slow");
  return true;
}

/// Flash decoding: too few (batch, head, q-block) tasks for the cores and
/// a long kv range: each q-block's kv range split into parallel parts.
int64_t chooseKvSplits(const SdpaShape &shape, const TargetDescription &target, int64_t tasks,
                       int64_t kvBlock) {
  if (target.cores <= 0 || tasks >= kTasksPerCore * target.cores)
    return 1;
  return std::max<int64_t>(1, std::min({ceilDiv(kTasksPerCore * target.cores, tasks),
                                        shape.visibleKeys / kMinKeysPerSplit,
                                        ceilDiv(shape.visibleKeys, kvBlock)}));
}

} // namespace

TilingChoice chooseSdpaTiling(SdpaOp op, const TargetDescription &target,
                              const TilingRequest &request) {
  SdpaShape shape = readShape(op, request);
  TilingChoice choice;
  const TilingFlags &flags = request.flags;
  bool flagBlocks = flags.setsBlocks();

  auto [lanes, noVector] = fitVectorKernel(op, shape, target);
  bool vector = noVector.empty() && flags.kernel != AttentionKernel::Portable;
  if (flags.kernel == AttentionKernel::Vector) {
    if (!noVector.empty()) {
      choice.error = "--attention-kernel=vector: " + noVector;
      return choice;
    }
    if (!request.vectorKernelAvailable) {
      choice.error = "--attention-kernel=vector: attn-tile-sdpa has no vector kernel yet";
      return choice;
    }
  }

  // The unfused path (attn-decompose-sdpa) is never chosen: it was not
  // measurably faster than the tiled portable kernel anywhere, down to
  // 8x8 scores and single-query decode steps (bench/RESULTS.md, "Tiled or
  // unfused"). `decompose` stays for a measurement that says otherwise.

  bool vectorRuns = vector && request.vectorKernelAvailable;
  RegisterTile tile{1, 1};
  if (vector) {
    tile = chooseRegisterTile(target.vectorRegisters, shape.valueDim / lanes, target.fmaUnits,
                              kMaxRegisterRows);
    // A decode step has fewer query rows than the tile: spend the
    // registers on columns instead.
    if (shape.queries < tile.rows)
      tile = chooseRegisterTile(target.vectorRegisters, shape.valueDim / lanes,
                                target.fmaUnits, shape.queries);
  }
  // Blocks are whole register tiles for the vector kernel. For the
  // portable kernel, multiples of 8 rows and 16 keys (a 64-byte line of
  // f32 scores); its auto-vectorized loops need nothing more.
  BlockGrain grain = vectorRuns ? BlockGrain{tile.rows, lanes * tile.columns, lanes * tile.columns}
                                : BlockGrain{8, 16, kMinPortableKvBlock};
  int64_t l1 = target.l1Bytes > 0 ? target.l1Bytes : 32 * kKiB;
  int64_t l2 = target.l2Bytes > 0 ? target.l2Bytes : 256 * kKiB;
  SdpaBlocks blocks = cacheFittedBlocks(shape, grain, vectorRuns, l1, l2);
  // Shrink the q-block (not below the register tile) until each core gets
  // kTasksPerCore tasks.
  if (target.cores > 0)
    while (blocks.q > grain.qAlign &&
           sdpaTasks(shape, vectorRuns, blocks.q) < kTasksPerCore * target.cores)
      blocks.q -= grain.qAlign;
  if (!applyBlockFlags(flags, shape, vectorRuns, lanes, l2, blocks, tile, choice))
    return choice;
  int64_t tasks = sdpaTasks(shape, vectorRuns, blocks.q);
  int64_t splits = chooseKvSplits(shape, target, tasks, blocks.kv);

  SdpaTiling &tiling = choice.tiling;
  tiling.qBlock = blocks.q;
  tiling.kvBlock = blocks.kv;
  tiling.vectorWidth = vectorRuns ? lanes : 0;
  if (vector) {
    tiling.registerRows = tile.rows;
    tiling.registerColumnVectors = tile.columns;
  }
  tiling.kvSplits = request.kvSplitsAvailable ? splits : 1;
  // 16 lanes of AVX-512: exponentials scale by 2^n with vscalefps.
  tiling.avx512 = vectorRuns && target.simd == "avx512" && lanes == 16;

  llvm::raw_string_ostream why(choice.reason);
  if (flagBlocks)
    why << "blocks from --q-block/--kv-block; ";
  why << "cost model: ";
  if (vector) {
    why << target.simd << " " << lanes << " lanes, " << tile.rows << "x" << tile.columns
        << " register tile";
    if (!request.vectorKernelAvailable)
      why << " (vector kernel unavailable: portable kernel)";
  } else {
    why << "portable kernel ("
        << (noVector.empty() ? std::string("--attention-kernel=portable") : noVector) << ")";
  }
  why << ", " << blocks.q << "x" << blocks.kv << " blocks: "
      << formatBytes(sdpaWorkingSetBytes(blocks.q, blocks.kv, shape.headDim, shape.valueDim))
      << " working set in " << formatBytes(l2) << " L2";
  if ((blocks.shrunkToWindow || blocks.alignedToWindow) && !flagBlocks)
    why << " ("
        << (blocks.shrunkToWindow && blocks.alignedToWindow ? "shrunk to and aligned for"
            : blocks.shrunkToWindow                         ? "shrunk to"
                                                            : "aligned for")
        << " the " << *shape.windowSpan << "-key window)";
  why << ", " << tasks << " tasks";
  if (target.cores > 0)
    why << " for " << target.cores << " cores";
  else
    why << " (cores unknown)";
  if (splits > 1)
    why << (request.kvSplitsAvailable ? ", kv range split " : ", would split the kv range ")
        << splits << " ways" << (request.kvSplitsAvailable ? "" : " (no split kernel yet)");
  return choice;
}

} // namespace attnc

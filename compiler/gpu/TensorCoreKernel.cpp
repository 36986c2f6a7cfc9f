//===- TensorCoreKernel.cpp - Matmuls with an fp16/bf16 weight on mma.sync ===//
//
// With `--precision fp16|bf16` every projection's weight is stored narrow
// (gpu-cast-weights), and its product runs on the tensor cores: a block of
// four warps computes a 64 x 64 output tile, each warp a 32 x 32 quarter
// as 2 x 4 `mma.sync.m16n8k16` tiles whose f32 accumulators stay in
// registers (8 fragments, 32 floats per lane) across the k loop. The block
// stages k in slices of 32: A's 64 x 32 slice and B's 32 x 64, both in the
// weight's type (an f32 activation rounded to it as it is staged: the
// tensor cores multiply fp16 or bf16, and sum in f32). Fragments come out
// of shared memory by ldmatrix.x4 (an A fragment, or the B fragments of
// two n tiles, per load; MmaFragments.h). The initializer and epilogue
// fold in as in the fp32 kernel.
//
// Two ways to stage a slice:
//
//   pipelined (both operands stored with a contiguous dim the slice runs
//   along, in whole 16-byte chunks): each thread loads its chunks of the
//   next slice as vectors (8 elements; 16 or 32 bytes) before the current
//   slice's products and stores them, rounded, into the other of two
//   shared buffers after them, one barrier per slice: the global loads'
//   latency hides behind the tensor cores. Each tile keeps the operand's
//   contiguous dim innermost, so a chunk is one 16-byte shared store: A as
//   [m][k]; B as [n][k] (an nn.Linear weight, read by plain ldmatrix) or
//   [k][n] (a MatMul weight, read by ldmatrix.trans).
//   element by element (any other layout, or sizes not in whole chunks):
//   each thread loads every 128th element of the slice with its indices
//   clamped into the operand, stores it, and the block waits on a barrier
//   before and after the products; B stored n-major.
//
// Shared rows are padded by 8 elements (16 bytes: rows of 80 or 144
// bytes), so the 8 rows one ldmatrix matrix reads start in 8 different
// bank groups.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/ContractionKernel.h"
#include "compiler/gpu/MmaFragments.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
namespace mma = attnc::gpu::mma;

namespace {

constexpr int64_t kWarpsM = 2, kWarpsN = 2;
/// mma tiles per warp: 2 x 4 of 16 x 8, a 32 x 32 quarter of the block's.
constexpr int64_t kTilesM = 2, kTilesN = 4;
constexpr int64_t kWarpM = kTilesM * mma::kM, kWarpN = kTilesN * mma::kN;
constexpr int64_t kBlockM = kWarpsM * kWarpM, kBlockN = kWarpsN * kWarpN;
constexpr int64_t kThreads = kWarpsM * kWarpsN * mma::kWarpSize;
constexpr int64_t kSliceK = 2 * mma::kK;
/// Shared rows hold their slice's elements and this many more.
constexpr int64_t kRowPadding = 8;
/// Elements per chunk on the pipelined path: 16 bytes of the tile's
/// 16-bit type.
constexpr int64_t kChunk = 8;
constexpr int64_t kChunkBytesAligned = 16;

/// How the pipelined path stages one operand: its tile is [outer][inner],
/// `inner` the dims along the operand's contiguous memory (k, or its m/n
/// dims), each thread loading whole chunks of kChunk elements of it.
struct ChunkedOperand {
  Value operand;
  AffineMap map;
  SmallVector<unsigned> outerDims, innerDims;
  int64_t outer = 0, inner = 0;
  /// The contiguous dim is k (the tile is [m or n][k]).
  bool kInner = false;
  int64_t chunksPerThread() const { return outer * inner / kChunk / kThreads; }
};

class TensorCoreKernelBuilder : attnc::gpu::ContractionKernelBuilder {
public:
  TensorCoreKernelBuilder(OpBuilder &b, Location loc, const attnc::gpu::Contraction &c,
                          Operation *initializer, std::optional<attnc::gpu::Epilogue> epilogue)
      : ContractionKernelBuilder(b, loc, c, initializer, epilogue) {}

  void build(Type narrow);

private:
  std::optional<ChunkedOperand> chunked(Value operand, AffineMap map, ArrayRef<unsigned> mnDims,
                                        int64_t mnExtent);

  /// One chunk this thread stages: where it goes in the tile, and (per
  /// slice) the vector loaded and whether it lies inside the operand.
  struct Chunk {
    Value outer, inner;
    Value loaded, inside;
  };
  SmallVector<Chunk> chunkPositions(const ChunkedOperand &op, Value thread);
  void loadChunks(const ChunkedOperand &op, SmallVectorImpl<Chunk> &chunks, Value outerStart,
                  Value innerStart, ArrayRef<Value> loops);
  void storeChunks(ArrayRef<Chunk> chunks, Value tile);

  /// The products of one k slice staged in `tileA` ([m][k]) and `tileB`
  /// ([n][k], or [k][n] when `bKMajor`), added to `sums`.
  void multiplySlice(Value tileA, Value tileB, bool bKMajor, SmallVectorImpl<Value> &sums);

  /// The k loop, staging element by element; returns the final sums.
  SmallVector<Value> elementwiseSlices(Value tileA, Value tileB, ArrayRef<Value> loops,
                                       ArrayRef<Value> start);
  /// The k loop, pipelined through two buffers; returns the final sums.
  SmallVector<Value> pipelinedSlices(const ChunkedOperand &a, const ChunkedOperand &b,
                                     Value tilesA, Value tilesB, ArrayRef<Value> loops,
                                     ArrayRef<Value> start);
  /// Stage `stage` (0 or 1) of a two-stage tile buffer, as a 2-D view.
  Value stageOf(Value tiles, Value stage);

  // Set by build for the helpers.
  Value thread, firstM, firstN, warpRow, warpColumn;
  std::optional<attnc::gpu::MmaFragments> fragments;
};

std::optional<ChunkedOperand> TensorCoreKernelBuilder::chunked(Value operand, AffineMap map,
                                                               ArrayRef<unsigned> mnDims,
                                                               int64_t mnExtent) {
  std::optional<unsigned> contiguous = contiguousDim(operand, map);
  if (!contiguous || mnDims.empty() || c.dims.k.empty())
    return std::nullopt;
  ChunkedOperand op{operand, map, {}, {}, 0, 0, false};
  if (*contiguous == c.dims.k.back()) {
    op.outerDims.assign(mnDims.begin(), mnDims.end());
    op.innerDims.assign(c.dims.k.begin(), c.dims.k.end());
    op.outer = mnExtent;
    op.inner = kSliceK;
    op.kInner = true;
  } else if (*contiguous == mnDims.back()) {
    op.outerDims.assign(c.dims.k.begin(), c.dims.k.end());
    op.innerDims.assign(mnDims.begin(), mnDims.end());
    op.outer = kSliceK;
    op.inner = mnExtent;
  } else {
    return std::nullopt;
  }
  // A chunk never straddles a row of the contiguous dim, and starts on a
  // 16-byte boundary: the operand's offset and its other strides are whole
  // 16-byte units (its base is a device allocation, 256-byte aligned).
  int64_t innerSize = size(op.innerDims.back());
  if (ShapedType::isDynamic(innerSize) || innerSize % kChunk != 0)
    return std::nullopt;
  auto type = cast<MemRefType>(operand.getType());
  int64_t perAligned = kChunkBytesAligned / (type.getElementTypeBitWidth() / 8);
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) || ShapedType::isDynamic(offset) ||
      offset % perAligned != 0)
    return std::nullopt;
  for (auto [d, stride] : llvm::enumerate(strides))
    if (type.getDimSize(d) != 1 && (ShapedType::isDynamic(stride) || stride % perAligned != 0) &&
        stride != 1)
      return std::nullopt;
  return op;
}

SmallVector<TensorCoreKernelBuilder::Chunk>
TensorCoreKernelBuilder::chunkPositions(const ChunkedOperand &op, Value thread) {
  // Neighbouring threads take neighbouring chunks of a row: a warp reads
  // whole 128-byte lines.
  SmallVector<Chunk> chunks;
  int64_t rowChunks = op.inner / kChunk;
  for (int64_t i = 0; i < op.chunksPerThread(); ++i) {
    Value linear = add(thread, index(i * kThreads));
    Value outer = b.createOrFold<arith::DivUIOp>(loc, linear, index(rowChunks));
    Value inner = mul(b.createOrFold<arith::RemUIOp>(loc, linear, index(rowChunks)),
                      index(kChunk));
    chunks.push_back({outer, inner, Value(), Value()});
  }
  return chunks;
}

void TensorCoreKernelBuilder::loadChunks(const ChunkedOperand &op, SmallVectorImpl<Chunk> &chunks,
                                         Value outerStart, Value innerStart,
                                         ArrayRef<Value> loops) {
  auto type = cast<MemRefType>(op.operand.getType());
  auto vectorType = VectorType::get({kChunk}, type.getElementType());
  unsigned innerMemDim = 0;
  for (auto [d, e] : llvm::enumerate(op.map.getResults()))
    if (auto dim = dyn_cast<AffineDimExpr>(e); dim && dim.getPosition() == op.innerDims.back())
      innerMemDim = d;
  for (Chunk &chunk : chunks) {
    Value outer = add(outerStart, chunk.outer), inner = add(innerStart, chunk.inner);
    chunk.inside = arith::AndIOp::create(b, loc, lessThan(outer, extent(op.outerDims)),
                                         lessThan(inner, extent(op.innerDims)));
    SmallVector<Value> at(loops);
    delinearize(at, op.outerDims, outer);
    delinearize(at, op.innerDims, inner);
    // Past the edges the indices are clamped into the operand (the chunk
    // of the contiguous dim to its last whole one): every load is valid,
    // and its value is replaced by zeros when stored.
    SmallVector<Value> indices = indicesFor(op.map, at);
    for (auto [d, position] : llvm::enumerate(indices)) {
      auto dim = dyn_cast<AffineDimExpr>(op.map.getResult(d));
      if (!dim || (!llvm::is_contained(op.outerDims, dim.getPosition()) &&
                   !llvm::is_contained(op.innerDims, dim.getPosition())))
        continue;
      Value last = sub(extent(dim.getPosition()), index(d == innerMemDim ? kChunk : 1));
      position = minIdx(position, last);
    }
    chunk.loaded = vector::LoadOp::create(b, loc, vectorType, op.operand, indices,
                                          /*nontemporal=*/false, llvm::MaybeAlign(kChunkBytesAligned));
  }
}

void TensorCoreKernelBuilder::storeChunks(ArrayRef<Chunk> chunks, Value tile) {
  Type element = cast<MemRefType>(tile.getType()).getElementType();
  auto vectorType = VectorType::get({kChunk}, element);
  Value zeros = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(
                                                      vectorType, b.getFloatAttr(element, 0.0)));
  for (const Chunk &chunk : chunks) {
    Value value = chunk.loaded;
    auto from = cast<VectorType>(value.getType()).getElementType();
    if (from.getIntOrFloatBitWidth() > element.getIntOrFloatBitWidth())
      value = arith::TruncFOp::create(b, loc, vectorType, value);
    else if (from != element)
      value = arith::ExtFOp::create(b, loc, vectorType, value);
    value = arith::SelectOp::create(b, loc, chunk.inside, value, zeros);
    vector::StoreOp::create(b, loc, value, tile, ValueRange{chunk.outer, chunk.inner},
                            /*nontemporal=*/false, llvm::MaybeAlign(kChunkBytesAligned));
  }
}

void TensorCoreKernelBuilder::multiplySlice(Value tileA, Value tileB, bool bKMajor,
                                            SmallVectorImpl<Value> &sums) {
  for (int64_t kk = 0; kk < kSliceK; kk += mma::kK) {
    SmallVector<Value> fragmentsA;
    for (int64_t i = 0; i < kTilesM; ++i)
      fragmentsA.push_back(fragments->loadA(tileA, add(warpRow, index(i * mma::kM)), index(kk)));
    SmallVector<Value> fragmentsB =
        bKMajor ? fragments->loadBKMajor(tileB, index(kk), warpColumn, kTilesN)
                : fragments->loadB(tileB, index(kk), warpColumn, kTilesN);
    for (int64_t i = 0; i < kTilesM; ++i)
      for (int64_t j = 0; j < kTilesN; ++j) {
        Value &sum = sums[i * kTilesN + j];
        sum = nvgpu::MmaSyncOp::create(b, loc, fragmentsA[i], fragmentsB[j], sum,
                                       ArrayRef<int64_t>{mma::kM, mma::kN, mma::kK});
      }
  }
}

SmallVector<Value> TensorCoreKernelBuilder::elementwiseSlices(Value tileA, Value tileB,
                                                              ArrayRef<Value> loops,
                                                              ArrayRef<Value> start) {
  ArrayRef<unsigned> m = c.dims.m, n = c.dims.n, k = c.dims.k;
  auto slices = scf::ForOp::create(b, loc, index(0), extent(k), index(kSliceK), start);
  OpBuilder::InsertionGuard slice(b);
  b.setInsertionPointToStart(slices.getBody());
  Value firstK = slices.getInductionVar();
  SmallVector<Value> loopsCopy(loops);
  stage(c.a, c.mapA, tileA, kBlockM, kSliceK, m, firstM, k, firstK, loopsCopy, thread, kThreads);
  stage(c.b, c.mapB, tileB, kSliceK, kBlockN, k, firstK, n, firstN, loopsCopy, thread, kThreads,
        /*transposed=*/true);
  mlir::gpu::BarrierOp::create(b, loc);
  SmallVector<Value> sums(slices.getRegionIterArgs());
  multiplySlice(tileA, tileB, /*bKMajor=*/false, sums);
  mlir::gpu::BarrierOp::create(b, loc);
  scf::YieldOp::create(b, loc, sums);
  return SmallVector<Value>(slices.getResults());
}

Value TensorCoreKernelBuilder::stageOf(Value tiles, Value stage) {
  auto type = cast<MemRefType>(tiles.getType());
  int64_t rows = type.getDimSize(1), cols = type.getDimSize(2);
  auto view = memref::SubViewOp::inferRankReducedResultType(
      {rows, cols}, type, ArrayRef<int64_t>{ShapedType::kDynamic, 0, 0},
      ArrayRef<int64_t>{1, rows, cols}, ArrayRef<int64_t>{1, 1, 1});
  return memref::SubViewOp::create(
      b, loc, cast<MemRefType>(view), tiles,
      ArrayRef<OpFoldResult>{stage, b.getIndexAttr(0), b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(rows), b.getIndexAttr(cols)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(1)});
}

SmallVector<Value> TensorCoreKernelBuilder::pipelinedSlices(const ChunkedOperand &a,
                                                            const ChunkedOperand &bOp,
                                                            Value tilesA, Value tilesB,
                                                            ArrayRef<Value> loops,
                                                            ArrayRef<Value> start) {
  // Where a chunk starts: (outer, inner) from the block's first m/n and
  // the slice's first k.
  auto origin = [&](const ChunkedOperand &op, Value firstMN, Value firstK) {
    return op.kInner ? std::pair{firstMN, firstK} : std::pair{firstK, firstMN};
  };
  SmallVector<Chunk> chunksA = chunkPositions(a, thread), chunksB = chunkPositions(bOp, thread);
  auto load = [&](Value firstK) {
    auto [outerA, innerA] = origin(a, firstM, firstK);
    loadChunks(a, chunksA, outerA, innerA, loops);
    auto [outerB, innerB] = origin(bOp, firstN, firstK);
    loadChunks(bOp, chunksB, outerB, innerB, loops);
  };
  auto store = [&](Value stage) {
    storeChunks(chunksA, stageOf(tilesA, stage));
    storeChunks(chunksB, stageOf(tilesB, stage));
  };
  load(index(0));
  store(index(0));
  mlir::gpu::BarrierOp::create(b, loc);
  auto slices = scf::ForOp::create(b, loc, index(0), extent(c.dims.k), index(kSliceK), start);
  OpBuilder::InsertionGuard slice(b);
  b.setInsertionPointToStart(slices.getBody());
  Value firstK = slices.getInductionVar();
  Value stage = b.createOrFold<arith::RemUIOp>(
      loc, b.createOrFold<arith::DivUIOp>(loc, firstK, index(kSliceK)), index(2));
  Value other = sub(index(1), stage);
  // The next slice's loads go out before this slice's products (past the
  // last slice they read clamped, in-bounds chunks that nothing uses), and
  // land in the other buffer after them: the barrier that ends this slice
  // both publishes them and frees this buffer for the slice after next.
  load(add(firstK, index(kSliceK)));
  SmallVector<Value> sums(slices.getRegionIterArgs());
  multiplySlice(stageOf(tilesA, stage), stageOf(tilesB, stage), !bOp.kInner, sums);
  store(other);
  mlir::gpu::BarrierOp::create(b, loc);
  scf::YieldOp::create(b, loc, sums);
  return SmallVector<Value>(slices.getResults());
}

void TensorCoreKernelBuilder::build(Type narrow) {
  ArrayRef<unsigned> m = c.dims.m, n = c.dims.n;
  OpBuilder::InsertionGuard guard(b);
  std::optional<ChunkedOperand> chunkedA = chunked(c.a, c.mapA, m, kBlockM);
  std::optional<ChunkedOperand> chunkedB = chunked(c.b, c.mapB, n, kBlockN);
  // A's tile is [m][k] on both paths (ldmatrix reads A fragments that way).
  bool pipelined = chunkedA && chunkedA->kInner && chunkedB;
  auto workgroup = mlir::gpu::AddressSpace::Workgroup;
  SmallVector<Type> shared;
  if (pipelined) {
    shared = {buffer({2, kBlockM, kSliceK + kRowPadding}, workgroup, narrow),
              buffer({2, chunkedB->outer, chunkedB->inner + kRowPadding}, workgroup, narrow)};
  } else {
    shared = {buffer({kBlockM, kSliceK + kRowPadding}, workgroup, narrow),
              buffer({kBlockN, kSliceK + kRowPadding}, workgroup, narrow)};
  }
  auto launch = launchOverTiles(kBlockM, kBlockN, kThreads, shared);
  Value tileA = launch.getWorkgroupAttributions()[0];
  Value tileB = launch.getWorkgroupAttributions()[1];
  thread = launch.getThreadIds().x;
  Value warp = arith::DivUIOp::create(b, loc, thread, index(mma::kWarpSize));
  fragments.emplace(b, loc, arith::RemUIOp::create(b, loc, thread, index(mma::kWarpSize)));
  Value group = fragments->group, pairColumn = fragments->pairColumn;

  TileOrigin origin = tileOrigin(launch, kBlockM, kBlockN);
  SmallVector<Value> &loops = origin.loops;
  firstM = origin.firstM;
  firstN = origin.firstN;
  // This warp's quarter of the block's tile, in the shared slices.
  warpRow = mul(arith::DivUIOp::create(b, loc, warp, index(kWarpsN)), index(kWarpM));
  warpColumn = mul(arith::RemUIOp::create(b, loc, warp, index(kWarpsN)), index(kWarpN));

  // Output element [reg][e] of mma tile (i, j)'s accumulator fragment.
  auto outputRow = [&](int64_t i, int64_t reg, int64_t e) {
    return add(add(firstM, warpRow),
               add(group, index(i * mma::kM + mma::cOffset(reg, e).first)));
  };
  auto outputColumn = [&](int64_t j, int64_t reg, int64_t e) {
    return add(add(firstN, warpColumn),
               add(pairColumn, index(j * mma::kN + mma::cOffset(reg, e).second)));
  };
  SmallVector<Value> accumulators;
  for (int64_t i = 0; i < kTilesM; ++i)
    for (int64_t j = 0; j < kTilesN; ++j) {
      SmallVector<Value> start;
      for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
        for (int64_t e = 0; e < mma::kPerRegister; ++e)
          start.push_back(startValue(loops, outputRow(i, reg, e), outputColumn(j, reg, e)));
      accumulators.push_back(fragments->vectorOf(start, {mma::kCRegisters, mma::kPerRegister}));
    }

  SmallVector<Value> sums =
      pipelined ? pipelinedSlices(*chunkedA, *chunkedB, tileA, tileB, loops, accumulators)
                : elementwiseSlices(tileA, tileB, loops, accumulators);

  for (int64_t i = 0; i < kTilesM; ++i)
    for (int64_t j = 0; j < kTilesN; ++j)
      for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
        for (int64_t e = 0; e < mma::kPerRegister; ++e) {
          Value sum = fragments->element(sums[i * kTilesN + j], reg, e);
          storeResult(loops, outputRow(i, reg, e), outputColumn(j, reg, e), sum);
        }
  mlir::gpu::TerminatorOp::create(b, loc);
}

} // namespace

namespace attnc::gpu {

void buildTensorCoreContraction(OpBuilder &b, Location loc, const Contraction &c,
                                Operation *initializer, std::optional<Epilogue> epilogue) {
  TensorCoreKernelBuilder(b, loc, c, initializer, epilogue).build(narrowOperandType(c));
}

} // namespace attnc::gpu

//===- TensorCoreKernel.cpp - Matmuls with an fp16/bf16 weight on mma.sync ===//
//
// With `--precision fp16|bf16` every projection's weight is stored narrow
// (gpu-cast-weights), and its product runs on the tensor cores: a block of
// four warps computes a 64 x 64 output tile, each warp a 32 x 32 quarter
// as 2 x 4 `mma.sync.m16n8k16` tiles whose f32 accumulators stay in
// registers (8 fragments, 32 floats per lane) across the k loop. The block
// stages k in slices of 32: A's 64 x 32 slice and B's 32 x 64, both in the
// weight's type (an f32 activation rounded to it as it is staged: the
// tensor cores multiply fp16 or bf16, and sum in f32), B stored n-major
// so that a lane's two k-neighbours of one column are adjacent, as in A.
// Fragments come out of shared memory by ldmatrix.x4 (an A fragment, or
// the B fragments of two n tiles, per load; MmaFragments.h). Rows are
// padded from 32 to 40 elements (80 bytes): the 8 rows one ldmatrix
// matrix reads then start in 8 different bank groups. Asynchronous
// copies, double buffering and vector global loads are the next steps.
// The initializer and epilogue fold in as in the fp32 kernel.
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
/// Shared rows hold kSliceK elements and this many more.
constexpr int64_t kRowPadding = 8;

class TensorCoreKernelBuilder : attnc::gpu::ContractionKernelBuilder {
public:
  TensorCoreKernelBuilder(OpBuilder &b, Location loc, const attnc::gpu::Contraction &c,
                          Operation *initializer, std::optional<attnc::gpu::Epilogue> epilogue)
      : ContractionKernelBuilder(b, loc, c, initializer, epilogue) {}

  void build(Type narrow);
};

void TensorCoreKernelBuilder::build(Type narrow) {
  ArrayRef<unsigned> m = c.dims.m, n = c.dims.n, k = c.dims.k;
  OpBuilder::InsertionGuard guard(b);
  auto launch = launchOverTiles(
      kBlockM, kBlockN, kThreads,
      TypeRange{buffer({kBlockM, kSliceK + kRowPadding}, mlir::gpu::AddressSpace::Workgroup,
                       narrow),
                buffer({kBlockN, kSliceK + kRowPadding}, mlir::gpu::AddressSpace::Workgroup,
                       narrow)});
  Value tileA = launch.getWorkgroupAttributions()[0];
  Value tileB = launch.getWorkgroupAttributions()[1];
  Value thread = launch.getThreadIds().x;
  Value warp = arith::DivUIOp::create(b, loc, thread, index(mma::kWarpSize));
  attnc::gpu::MmaFragments fragments(
      b, loc, arith::RemUIOp::create(b, loc, thread, index(mma::kWarpSize)));
  Value group = fragments.group, pairColumn = fragments.pairColumn;

  TileOrigin origin = tileOrigin(launch, kBlockM, kBlockN);
  SmallVector<Value> &loops = origin.loops;
  Value firstM = origin.firstM, firstN = origin.firstN;
  // This warp's quarter of the block's tile, in the shared slices.
  Value warpRow = mul(arith::DivUIOp::create(b, loc, warp, index(kWarpsN)), index(kWarpM));
  Value warpColumn = mul(arith::RemUIOp::create(b, loc, warp, index(kWarpsN)), index(kWarpN));

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
      accumulators.push_back(fragments.vectorOf(start, {mma::kCRegisters, mma::kPerRegister}));
    }

  auto slices =
      scf::ForOp::create(b, loc, index(0), index(size(k)), index(kSliceK), accumulators);
  {
    OpBuilder::InsertionGuard slice(b);
    b.setInsertionPointToStart(slices.getBody());
    Value firstK = slices.getInductionVar();
    stage(c.a, c.mapA, tileA, kBlockM, kSliceK, m, firstM, k, firstK, loops, thread, kThreads);
    stage(c.b, c.mapB, tileB, kSliceK, kBlockN, k, firstK, n, firstN, loops, thread, kThreads,
          /*transposed=*/true);
    mlir::gpu::BarrierOp::create(b, loc);
    SmallVector<Value> sums(slices.getRegionIterArgs());
    for (int64_t kk = 0; kk < kSliceK; kk += mma::kK) {
      SmallVector<Value> fragmentsA, fragmentsB;
      for (int64_t i = 0; i < kTilesM; ++i)
        fragmentsA.push_back(fragments.loadA(tileA, add(warpRow, index(i * mma::kM)), index(kk)));
      fragmentsB = fragments.loadB(tileB, index(kk), warpColumn, kTilesN);
      for (int64_t i = 0; i < kTilesM; ++i)
        for (int64_t j = 0; j < kTilesN; ++j) {
          Value &sum = sums[i * kTilesN + j];
          sum = nvgpu::MmaSyncOp::create(b, loc, fragmentsA[i], fragmentsB[j], sum,
                                         ArrayRef<int64_t>{mma::kM, mma::kN, mma::kK});
        }
    }
    mlir::gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, sums);
  }

  for (int64_t i = 0; i < kTilesM; ++i)
    for (int64_t j = 0; j < kTilesN; ++j)
      for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
        for (int64_t e = 0; e < mma::kPerRegister; ++e) {
          Value sum = fragments.element(slices.getResult(i * kTilesN + j), reg, e);
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

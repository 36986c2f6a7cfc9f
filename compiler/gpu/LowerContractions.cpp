//===- LowerContractions.cpp - Matmuls as tiled GPU kernels ---------------===//
//
// Every projection, batched product and attention product left unfused
// reaches the CUDA backend as a linalg contraction on buffers. The generic
// kernels would give each output element its own thread, reading a whole
// row of A and column of B from global memory: K loads per multiply-add.
// This kernel is the classic shared-memory tiling instead: a block computes
// a TM x TN tile of the output, stages K in slices of TK (A's TM x TK and
// B's TK x TN, loaded once by the whole block, coalesced along each
// operand's contiguous dim), and each thread accumulates a 4 x 4 micro-tile
// in registers (16 loop-carried values), reading 4 + 4 values from shared
// memory per 16 multiply-adds.
// Batch dims go to the grid's z. Operands are read through the op's own
// indexing maps, so transposed weights and broadcast batch dims need no
// copies. The op that fills the output just before (a projection's bias
// broadcast, a zero fill) is folded in: the accumulators start at its
// values, computed in the kernel, so that nest is no kernel of its own and
// the output is written once. So is the elementwise op just after that
// reads the sums (a residual add, GELU), when nothing reads them later:
// the kernel stores its values instead of the sums. Scalar fp32 on CUDA cores: tensor cores are
// a later step.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/ContractionKernel.h"
#include "compiler/gpu/MultiplyAdd.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace attnc::gpu {
#define GEN_PASS_DEF_GPULOWERCONTRACTIONSPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;
using attnc::gpu::Contraction;
using attnc::gpu::Epilogue;

namespace {

/// Outputs per thread along m and n: a 4 x 4 tile of accumulators.
constexpr int64_t kMicro = 4;

std::optional<Contraction> matchContraction(linalg::GenericOp generic) {
  auto op = cast<linalg::LinalgOp>(generic.getOperation());
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op) || !attnc::gpu::isMultiplyAdd(*op.getBlock()))
    return std::nullopt;
  // f32 operands, except a weight gpu-cast-weights stored in fp16 or bf16
  // (the body extends it; the staging load does here).
  for (OpOperand &operand : op->getOpOperands()) {
    Type element = cast<MemRefType>(operand.get().getType()).getElementType();
    bool narrowInput = (element.isF16() || element.isBF16()) && op.isDpsInput(&operand);
    if (!element.isF32() && !narrowInput)
      return std::nullopt;
  }
  FailureOr<linalg::ContractionDimensions> dims = linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.size() != 1)
    return std::nullopt;
  // Run-time dims (kDynamic here) are read when the kernel is built.
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  Contraction c{op,
                *dims,
                sizes,
                op.getMatchingIndexingMap(op.getDpsInputOperand(0)),
                op.getMatchingIndexingMap(op.getDpsInputOperand(1)),
                op.getMatchingIndexingMap(op.getDpsInitOperand(0)),
                op.getDpsInputOperand(0)->get(),
                op.getDpsInputOperand(1)->get(),
                op.getDpsInitOperand(0)->get()};
  // Each operand index must be a loop dim or a constant (a unit broadcast).
  for (AffineMap map : {c.mapA, c.mapB, c.mapC})
    for (AffineExpr e : map.getResults())
      if (!isa<AffineDimExpr, AffineConstantExpr>(e))
        return std::nullopt;
  return c;
}

/// The fp32 kernel: a TM x TN tile per block, a 4 x 4 micro-tile of
/// accumulators per thread.
class ScalarKernelBuilder : attnc::gpu::ContractionKernelBuilder {
public:
  ScalarKernelBuilder(OpBuilder &b, Location loc, const Contraction &c, Operation *initializer,
                      std::optional<Epilogue> epilogue, int64_t tileM, int64_t tileN,
                      int64_t tileK)
      : ContractionKernelBuilder(b, loc, c, initializer, epilogue), tileM(tileM), tileN(tileN),
        tileK(tileK) {}

  /// The kernel's launch at the builder's insertion point, its body written.
  void build();

private:
  int64_t tileM, tileN, tileK;
};

void ScalarKernelBuilder::build() {
  ArrayRef<unsigned> m = c.dims.m, n = c.dims.n, k = c.dims.k;
  int64_t threadsM = tileM / kMicro, threadsN = tileN / kMicro;
  int64_t threads = threadsM * threadsN;
  OpBuilder::InsertionGuard guard(b);
  auto launch = launchOverTiles(
      tileM, tileN, threads,
      TypeRange{buffer({tileM, tileK}, mlir::gpu::AddressSpace::Workgroup),
                buffer({tileK, tileN}, mlir::gpu::AddressSpace::Workgroup)});
  Value tileA = launch.getWorkgroupAttributions()[0];
  Value tileB = launch.getWorkgroupAttributions()[1];
  Value thread = launch.getThreadIds().x;

  // Loop positions: the batch dims from the grid's z, m and n of this
  // block's tile, k per slice.
  TileOrigin origin = tileOrigin(launch, tileM, tileN);
  SmallVector<Value> &loops = origin.loops;
  Value firstM = origin.firstM, firstN = origin.firstN;
  Value threadM = mul(arith::DivUIOp::create(b, loc, thread, index(threadsN)), index(kMicro));
  Value threadN = mul(arith::RemUIOp::create(b, loc, thread, index(threadsN)), index(kMicro));

  // This thread's outputs: rows firstM + threadM + i, columns firstN +
  // threadN + j (linear over the m and the n dims).
  auto rowOf = [&](int64_t i) { return add(add(firstM, threadM), index(i)); };
  auto columnOf = [&](int64_t j) { return add(add(firstN, threadN), index(j)); };
  // The 16 accumulators are loop-carried values (registers, not memory).
  SmallVector<Value> initial;
  for (int64_t i = 0; i < kMicro; ++i)
    for (int64_t j = 0; j < kMicro; ++j)
      initial.push_back(startValue(loops, rowOf(i), columnOf(j)));

  auto slices = scf::ForOp::create(b, loc, index(0), extent(k), index(tileK), initial);
  {
    OpBuilder::InsertionGuard slice(b);
    b.setInsertionPointToStart(slices.getBody());
    Value firstK = slices.getInductionVar();
    stage(c.a, c.mapA, tileA, tileM, tileK, m, firstM, k, firstK, loops, thread, threads);
    stage(c.b, c.mapB, tileB, tileK, tileN, k, firstK, n, firstN, loops, thread, threads);
    mlir::gpu::BarrierOp::create(b, loc);
    auto steps = scf::ForOp::create(b, loc, index(0), index(tileK), index(1),
                                    slices.getRegionIterArgs());
    {
      OpBuilder::InsertionGuard step(b);
      b.setInsertionPointToStart(steps.getBody());
      Value kk = steps.getInductionVar();
      SmallVector<Value> rowsA, colsB, sums;
      for (int64_t i = 0; i < kMicro; ++i)
        rowsA.push_back(memref::LoadOp::create(b, loc, tileA,
                                               ValueRange{add(threadM, index(i)), kk}));
      for (int64_t j = 0; j < kMicro; ++j)
        colsB.push_back(memref::LoadOp::create(b, loc, tileB,
                                               ValueRange{kk, add(threadN, index(j))}));
      for (int64_t i = 0; i < kMicro; ++i)
        for (int64_t j = 0; j < kMicro; ++j)
          sums.push_back(math::FmaOp::create(b, loc, rowsA[i], colsB[j],
                                             steps.getRegionIterArgs()[i * kMicro + j]));
      scf::YieldOp::create(b, loc, sums);
    }
    // Unrolled by 4: fewer loop branches between the shared-memory reads.
    (void)loopUnrollByFactor(steps, 4);
    mlir::gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, steps.getResults());
  }

  for (int64_t i = 0; i < kMicro; ++i)
    for (int64_t j = 0; j < kMicro; ++j)
      storeResult(loops, rowOf(i), columnOf(j), slices.getResult(i * kMicro + j));
  mlir::gpu::TerminatorOp::create(b, loc);
}

struct GpuLowerContractionsPass
    : public attnc::gpu::impl::GpuLowerContractionsPassBase<GpuLowerContractionsPass> {
  using GpuLowerContractionsPassBase::GpuLowerContractionsPassBase;

  void runOnOperation() override {
    if (tileM % kMicro || tileN % kMicro || tileM <= 0 || tileN <= 0 || tileK <= 0 ||
        (tileM / kMicro) * (tileN / kMicro) > 1024) {
      getOperation().emitError("gpu-lower-contractions: tile-m and tile-n must be positive "
                               "multiples of 4 with (tile-m / 4) x (tile-n / 4) <= 1024 threads");
      return signalPassFailure();
    }
    SmallVector<Contraction> found;
    getOperation().walk([&](linalg::GenericOp generic) {
      if (generic->getParentOfType<mlir::gpu::LaunchOp>())
        return;
      if (std::optional<Contraction> c = matchContraction(generic))
        found.push_back(*c);
    });
    for (Contraction &c : found) {
      Operation *initializer = attnc::gpu::matchInitializer(c);
      std::optional<Epilogue> epilogue = attnc::gpu::matchEpilogue(c);
      // With an epilogue the kernel takes its place (its output may be
      // allocated after the product; only ops touching no buffer lie
      // between the two).
      OpBuilder b(epilogue ? epilogue->op.getOperation() : c.op.getOperation());
      if (tensorCores && attnc::gpu::narrowOperandType(c))
        attnc::gpu::buildTensorCoreContraction(b, c.op.getLoc(), c, initializer, epilogue);
      else
        ScalarKernelBuilder(b, c.op.getLoc(), c, initializer, epilogue, tileM, tileN, tileK)
            .build();
      c.op->erase();
      if (initializer)
        initializer->erase();
      if (epilogue)
        epilogue->op->erase();
    }
  }
};

} // namespace

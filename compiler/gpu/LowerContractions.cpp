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

#include "compiler/gpu/KernelBuilder.h"
#include "compiler/gpu/ContractionFolds.h"
#include "compiler/gpu/MultiplyAdd.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
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
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  if (llvm::any_of(sizes, ShapedType::isDynamic))
    return std::nullopt;
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

class ContractionKernelBuilder : attnc::gpu::KernelBuilder {
public:
  ContractionKernelBuilder(OpBuilder &b, Location loc, const Contraction &c,
                           Operation *initializer,
                           std::optional<Epilogue> epilogue,
                           int64_t tileM, int64_t tileN, int64_t tileK)
      : KernelBuilder(b, loc), c(c), initializer(initializer), epilogue(epilogue), tileM(tileM),
        tileN(tileN), tileK(tileK) {}

  /// The kernel's launch at the builder's insertion point, its body written.
  void build();

private:
  int64_t size(unsigned dim) const { return c.sizes[dim]; }
  int64_t size(ArrayRef<unsigned> dims) const {
    int64_t total = 1;
    for (unsigned d : dims)
      total *= c.sizes[d];
    return total;
  }

  /// Sets `loops` at `dims` from their linear index `linear` (the last dim
  /// fastest).
  void delinearize(SmallVectorImpl<Value> &loops, ArrayRef<unsigned> dims, Value linear) {
    for (unsigned d : llvm::reverse(dims)) {
      if (d == dims.front()) {
        loops[d] = linear;
        break;
      }
      loops[d] = b.createOrFold<arith::RemUIOp>(loc, linear, index(size(d)));
      linear = b.createOrFold<arith::DivUIOp>(loc, linear, index(size(d)));
    }
  }

  /// The indices into an operand of `map` with loop dim d at `loops[d]`.
  SmallVector<Value> indicesFor(AffineMap map, ArrayRef<Value> loops) {
    SmallVector<Value> indices;
    for (AffineExpr e : map.getResults()) {
      if (auto dim = dyn_cast<AffineDimExpr>(e))
        indices.push_back(loops[dim.getPosition()]);
      else
        indices.push_back(index(cast<AffineConstantExpr>(e).getValue()));
    }
    return indices;
  }

  /// operand[...] at the loop position `loops`, or 0 when `inside` is false.
  Value loadOrZero(Value operand, AffineMap map, ArrayRef<Value> loops, Value inside) {
    auto load = scf::IfOp::create(b, loc, b.getF32Type(), inside, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(load.thenBlock());
    Value loaded = memref::LoadOp::create(b, loc, operand, indicesFor(map, loops));
    // A weight stored in fp16 or bf16 is staged as f32.
    if (!loaded.getType().isF32())
      loaded = arith::ExtFOp::create(b, loc, b.getF32Type(), loaded);
    scf::YieldOp::create(b, loc, loaded);
    b.setInsertionPointToStart(load.elseBlock());
    scf::YieldOp::create(b, loc, f32(0.0f));
    return load.getResult(0);
  }

  /// `generic`'s value at its loop position `at`: its inputs loaded there
  /// (`given` instead for the input `givenFor`, if any), its body cloned at
  /// the builder's insertion point.
  Value applyBody(linalg::GenericOp generic, ArrayRef<Value> at, OpOperand *givenFor = nullptr,
                  Value given = Value()) {
    IRMapping mapping;
    for (OpOperand *input : generic.getDpsInputOperands()) {
      Value value = input == givenFor
                        ? given
                        : memref::LoadOp::create(
                              b, loc, input->get(),
                              indicesFor(generic.getMatchingIndexingMap(input), at))
                              .getResult();
      mapping.map(generic.getMatchingBlockArgument(input), value);
    }
    for (Operation &inner : generic.getBlock()->without_terminator()) {
      if (auto position = dyn_cast<linalg::IndexOp>(inner)) {
        mapping.map(position.getResult(), at[position.getDim()]);
        continue;
      }
      b.clone(inner, mapping);
    }
    auto yield = cast<linalg::YieldOp>(generic.getBlock()->getTerminator());
    return mapping.lookupOrDefault(yield.getOperand(0));
  }

  /// The initializer's value at output element `at` (the output's
  /// indices), or 0 when `inside` is false.
  Value initialValue(ArrayRef<Value> at, Value inside) {
    if (auto fill = dyn_cast<linalg::FillOp>(initializer))
      return fill.getInputs()[0];
    auto value = scf::IfOp::create(b, loc, b.getF32Type(), inside, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(value.thenBlock());
    scf::YieldOp::create(b, loc, applyBody(cast<linalg::GenericOp>(initializer), at));
    b.setInsertionPointToStart(value.elseBlock());
    scf::YieldOp::create(b, loc, f32(0.0f));
    return value.getResult(0);
  }

  /// Stages the block's slice of `operand` (rows x cols of the tile, rows
  /// the linear index over loop dims `rowDims` from `rowStart`, columns over
  /// `colDims` from `colStart`) into `tile`; each thread loads every
  /// threads-th element.
  void stage(Value operand, AffineMap map, Value tile, int64_t rows, int64_t cols,
             ArrayRef<unsigned> rowDims, Value rowStart, ArrayRef<unsigned> colDims,
             Value colStart, SmallVector<Value> loops) {
    forEach(thread, index(rows * cols), index(threads), [&](Value e) {
      Value r = arith::DivUIOp::create(b, loc, e, index(cols));
      Value col = arith::RemUIOp::create(b, loc, e, index(cols));
      Value row = add(rowStart, r), column = add(colStart, col);
      Value inside = arith::AndIOp::create(b, loc, lessThan(row, size(rowDims)),
                                           lessThan(column, size(colDims)));
      // Past the edges the indices wrap inside the operand; the load is
      // skipped anyway.
      delinearize(loops, rowDims, row);
      delinearize(loops, colDims, column);
      memref::StoreOp::create(b, loc, loadOrZero(operand, map, loops, inside), tile,
                              ValueRange{r, col});
    });
  }

  const Contraction &c;
  Operation *initializer;
  std::optional<Epilogue> epilogue;
  int64_t tileM, tileN, tileK, threads = 0;
  Value thread;
};

void ContractionKernelBuilder::build() {
  ArrayRef<unsigned> m = c.dims.m, n = c.dims.n, k = c.dims.k;
  int64_t threadsM = tileM / kMicro, threadsN = tileN / kMicro;
  threads = threadsM * threadsN;
  int64_t batches = 1;
  for (unsigned d : c.dims.batch)
    batches *= size(d);
  Value one = index(1);
  auto launch = mlir::gpu::LaunchOp::create(
      b, loc, index(llvm::divideCeil(size(n), tileN)), index(llvm::divideCeil(size(m), tileM)),
      index(batches), index(threads), one, one, nullptr, nullptr, ValueRange{},
      TypeRange{buffer({tileM, tileK}, mlir::gpu::AddressSpace::Workgroup),
                buffer({tileK, tileN}, mlir::gpu::AddressSpace::Workgroup)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value tileA = launch.getWorkgroupAttributions()[0];
  Value tileB = launch.getWorkgroupAttributions()[1];
  thread = launch.getThreadIds().x;

  // Loop positions: the batch dims from the grid's z, m and n of this
  // block's tile, k per slice.
  SmallVector<Value> loops(c.sizes.size(), index(0));
  if (!c.dims.batch.empty())
    delinearize(loops, c.dims.batch, launch.getBlockIds().z);
  Value firstM = mul(launch.getBlockIds().y, index(tileM));
  Value firstN = mul(launch.getBlockIds().x, index(tileN));
  Value threadM = mul(arith::DivUIOp::create(b, loc, thread, index(threadsN)), index(kMicro));
  Value threadN = mul(arith::RemUIOp::create(b, loc, thread, index(threadsN)), index(kMicro));

  // This thread's outputs: rows firstM + threadM + i, columns firstN +
  // threadN + j (linear over the m and the n dims).
  auto rowOf = [&](int64_t i) { return add(add(firstM, threadM), index(i)); };
  auto columnOf = [&](int64_t j) { return add(add(firstN, threadN), index(j)); };
  auto outputAt = [&](int64_t i, int64_t j) {
    SmallVector<Value> at = loops;
    delinearize(at, m, rowOf(i));
    delinearize(at, n, columnOf(j));
    return at;
  };
  auto insideOutput = [&](int64_t i, int64_t j) {
    return arith::AndIOp::create(b, loc, lessThan(rowOf(i), size(m)),
                                 lessThan(columnOf(j), size(n)));
  };
  Value output = c.out;
  // The 16 accumulators are loop-carried values (registers, not memory),
  // starting at the output's values (the contraction adds to them): those
  // its initializer would have written, or what the output holds.
  SmallVector<Value> initial;
  for (int64_t i = 0; i < kMicro; ++i)
    for (int64_t j = 0; j < kMicro; ++j)
      initial.push_back(
          initializer
              ? initialValue(indicesFor(c.mapC, outputAt(i, j)), insideOutput(i, j))
              : loadOrZero(output, c.mapC, outputAt(i, j), insideOutput(i, j)));

  Value a = c.a, bOperand = c.b;
  auto slices = scf::ForOp::create(b, loc, index(0), index(size(k)), index(tileK), initial);
  {
    OpBuilder::InsertionGuard slice(b);
    b.setInsertionPointToStart(slices.getBody());
    Value firstK = slices.getInductionVar();
    stage(a, c.mapA, tileA, tileM, tileK, m, firstM, k, firstK, loops);
    stage(bOperand, c.mapB, tileB, tileK, tileN, k, firstK, n, firstN, loops);
    mlir::gpu::BarrierOp::create(b, loc);
    auto steps = scf::ForOp::create(b, loc, index(0), index(tileK), one,
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
    for (int64_t j = 0; j < kMicro; ++j) {
      SmallVector<Value> at = outputAt(i, j);
      auto store = scf::IfOp::create(b, loc, insideOutput(i, j), /*withElseRegion=*/false);
      OpBuilder::InsertionGuard inner(b);
      b.setInsertionPoint(store.thenBlock()->getTerminator());
      Value sums = slices.getResult(i * kMicro + j);
      SmallVector<Value> indices = indicesFor(c.mapC, at);
      if (!epilogue) {
        memref::StoreOp::create(b, loc, sums, output, indices);
        continue;
      }
      // The epilogue's loops are the output's indices (it reads the sums
      // at the same elements); its value goes where it wrote.
      memref::StoreOp::create(b, loc, applyBody(epilogue->op, indices, epilogue->sums, sums),
                              epilogue->op.getDpsInitOperand(0)->get(), indices);
    }
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
      ContractionKernelBuilder(b, c.op.getLoc(), c, initializer, epilogue, tileM, tileN, tileK)
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

//===- PackedMatmulKernel.cpp - Register-tiled matmul on packed weights -===//
//
// out[M, N] = a[M, K] · w[K, N] + bias, as the attention kernel computes its
// products: register tiles of R rows x C vectors (W lanes each) of FMAs.
//
//   w packed into panels: packed[p, k, j] = w[k, p·C·W + j] (zero past N),
//     so the C·W columns of one panel are one contiguous stream over k. A
//     constant weight is packed here, at compile time, into a new blob.
//   for each (row block of `taskRows` rows, group of panels) in parallel:
//     for each k-block of `kBlock`:
//       for each panel p of the group (its k-block slice, prefetched
//       into L2 while panel p-1 was in use, read in order by each strip):
//         for each strip of R rows:
//           acc[R][C] = bias[p·C·W ...] (or 0), plus the residual's rows,
//                       in the first k-block, else the partial sums in
//                       the output rows
//           for k in the block: C vector loads of packed[p, k], R
//                               broadcasts of a[i, k], R·C FMAs, and
//                               a prefetch of the strip's share of
//                               panel p+1's k-block slice
//           write acc into the output rows (through the activation, if
//           any, in the last k-block)
//
// The last R-row strip may be shorter (M mod R rows, its own register
// tile), and the last panel may end inside a vector (N mod W): its
// columns past N compute zeros that masked stores drop, so the output is
// exactly [M, N], with no copy. A task's block of `a` rows (one k-block
// of it) stays in L2 while every panel of its group passes over it, and
// the weight streams from memory once per row block.
//
//===----------------------------------------------------------------------===//

#include "passes/tiling/PackedMatmulKernel.h"
#include "passes/lowering/LinalgBuilders.h"
#include "passes/tiling/ConvColumns.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "passes/tiling/VectorEmitter.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tiling;

namespace {

/// One in 16-bit fixed point: strips split a slice in shares of it (a
/// multiply and a shift per step where a share as a fraction would cost a
/// division by the run-time strip count).
constexpr int64_t kFixedOne = 1 << 16;

/// The panel geometry of a packed weight.
struct Panels {
  int64_t k, n, width, count;
  RankedTensorType type(MLIRContext *ctx) const {
    return RankedTensorType::get({count, k, width}, Float32Type::get(ctx));
  }
};

/// packed[p, kk, j] = w(kk, p·width + j), or 0 past N, computed now.
Value packConstantWeight(ImplicitLocOpBuilder &b, ArrayRef<float> w, bool transposed,
                         const Panels &panels) {
  int64_t k = panels.k, n = panels.n, width = panels.width;
  size_t bytes = panels.count * k * width * sizeof(float);
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(bytes, alignof(std::max_align_t));
  auto *packed = reinterpret_cast<float *>(blob.getMutableData().data());
  std::fill(packed, packed + panels.count * k * width, 0.0f);
  // Each loop order reads the source row by row ([N, K] weights column of
  // the panel by column), so that packing 154 MB stays memory-bound.
  for (int64_t p = 0; p < panels.count; ++p) {
    float *panel = packed + p * k * width;
    int64_t columns = std::min(width, n - p * width);
    if (transposed) {
      for (int64_t j = 0; j < columns; ++j)
        for (int64_t kk = 0; kk < k; ++kk)
          panel[kk * width + j] = w[(p * width + j) * k + kk];
    } else {
      for (int64_t kk = 0; kk < k; ++kk)
        std::copy_n(&w[kk * n + p * width], columns, panel + kk * width);
    }
  }
  auto attr = DenseResourceElementsAttr::get(panels.type(b.getContext()), "packed_weight",
                                             std::move(blob));
  return arith::ConstantOp::create(b, attr);
}

/// `tensor[clamped]` where `inside`, else 0: the padding of a packed weight
/// or bias. The indices are clamped into bounds, so the read is always
/// valid.
Value extractOrZero(ImplicitLocOpBuilder &b, Value tensor, ValueRange clamped, Value inside) {
  Value value = tensor::ExtractOp::create(b, tensor, clamped);
  Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0));
  return arith::SelectOp::create(b, inside, value, zero);
}

/// The same packing as a parallel loop over the packed tensor, for a
/// weight known only at run time.
Value packWeightAtRunTime(ImplicitLocOpBuilder &b, Value w, bool transposed, const Panels &panels) {
  MLIRContext *ctx = b.getContext();
  Value init = tensor::EmptyOp::create(b, panels.type(ctx).getShape(), b.getF32Type());
  return linalg::GenericOp::create(
             b, panels.type(ctx), ValueRange{}, init,
             ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(3, ctx)},
             SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange) {
               ImplicitLocOpBuilder ib(l, nb);
               IndexMath im{ib, l};
               Value p = linalg::IndexOp::create(ib, 0), kk = linalg::IndexOp::create(ib, 1),
                     j = linalg::IndexOp::create(ib, 2);
               Value col = im.add(im.mul(p, im.c(panels.width)), j);
               Value inside = arith::CmpIOp::create(ib, arith::CmpIPredicate::slt, col,
                                                    im.c(panels.n));
               Value clamped = im.min(col, im.c(panels.n - 1));
               linalg::YieldOp::create(
                   ib, extractOrZero(ib, w,
                                     transposed ? ValueRange{clamped, kk} : ValueRange{kk, clamped},
                                     inside));
             })
      .getResult(0);
}

/// bias [N] extended with zeros to [nPad] (unchanged when N = nPad).
Value padBias(ImplicitLocOpBuilder &b, Value bias, int64_t n, int64_t nPad) {
  if (n == nPad)
    return bias;
  MLIRContext *ctx = b.getContext();
  auto type = RankedTensorType::get({nPad}, b.getF32Type());
  Value init = tensor::EmptyOp::create(b, type.getShape(), b.getF32Type());
  return linalg::GenericOp::create(
             b, type, ValueRange{}, init,
             ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(1, ctx)},
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location l, ValueRange) {
               ImplicitLocOpBuilder ib(l, nb);
               IndexMath im{ib, l};
               Value j = linalg::IndexOp::create(ib, 0);
               Value inside = arith::CmpIOp::create(ib, arith::CmpIPredicate::slt, j, im.c(n));
               linalg::YieldOp::create(
                   ib, extractOrZero(ib, bias, ValueRange{im.min(j, im.c(n - 1))}, inside));
             })
      .getResult(0);
}

/// How one contraction is cut up. Panels of C·W columns; strips of R rows
/// (and one strip of M mod R rows at the end); a task is a row block (a
/// multiple of R) by a group of consecutive panels, about `shape.tasks`
/// tasks in all, done `chunkPanels` panels at a time. The panels split
/// into `groups` groups as evenly as they go (group g: panels [g·P/G,
/// (g+1)·P/G)), at most `groupPanels` each. The last panel may end inside
/// a vector: its writes are masked, so the output is exactly [M, N] and
/// nothing is copied.
struct MatmulPlan {
  Panels panels;
  int64_t rows, tailRows, taskRows, rowBlocks, groupPanels, groups, kBlock, chunkPanels;
  bool maskColumns;
};

/// With M a run-time dim (`m` kDynamic), the row blocks are counted at run
/// time (`rowBlocks` 0), the last strip's height too (`tailRows` -1), and
/// the panels split as if there were one row block (the short prompts and
/// decode steps where splitting the panels is what keeps every core busy).
MatmulPlan planMatmul(int64_t m, int64_t k, int64_t n, const MatmulKernelShape &shape) {
  MatmulPlan plan;
  int64_t width = shape.registerColumnVectors * shape.vectorWidth;
  plan.panels = Panels{k, n, width, (n + width - 1) / width};
  bool runTimeRows = ShapedType::isDynamic(m);
  plan.rows = runTimeRows ? shape.registerRows : std::min(shape.registerRows, m);
  plan.tailRows = runTimeRows ? -1 : m % plan.rows;
  plan.taskRows = runTimeRows ? roundUp(shape.taskRows, plan.rows)
                              : std::min(roundUp(shape.taskRows, plan.rows), roundUp(m, plan.rows));
  plan.rowBlocks = runTimeRows ? 0 : (m + plan.taskRows - 1) / plan.taskRows;
  // Row blocks of equal heights (to the strip), and where the row blocks
  // alone make the tasks (no panel groups to share out), as many as a
  // multiple of the tasks wanted: ViT-B's 197 rows in blocks of 128 and
  // 69 left one of two threads waiting for a third of every product (213
  // ms against 199 for ONNX Runtime). The panel groups follow from the
  // blocks as they end up.
  if (!runTimeRows) {
    int64_t blocks = plan.rowBlocks;
    if (blocks >= shape.tasks)
      blocks = roundUp(blocks, std::max<int64_t>(1, shape.tasks));
    plan.taskRows = roundUp((m + blocks - 1) / blocks, plan.rows);
    plan.rowBlocks = (m + plan.taskRows - 1) / plan.taskRows;
  }
  int64_t groupsWanted =
      runTimeRows ? shape.tasks
                  : std::max<int64_t>(1, (shape.tasks + plan.rowBlocks - 1) / plan.rowBlocks);
  // As many groups as wanted, of sizes that differ by at most one panel:
  // rounding the group size up instead left 6 panels in 3 groups of 2 for
  // 4 tasks on 2 cores, one core doing twice the other's work (a 2048 x
  // 256 product at M = 128: 0.67 ms, against 0.46 with 4 groups of 32
  // columns).
  plan.groups = std::min(plan.panels.count, groupsWanted);
  plan.groupPanels = (plan.panels.count + plan.groups - 1) / plan.groups;
  plan.kBlock = std::min(shape.kBlock, k);
  plan.chunkPanels = shape.chunkPanels > 0 ? std::min(shape.chunkPanels, plan.groupPanels)
                                           : plan.groupPanels;
  plan.maskColumns = n % width != 0;
  return plan;
}

/// The plan on the task loop, for --mlir-print-ir-after and tests.
void recordPlan(scf::ForallOp loop, const MatmulPlan &plan, const MatmulKernelShape &shape,
                bool packedAtCompileTime, MatmulActivation activation) {
  Builder b(loop.getContext());
  if (activation != MatmulActivation::none)
    loop->setAttr("attn.activation",
                  b.getStringAttr(activation == MatmulActivation::gelu ? "gelu" : "gelu_tanh"));
  loop->setAttr("attn.register_tile",
                b.getDenseI64ArrayAttr({plan.rows, shape.registerColumnVectors}));
  loop->setAttr("attn.vector_width", b.getI64IntegerAttr(shape.vectorWidth));
  loop->setAttr("attn.task_rows", b.getI64IntegerAttr(plan.taskRows));
  loop->setAttr("attn.task_panels", b.getI64IntegerAttr(plan.groupPanels));
  loop->setAttr("attn.k_block", b.getI64IntegerAttr(plan.kBlock));
  loop->setAttr("attn.chunk_panels", b.getI64IntegerAttr(plan.chunkPanels));
  loop->setAttr("attn.weight_packed",
                b.getStringAttr(packedAtCompileTime ? "compile-time" : "run-time"));
}

/// Builds one product's packed-matmul kernel (the file's header): the
/// weight packed, the parallel loop over tasks, each task's chunks of
/// panels through every k-block.
class PackedMatmulBuilder {
public:
  PackedMatmulBuilder(ImplicitLocOpBuilder &b, Location loc, const MatmulOperands &operands,
                      const MatmulKernelShape &shape)
      : b(b), loc(loc), operands(operands), shape(shape), e(b, shape.vectorWidth), im(e.im) {
    auto inputType = cast<RankedTensorType>(operands.input.getType());
    auto weightType = cast<RankedTensorType>(operands.weight.getType());
    m = inputType.getDimSize(0);
    k = inputType.getDimSize(1);
    n = weightType.getDimSize(operands.transposed ? 0 : 1);
    plan = planMatmul(m, k, n, shape);
  }

  Value build();

private:
  /// Where one task works: its group's panels, its block of rows, its
  /// columns, and each of its strips' share of a panel slice's prefetch.
  struct Task {
    Value firstPanel, panelCount, rowStart, rowCount, colStart, stripShare;
  };

  /// The weight in panels (packed here when constant), the bias padded to
  /// whole panels, and the packed weight as a buffer for the prefetches.
  void packWeight();
  Task taskAt(Value task, Value rowTotal);
  /// All k-blocks of panels [chunkBegin, chunkEnd) of the task's group
  /// into `partial`: the chunk's partial sums stay in L2 between k-blocks.
  Value chunkProduct(const Task &task, Value partial, Value chunkBegin, Value chunkEnd);
  /// One k-block of the task: for each panel of the chunk (its k-block
  /// slice read from memory once, then from cache), every strip of rows;
  /// the block of `input` rows stays in L2 across the group.
  Value kBlockProduct(const Task &task, Value partial, Value chunkBegin, Value chunkEnd,
                      Value kBegin, Value kEnd, bool firstBlock, bool lastBlock);
  /// The first k-block starts the accumulators from the bias and the
  /// residual (so the skip connection's add costs one read, no pass of its
  /// own), the others from the partial sums in the output rows.
  Value startFromBias(const Task &task, Value row, Value col);
  Value startFromPartial(Value partial, Value row, Value col);
  /// The activation on the finished sums (the last k-block only).
  Value activate(Value sums);
  bool hasActivation() const { return operands.activation != MatmulActivation::none; }

  ImplicitLocOpBuilder &b;
  Location loc;
  const MatmulOperands &operands;
  const MatmulKernelShape &shape;
  Emitter e;
  IndexMath &im;
  int64_t m, k, n;
  MatmulPlan plan;
  Value packed, bias, weightBuffer, zero;
};

void PackedMatmulBuilder::packWeight() {
  const Panels &panels = plan.panels;
  SmallVector<float> storage;
  if (std::optional<ArrayRef<float>> values = constantFloats(operands.weight, storage))
    packed = packConstantWeight(b, *values, operands.transposed, panels);
  else
    packed = packWeightAtRunTime(b, operands.weight, operands.transposed, panels);
  if (operands.bias)
    bias = padBias(b, operands.bias, n, panels.count * panels.width);
  // The weight streams from memory: while a panel's slice of a k-block is
  // in use, its strips fetch the next panel's slice into L2 (a jump of K
  // rows that the hardware prefetcher does not follow; chained 2048x5632 /
  // 5632x2048 products at M = 128: 128 -> 108 ms). Fetching the next
  // k-block's first slice after a group's last panel instead measured
  // slower (115 ms). Read in place (read_only: no copy); prefetches never
  // fault.
  weightBuffer = bufferization::ToBufferOp::create(
      b, MemRefType::get(panels.type(b.getContext()).getShape(), b.getF32Type()), packed,
      /*read_only=*/true);
}

PackedMatmulBuilder::Task PackedMatmulBuilder::taskAt(Value task, Value rowTotal) {
  // Tasks in groups of panels, each group's row blocks in a row: a
  // thread's contiguous share of the tasks is a share of the columns for
  // every row, whatever the row blocks' heights.
  const Panels &panels = plan.panels;
  Value blockCount = ShapedType::isDynamic(m) ? im.ceilDiv(rowTotal, im.c(plan.taskRows))
                                              : im.c(plan.rowBlocks);
  Value group = im.div(task, blockCount);
  Task at;
  at.firstPanel = im.div(im.mul(group, im.c(panels.count)), im.c(plan.groups));
  at.panelCount = im.sub(im.div(im.mul(im.add(group, im.c(1)), im.c(panels.count)),
                                im.c(plan.groups)),
                         at.firstPanel);
  at.rowStart = im.mul(im.rem(task, blockCount), im.c(plan.taskRows));
  at.rowCount = im.min(im.c(plan.taskRows), im.sub(rowTotal, at.rowStart));
  at.colStart = im.mul(at.firstPanel, im.c(panels.width));
  // 2^16 / the task's strips (its last, shorter one included): what share
  // of the next panel's slice each strip fetches, in 16-bit fixed point.
  at.stripShare = im.div(im.c(kFixedOne), im.ceilDiv(at.rowCount, im.c(plan.rows)));
  return at;
}

Value PackedMatmulBuilder::startFromBias(const Task &task, Value row, Value col) {
  Value start = bias ? e.read(bias, {im.add(task.colStart, col)}) : zero;
  if (!operands.residual)
    return start;
  SmallVector<Value> at = {im.add(task.rowStart, row), im.add(task.colStart, col)};
  Value residual = plan.maskColumns ? e.readMasked(operands.residual, at)
                                    : e.read(operands.residual, at);
  return bias ? arith::AddFOp::create(b, start, residual).getResult() : residual;
}

Value PackedMatmulBuilder::startFromPartial(Value partial, Value row, Value col) {
  return plan.maskColumns ? e.readMasked(partial, {row, col}) : e.read(partial, {row, col});
}

Value PackedMatmulBuilder::activate(Value sums) {
  return operands.activation == MatmulActivation::geluTanh ? lowering::geluTanh(b, loc, sums)
                                                           : lowering::geluExact(b, loc, sums);
}

Value PackedMatmulBuilder::kBlockProduct(const Task &task, Value partial, Value chunkBegin,
                                         Value chunkEnd, Value kBegin, Value kEnd,
                                         bool firstBlock, bool lastBlock) {
  const Panels &panels = plan.panels;
  const int64_t w = shape.vectorWidth, width = panels.width, rows = plan.rows;
  const int64_t columnVectors = shape.registerColumnVectors;
  auto init = [&](Value acc, Value row, Value col) {
    return firstBlock ? startFromBias(task, row, col) : startFromPartial(acc, row, col);
  };
  auto finishWith = [&](Value sums) { return activate(sums); };
  function_ref<Value(Value)> finish =
      lastBlock && hasActivation() ? function_ref<Value(Value)>(finishWith) : nullptr;
  auto lhs = [&](Value row, Value kk) {
    return e.at(operands.input, {im.add(task.rowStart, row), kk});
  };
  return e.loop(chunkBegin, chunkEnd, 1, partial, [&](Value local, ValueRange acc) {
    Value panel = im.add(task.firstPanel, local);
    Value panelCol = im.mul(local, im.c(width));
    Value nextPanel = im.min(im.add(panel, im.c(1)), im.c(panels.count - 1));
    // Strip s of n fetches rows [s/n, (s+1)/n) of the next panel's
    // k-block slice, a row per n steps: the fetches spread evenly over
    // the whole panel's time. Every strip fetching the whole slice at
    // once (the first from memory, the rest hitting L2) left the first
    // strip waiting on its fetches: LLaMA-shaped model at S = 128 about
    // 160 -> 150 ms, GPT-2 small 140 -> 132 ms (bench/RESULTS.md).
    auto range = [&](Value i0) {
      Value stripStep = im.mul(im.div(i0, rows), im.sub(kEnd, kBegin));
      auto prefetchNext = [&, stripStep](Value kk) {
        Value share = im.mul(im.add(stripStep, im.sub(kk, kBegin)), task.stripShare);
        Value row = im.add(kBegin, im.div(share, kFixedOne));
        for (int64_t v = 0; v < columnVectors; ++v)
          memref::PrefetchOp::create(b, weightBuffer, ValueRange{nextPanel, row, im.c(v * w)},
                                     /*isWrite=*/false, /*localityHint=*/2,
                                     /*isDataCache=*/true);
      };
      return Emitter::StripRange{panelCol, im.add(panelCol, im.c(width)), kBegin, kEnd,
                                 prefetchNext};
    };
    auto rhs = [&](Value kk, Value col) {
      return e.read(packed, {panel, kk, im.sub(col, panelCol)});
    };
    Value rowCount = task.rowCount;
    Value wholeRows = im.sub(rowCount, im.rem(rowCount, rows));
    Value result = e.registerTiledProduct(acc[0], im.c(0), wholeRows, rows, columnVectors, range,
                                          init, lhs, rhs, plan.maskColumns, finish);
    if (plan.tailRows > 0)
      result = e.registerTiledProduct(result, wholeRows, rowCount, plan.tailRows, columnVectors,
                                      range, init, lhs, rhs, plan.maskColumns, finish);
    // A tail known only at run time (under R rows): strips of 8, 4, 2
    // and 1 rows, as many of each as fit in what is left.
    if (plan.tailRows < 0)
      for (int64_t height = 8; height >= 1; height /= 2) {
        if (height >= rows)
          continue;
        Value left = im.sub(rowCount, wholeRows);
        Value end = im.add(wholeRows, im.mul(im.div(left, height), im.c(height)));
        result = e.registerTiledProduct(result, wholeRows, end, height, columnVectors, range,
                                        init, lhs, rhs, plan.maskColumns, finish);
        wholeRows = end;
      }
    return SmallVector<Value>{result};
  })[0];
}

Value PackedMatmulBuilder::chunkProduct(const Task &task, Value partial, Value chunkBegin,
                                        Value chunkEnd) {
  // The activation maps the finished sums, so it runs in the last k-block
  // only; that block is then emitted apart from the loop over the others
  // (without an activation, the loop runs to K and the code stays single).
  int64_t kBlock = plan.kBlock;
  bool activation = hasActivation();
  int64_t loopEnd = activation ? (k - 1) / kBlock * kBlock : k;
  partial = kBlockProduct(task, partial, chunkBegin, chunkEnd, im.c(0), im.c(kBlock),
                          /*firstBlock=*/true, /*lastBlock=*/kBlock >= k);
  if (kBlock < loopEnd)
    partial = e.loop(kBlock, loopEnd, kBlock, partial, [&](Value kBegin, ValueRange p) {
      Value kEnd = im.min(im.add(kBegin, im.c(kBlock)), im.c(k));
      return SmallVector<Value>{kBlockProduct(task, p[0], chunkBegin, chunkEnd, kBegin, kEnd,
                                              /*firstBlock=*/false, /*lastBlock=*/false)};
    })[0];
  if (activation && kBlock < k)
    partial = kBlockProduct(task, partial, chunkBegin, chunkEnd, im.c(loopEnd), im.c(k),
                            /*firstBlock=*/false, /*lastBlock=*/true);
  return partial;
}

Value PackedMatmulBuilder::build() {
  packWeight();
  // M at run time: the rows, the row blocks and the output's size from the
  // input.
  bool runTimeRows = ShapedType::isDynamic(m);
  Value rowTotal = runTimeRows ? tensor::DimOp::create(b, operands.input, 0).getResult()
                               : im.c(m);
  Value out = tensor::EmptyOp::create(b, RankedTensorType::get({m, n}, b.getF32Type()),
                                      runTimeRows ? ValueRange{rowTotal} : ValueRange{});
  OpFoldResult taskTotal =
      runTimeRows
          ? OpFoldResult(im.mul(im.ceilDiv(rowTotal, im.c(plan.taskRows)), im.c(plan.groups)))
          : OpFoldResult(b.getIndexAttr(plan.rowBlocks * plan.groups));
  auto forall = scf::ForallOp::create(b, ArrayRef<OpFoldResult>{taskTotal}, ValueRange{out},
                                      std::nullopt);
  recordPlan(forall, plan, shape, isa<arith::ConstantOp>(packed.getDefiningOp()),
             operands.activation);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getTerminator());
  Task task = taskAt(forall.getInductionVars()[0], rowTotal);
  Value colCount = im.min(im.mul(task.panelCount, im.c(plan.panels.width)),
                          im.sub(im.c(n), task.colStart));
  SmallVector<OpFoldResult> offsets = {task.rowStart, task.colStart};
  SmallVector<OpFoldResult> sizes = {task.rowCount, colCount};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  Value shared = forall.getRegionIterArgs()[0];
  Value slice = tensor::ExtractSliceOp::create(b, shared, offsets, sizes, strides);
  zero = e.splat(e.f32(0.0));

  int64_t chunkPanels = plan.chunkPanels;
  if (chunkPanels >= plan.groupPanels)
    slice = chunkProduct(task, slice, im.c(0), task.panelCount);
  else
    slice = e.loop(im.c(0), task.panelCount, chunkPanels, slice,
                   [&](Value chunkBegin, ValueRange p) {
                     Value chunkEnd =
                         im.min(im.add(chunkBegin, im.c(chunkPanels)), task.panelCount);
                     return SmallVector<Value>{chunkProduct(task, p[0], chunkBegin, chunkEnd)};
                   })[0];

  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, slice, shared, offsets, sizes, strides);
  return forall.getResult(0);
}

} // namespace

Value tiling::buildPackedMatmul(RewriterBase &rewriter, Location loc,
                                const MatmulOperands &operands, const MatmulKernelShape &shape) {
  ImplicitLocOpBuilder b(loc, rewriter);
  return PackedMatmulBuilder(b, loc, operands, shape).build();
}

bool tiling::runsOnMatmulKernel(Operation *op) {
  if (auto conv = dyn_cast<ConvOp>(op))
    return convRunsAsMatmul(conv);
  return isa<LinearOp, MatmulOp>(op);
}

std::optional<ArrayRef<float>> tiling::constantFloats(Value value,
                                                     SmallVectorImpl<float> &storage) {
  // A collapse of a constant (a convolution's weight as rows) holds the
  // same values in the same order.
  while (auto collapse = value.getDefiningOp<tensor::CollapseShapeOp>())
    value = collapse.getSrc();
  ElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.getElementType().isF32())
    return std::nullopt;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> bytes = blob->getData();
    if ((int64_t)bytes.size() != attr.getNumElements() * (int64_t)sizeof(float))
      return std::nullopt;
    return ArrayRef<float>(reinterpret_cast<const float *>(bytes.data()), attr.getNumElements());
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    storage.assign(dense.getValues<float>().begin(), dense.getValues<float>().end());
    if (dense.isSplat())
      storage.assign(attr.getNumElements(), storage.front());
    return ArrayRef<float>(storage);
  }
  return std::nullopt;
}

MatmulKernelShape tiling::kernelShapeOf(MatmulTilingAttr attr) {
  MatmulKernelShape shape;
  shape.vectorWidth = attr.getVectorWidth();
  shape.registerRows = attr.getRegisterRows();
  shape.registerColumnVectors = attr.getRegisterColumnVectors();
  shape.taskRows = attr.getTaskRows();
  shape.kBlock = attr.getKBlock();
  shape.tasks = attr.getTasks();
  shape.chunkPanels = attr.getChunkPanels();
  return shape;
}

MatmulTilingAttr tiling::matmulTilingAttrOf(MLIRContext *context, const MatmulKernelShape &shape) {
  return MatmulTilingAttr::get(context, shape.vectorWidth, shape.registerRows,
                               shape.registerColumnVectors, shape.taskRows, shape.kBlock,
                               shape.tasks, shape.chunkPanels);
}

//===- LowerNorms.cpp - LayerNorm, RMSNorm and softmax as one kernel each -===//
//
// A norm's row is a few hundred to a few thousand elements (768 in GPT-2
// small, 2048 in the LLaMA-shaped model; a softmax's, the keys of an
// attention the fused kernel does not take): a warp per row reads it with
// every lane on consecutive elements, reduces by butterfly shuffles, and
// writes the normalized row, all in one launch. Lowered through linalg
// instead, the same op is two or three kernels whose reductions give a
// whole row to one thread.
//
// Rows of up to `held-row` elements (1024 by default: 32 per lane) are
// read once: each lane keeps its share of the row in registers for the
// statistics and the result (a softmax keeps its exponentials, computed
// once). Longer rows are read again from memory (L1/L2) for each pass:
// ptxas gives a held row of 768 48 registers, one of 2048 162.
//
// Warps past the last row compute on the last row (so that every
// lane meets the shuffles, which the emulated warp ops need too) and store
// nothing.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/KernelBuilder.h"
#include "dialects/attn/AttnOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"

#include <functional>
#include <limits>

namespace attnc::gpu {
#define GEN_PASS_DEF_GPULOWERNORMSPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;

namespace {

constexpr int64_t kWarpSize = 32;
/// Most elements of a row the lanes may hold (128 registers each).
constexpr int64_t kMaxHeldRow = 128 * kWarpSize;

enum class RowOp { LayerNorm, RmsNorm, Softmax };

/// What the kernel needs to know about one op: the input's dims before
/// `axis` (the rows: run-time ones allowed, kDynamic here) and from it
/// (the row: static).
struct RowShape {
  RowOp op = RowOp::LayerNorm;
  SmallVector<int64_t> rowDims, columnDims;
  int64_t width = 1;
  float epsilon = 0.0f;
};

/// Whether `param` has the normalized dims' shape (one broadcast over part
/// of the row is not taken).
bool coversRow(Value param, ArrayRef<int64_t> columnDims) {
  auto type = cast<RankedTensorType>(param.getType());
  return type.getElementType().isF32() && type.getShape() == columnDims;
}

/// The rows of `input` normalized from `axis` on, if the kernel takes it:
/// f32, the row static and not empty (the rows may be run-time dims).
std::optional<RowShape> rowsOf(Value input, int64_t axis, RowOp op) {
  auto type = cast<RankedTensorType>(input.getType());
  if (!type.getElementType().isF32() || type.getRank() == 0)
    return std::nullopt;
  if (axis < 0)
    axis += type.getRank();
  RowShape shape;
  shape.op = op;
  shape.rowDims.assign(type.getShape().begin(), type.getShape().begin() + axis);
  shape.columnDims.assign(type.getShape().begin() + axis, type.getShape().end());
  if (llvm::any_of(shape.columnDims, ShapedType::isDynamic) || llvm::is_contained(shape.rowDims, 0))
    return std::nullopt;
  for (int64_t d : shape.columnDims)
    shape.width *= d;
  if (shape.width == 0)
    return std::nullopt;
  return shape;
}

/// The kernel's view of a LayerNorm or RMSNorm, if it takes it: also its
/// scale and bias shaped like the row.
template <typename NormOp>
std::optional<RowShape> shapeOf(NormOp op, Value bias, RowOp kind) {
  std::optional<RowShape> shape = rowsOf(op.getInput(), op.getAxis(), kind);
  if (!shape || !coversRow(op.getScale(), shape->columnDims) ||
      (bias && !coversRow(bias, shape->columnDims)))
    return std::nullopt;
  shape->epsilon = op.getEpsilon().convertToFloat();
  return shape;
}

/// The kernel's view of a softmax over its last axis, if it takes it.
std::optional<RowShape> shapeOf(mlir::attn::SoftmaxOp op) {
  auto type = cast<RankedTensorType>(op.getInput().getType());
  int64_t axis = op.getAxis() < 0 ? op.getAxis() + type.getRank() : op.getAxis();
  if (axis != type.getRank() - 1)
    return std::nullopt;
  return rowsOf(op.getInput(), axis, RowOp::Softmax);
}

class RowKernelBuilder : attnc::gpu::KernelBuilder {
public:
  /// `rowExtents`: the row dims' extents in this run (index values defined
  /// before the launch, constants when static).
  RowKernelBuilder(OpBuilder &b, Location loc, const RowShape &shape,
                   SmallVector<Value> rowExtents, int64_t warps, int64_t heldRow)
      : KernelBuilder(b, loc), shape(shape), rowExtents(std::move(rowExtents)), warps(warps),
        heldRow(heldRow) {}

  /// The launch, at the builder's insertion point: `result` = the op on
  /// `input` (scale and, for LayerNorm, `bias` applied to a norm).
  void build(Value input, Value scale, Value bias, Value result);

  /// An element's result from its value and its indices in the row
  /// (those of the scale and bias too).
  using Transform = std::function<Value(Value x, ArrayRef<Value> columnIndices)>;

private:
  /// `linear` as indices over dims of extents `extents` (the last fastest).
  SmallVector<Value> delinearize(Value linear, ArrayRef<Value> extents);
  SmallVector<Value> delinearize(Value linear, ArrayRef<int64_t> dims) {
    return delinearize(linear, llvm::map_to_vector(dims, [&](int64_t d) { return index(d); }));
  }
  /// The number of rows in this run.
  Value rowCount() {
    Value count = index(1);
    for (Value extent : rowExtents)
      count = mul(count, extent);
    return count;
  }
  /// `value` combined over the warp: every lane gets the result.
  Value overWarp(Value value, function_ref<Value(Value, Value)> combine);
  /// term(x) over the row at `rowIndices`, combined from `init` in each
  /// lane and then over the warp.
  Value rowReduce(Value input, ArrayRef<Value> rowIndices, Value init,
                  function_ref<Value(Value)> term, function_ref<Value(Value, Value)> combine);
  Value rowSum(Value input, ArrayRef<Value> rowIndices, function_ref<Value(Value)> term) {
    return rowReduce(input, rowIndices, f32(0.0f), term, [&](Value x, Value y) -> Value {
      return arith::AddFOp::create(b, loc, x, y);
    });
  }
  /// The row statistics of a norm, and its transform (scale, bias).
  Transform normalize(Value input, ArrayRef<Value> statsRow, Value scale, Value bias);
  /// The row statistics of a softmax, and its transform.
  Transform softmax(Value input, ArrayRef<Value> statsRow);
  /// Input indices of the element at `columnIndices` of the row at
  /// `rowIndices`.
  SmallVector<Value> at(ArrayRef<Value> rowIndices, ArrayRef<Value> columnIndices) {
    SmallVector<Value> indices(rowIndices);
    indices.append(columnIndices.begin(), columnIndices.end());
    return indices;
  }

  /// Columns per lane: lane + 32 j for j below this.
  int64_t shares() const { return llvm::divideCeil(shape.width, kWarpSize); }
  /// Whether share j may be past the row's end (the last of a ragged row).
  bool ragged(int64_t j) const { return (j + 1) * kWarpSize > shape.width; }
  Value column(int64_t j) { return add(lane, index(j * kWarpSize)); }
  /// Loads this lane's share of the row at `rowIndices` into `held` (past
  /// the row's end, the last column's value: masked wherever used).
  void holdRow(Value input, ArrayRef<Value> rowIndices);
  /// Stores transform(held values) into the row at `rowIndices`.
  void storeHeld(Value result, ArrayRef<Value> rowIndices, const Transform &transform);

  const RowShape &shape;
  SmallVector<Value> rowExtents;
  int64_t warps, heldRow;
  Value lane;
  /// The lane's share of the row when the row is held in registers
  /// (column lane + 32 j at j), else empty.
  SmallVector<Value> held;
};

SmallVector<Value> RowKernelBuilder::delinearize(Value linear, ArrayRef<Value> extents) {
  SmallVector<Value> indices(extents.size());
  for (int64_t i = extents.size() - 1; i >= 0; --i) {
    if (i == 0) {
      indices[i] = linear;
      break;
    }
    indices[i] = b.createOrFold<arith::RemUIOp>(loc, linear, extents[i]);
    linear = b.createOrFold<arith::DivUIOp>(loc, linear, extents[i]);
  }
  return indices;
}

Value RowKernelBuilder::overWarp(Value value, function_ref<Value(Value, Value)> combine) {
  return butterfly(value, {16, 8, 4, 2, 1}, combine);
}

Value RowKernelBuilder::rowReduce(Value input, ArrayRef<Value> rowIndices, Value init,
                                   function_ref<Value(Value)> term,
                                   function_ref<Value(Value, Value)> combine) {
  if (!held.empty()) {
    Value partial = init;
    for (int64_t j = 0; j < shares(); ++j) {
      Value t = term(held[j]);
      if (ragged(j))
        t = arith::SelectOp::create(b, loc, lessThan(column(j), shape.width), t, init);
      partial = combine(partial, t);
    }
    return overWarp(partial, combine);
  }
  auto loop =
      scf::ForOp::create(b, loc, lane, index(shape.width), index(kWarpSize), ValueRange{init});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value x = memref::LoadOp::create(
        b, loc, input, at(rowIndices, delinearize(loop.getInductionVar(), shape.columnDims)));
    scf::YieldOp::create(b, loc, ValueRange{combine(loop.getRegionIterArgs()[0], term(x))});
  }
  return overWarp(loop.getResult(0), combine);
}

RowKernelBuilder::Transform RowKernelBuilder::normalize(Value input, ArrayRef<Value> statsRow,
                                                          Value scale, Value bias) {
  bool rms = shape.op == RowOp::RmsNorm;
  Value inverseWidth = f32(1.0f / static_cast<float>(shape.width));
  Value mean;
  if (!rms)
    mean = arith::MulFOp::create(b, loc, rowSum(input, statsRow, [](Value x) { return x; }),
                                 inverseWidth);
  // Squared deviations from the mean (LayerNorm), squares (RMSNorm).
  Value squares = rowSum(input, statsRow, [&](Value x) -> Value {
    Value d = rms ? x : arith::SubFOp::create(b, loc, x, mean).getResult();
    return arith::MulFOp::create(b, loc, d, d);
  });
  Value variance = arith::MulFOp::create(b, loc, squares, inverseWidth);
  Value inverseDeviation = arith::DivFOp::create(
      b, loc, f32(1.0f),
      math::SqrtOp::create(b, loc, arith::AddFOp::create(b, loc, variance, f32(shape.epsilon))));
  return [=](Value x, ArrayRef<Value> parameter) -> Value {
    if (mean)
      x = arith::SubFOp::create(b, loc, x, mean);
    Value g = memref::LoadOp::create(b, loc, scale, parameter);
    Value y = arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, inverseDeviation), g);
    if (bias)
      y = arith::AddFOp::create(b, loc, y, memref::LoadOp::create(b, loc, bias, parameter));
    return y;
  };
}

RowKernelBuilder::Transform RowKernelBuilder::softmax(Value input, ArrayRef<Value> statsRow) {
  Value top = rowReduce(
      input, statsRow, f32(-std::numeric_limits<float>::infinity()),
      [](Value x) { return x; },
      [&](Value x, Value y) -> Value { return arith::MaximumFOp::create(b, loc, x, y); });
  auto weight = [=](Value x) -> Value {
    return math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, x, top));
  };
  if (!held.empty()) {
    // The held row becomes its weights: each exponential computed once.
    for (Value &x : held)
      x = weight(x);
    Value inverseSum =
        arith::DivFOp::create(b, loc, f32(1.0f), rowSum(input, statsRow, [](Value e) { return e; }));
    return [=](Value e, ArrayRef<Value>) -> Value {
      return arith::MulFOp::create(b, loc, e, inverseSum);
    };
  }
  Value inverseSum =
      arith::DivFOp::create(b, loc, f32(1.0f), rowSum(input, statsRow, weight));
  return [=](Value x, ArrayRef<Value>) -> Value {
    return arith::MulFOp::create(b, loc, weight(x), inverseSum);
  };
}

void RowKernelBuilder::build(Value input, Value scale, Value bias, Value result) {
  Value one = index(1);
  Value rows = rowCount();
  auto launch = gpu::LaunchOp::create(b, loc,
                                      b.createOrFold<arith::CeilDivUIOp>(loc, rows, index(warps)),
                                      one, one, index(warps * kWarpSize), one, one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value thread = launch.getThreadIds().x;
  lane = arith::RemUIOp::create(b, loc, thread, index(kWarpSize));
  Value row = add(mul(launch.getBlockIds().x, index(warps)),
                  arith::DivUIOp::create(b, loc, thread, index(kWarpSize)));
  // The statistics of the row, or of the last one for warps past it.
  SmallVector<Value> statsRow = delinearize(minIdx(row, sub(rows, one)), rowExtents);
  if (shape.width <= heldRow)
    holdRow(input, statsRow);
  Transform transform = shape.op == RowOp::Softmax
                            ? softmax(input, statsRow)
                            : normalize(input, statsRow, scale, bias);

  auto store = scf::IfOp::create(b, loc, lessThan(row, rows), /*withElseRegion=*/false);
  b.setInsertionPoint(store.thenBlock()->getTerminator());
  SmallVector<Value> rowIndices = delinearize(row, rowExtents);
  if (!held.empty()) {
    storeHeld(result, rowIndices, transform);
  } else {
    forEach(lane, index(shape.width), index(kWarpSize), [&](Value column) {
      SmallVector<Value> columnIndices = delinearize(column, shape.columnDims);
      Value x = memref::LoadOp::create(b, loc, input, at(rowIndices, columnIndices));
      memref::StoreOp::create(b, loc, transform(x, columnIndices), result,
                              at(rowIndices, columnIndices));
    });
  }
  b.setInsertionPointToEnd(&launch.getBody().front());
  gpu::TerminatorOp::create(b, loc);
}

void RowKernelBuilder::holdRow(Value input, ArrayRef<Value> rowIndices) {
  for (int64_t j = 0; j < shares(); ++j) {
    Value c = ragged(j) ? minIdx(column(j), index(shape.width - 1)) : column(j);
    held.push_back(memref::LoadOp::create(
        b, loc, input, at(rowIndices, delinearize(c, shape.columnDims))));
  }
}

void RowKernelBuilder::storeHeld(Value result, ArrayRef<Value> rowIndices,
                                 const Transform &transform) {
  for (int64_t j = 0; j < shares(); ++j) {
    OpBuilder::InsertionGuard guard(b);
    Value c = column(j);
    if (ragged(j)) {
      auto inside = scf::IfOp::create(b, loc, lessThan(c, shape.width), /*withElseRegion=*/false);
      b.setInsertionPoint(inside.thenBlock()->getTerminator());
    }
    SmallVector<Value> columnIndices = delinearize(c, shape.columnDims);
    memref::StoreOp::create(b, loc, transform(held[j], columnIndices), result,
                            at(rowIndices, columnIndices));
  }
}

struct GpuLowerNormsPass : public attnc::gpu::impl::GpuLowerNormsPassBase<GpuLowerNormsPass> {
  using GpuLowerNormsPassBase::GpuLowerNormsPassBase;

  void runOnOperation() override {
    if (warpsPerBlock < 1 || warpsPerBlock > 32) {
      getOperation().emitError("gpu-lower-norms: warps-per-block must be in [1, 32]");
      return signalPassFailure();
    }
    if (heldRow < 0 || heldRow > kMaxHeldRow) {
      getOperation().emitError("gpu-lower-norms: held-row must be in [0, ")
          << kMaxHeldRow << "]";
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<mlir::attn::LayerNormOp, mlir::attn::RmsNormOp, mlir::attn::SoftmaxOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto layerNorm = dyn_cast<mlir::attn::LayerNormOp>(op))
        lower(op, shapeOf(layerNorm, layerNorm.getBias(), RowOp::LayerNorm),
              layerNorm.getInput(), layerNorm.getScale(), layerNorm.getBias());
      else if (auto rmsNorm = dyn_cast<mlir::attn::RmsNormOp>(op))
        lower(op, shapeOf(rmsNorm, Value(), RowOp::RmsNorm), rmsNorm.getInput(),
              rmsNorm.getScale(), Value());
      else if (auto softmax = dyn_cast<mlir::attn::SoftmaxOp>(op))
        lower(op, shapeOf(softmax), softmax.getInput(), Value(), Value());
    }
  }

  /// Replaces `op` by the kernel's result, if the kernel takes it.
  void lower(Operation *op, const std::optional<RowShape> &shape, Value input, Value scale,
             Value bias) {
    if (!shape)
      return;
    OpBuilder b(op);
    Location loc = op->getLoc();
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    // The result is shaped like the input: its run-time dims are rows.
    SmallVector<Value> rowExtents, resultSizes;
    for (auto [d, size] : llvm::enumerate(shape->rowDims)) {
      Value extent =
          getValueOrCreateConstantIndexOp(b, loc, tensor::getMixedSize(b, loc, input, d));
      rowExtents.push_back(extent);
      if (ShapedType::isDynamic(size))
        resultSizes.push_back(extent);
    }
    Value result = memref::AllocOp::create(
        b, loc, MemRefType::get(type.getShape(), type.getElementType()), resultSizes);
    auto operand = [&](Value v) { return v ? attnc::gpu::bufferOf(b, loc, v) : Value(); };
    RowKernelBuilder(b, loc, *shape, std::move(rowExtents), warpsPerBlock, heldRow)
        .build(operand(input), operand(scale), operand(bias), result);
    op->getResult(0).replaceAllUsesWith(bufferization::ToTensorOp::create(
        b, loc, type, result, /*restrict=*/true, /*writable=*/true));
    op->erase();
  }
};

} // namespace

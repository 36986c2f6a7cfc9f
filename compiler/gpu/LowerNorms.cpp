//===- LowerNorms.cpp - LayerNorm and RMSNorm as one kernel each ----------===//
//
// A norm's row is a few hundred to a few thousand elements (768 in GPT-2
// small, 2048 in the LLaMA-shaped model): a warp per row reads it with
// every lane on consecutive elements, sums by butterfly shuffles, and
// writes the normalized row, all in one launch. Lowered through linalg
// instead, the same norm is two or three kernels whose reductions give a
// whole row to one thread.
//
// Lanes of a warp past the last row compute on the last row (so that every
// lane meets the shuffles, which the emulated warp ops need too) and store
// nothing.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/KernelBuilder.h"
#include "dialects/attn/AttnOps.h"

namespace attnc::gpu {
#define GEN_PASS_DEF_GPULOWERNORMSPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;

namespace {

constexpr int64_t kWarpSize = 32;

/// What the kernel needs to know about one norm: the input's dims before
/// `axis` (the rows) and from it (the row), the parameters' ranks.
struct NormShape {
  SmallVector<int64_t> rowDims, columnDims;
  int64_t rows = 1, width = 1;
  float epsilon = 0.0f;
  bool rms = false;
};

/// Whether `param` has the normalized dims' shape (one broadcast over part
/// of the row is not taken).
bool coversRow(Value param, ArrayRef<int64_t> columnDims) {
  auto type = cast<RankedTensorType>(param.getType());
  return type.getElementType().isF32() && type.getShape() == columnDims;
}

/// The kernel's view of `op`, if it takes it.
template <typename NormOp> std::optional<NormShape> shapeOf(NormOp op, Value bias) {
  auto input = cast<RankedTensorType>(op.getInput().getType());
  if (!input.hasStaticShape() || !input.getElementType().isF32() || input.getRank() == 0)
    return std::nullopt;
  int64_t axis = op.getAxis();
  if (axis < 0)
    axis += input.getRank();
  NormShape shape;
  shape.rowDims.assign(input.getShape().begin(), input.getShape().begin() + axis);
  shape.columnDims.assign(input.getShape().begin() + axis, input.getShape().end());
  if (!coversRow(op.getScale(), shape.columnDims) || (bias && !coversRow(bias, shape.columnDims)))
    return std::nullopt;
  for (int64_t d : shape.rowDims)
    shape.rows *= d;
  for (int64_t d : shape.columnDims)
    shape.width *= d;
  if (shape.rows == 0 || shape.width == 0)
    return std::nullopt;
  shape.epsilon = op.getEpsilon().convertToFloat();
  return shape;
}

class NormKernelBuilder : attnc::gpu::KernelBuilder {
public:
  NormKernelBuilder(OpBuilder &b, Location loc, const NormShape &shape, int64_t warps)
      : KernelBuilder(b, loc), shape(shape), warps(warps) {}

  /// The launch, at the builder's insertion point: `result` = the norm of
  /// `input` (scale and, for LayerNorm, `bias` applied).
  void build(Value input, Value scale, Value bias, Value result);

private:
  /// `linear` as indices over `dims` (the last fastest).
  SmallVector<Value> delinearize(Value linear, ArrayRef<int64_t> dims);
  /// `value` summed over the warp: every lane gets the total.
  Value overWarp(Value value);
  /// The sum of term(x) over the row at `rowIndices`, over the warp.
  Value rowSum(Value input, ArrayRef<Value> rowIndices, function_ref<Value(Value)> term);
  /// Input indices of element `column` of the row at `rowIndices`.
  SmallVector<Value> at(ArrayRef<Value> rowIndices, Value column) {
    SmallVector<Value> indices(rowIndices);
    indices.append(delinearize(column, shape.columnDims));
    return indices;
  }

  const NormShape &shape;
  int64_t warps;
  Value lane;
};

SmallVector<Value> NormKernelBuilder::delinearize(Value linear, ArrayRef<int64_t> dims) {
  SmallVector<Value> indices(dims.size());
  for (int64_t i = dims.size() - 1; i >= 0; --i) {
    if (i == 0) {
      indices[i] = linear;
      break;
    }
    indices[i] = b.createOrFold<arith::RemUIOp>(loc, linear, index(dims[i]));
    linear = b.createOrFold<arith::DivUIOp>(loc, linear, index(dims[i]));
  }
  return indices;
}

Value NormKernelBuilder::overWarp(Value value) {
  for (int32_t mask = kWarpSize / 2; mask > 0; mask /= 2) {
    Value other = gpu::ShuffleOp::create(b, loc, value, mask, kWarpSize, gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    value = arith::AddFOp::create(b, loc, value, other);
  }
  return value;
}

Value NormKernelBuilder::rowSum(Value input, ArrayRef<Value> rowIndices,
                                function_ref<Value(Value)> term) {
  auto loop = scf::ForOp::create(b, loc, lane, index(shape.width), index(kWarpSize),
                                 ValueRange{f32(0.0f)});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value x = memref::LoadOp::create(b, loc, input, at(rowIndices, loop.getInductionVar()));
    scf::YieldOp::create(
        b, loc, ValueRange{arith::AddFOp::create(b, loc, loop.getRegionIterArgs()[0], term(x))});
  }
  return overWarp(loop.getResult(0));
}

void NormKernelBuilder::build(Value input, Value scale, Value bias, Value result) {
  Value one = index(1);
  auto launch = gpu::LaunchOp::create(b, loc, index(llvm::divideCeil(shape.rows, warps)), one,
                                      one, index(warps * kWarpSize), one, one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value thread = launch.getThreadIds().x;
  lane = arith::RemUIOp::create(b, loc, thread, index(kWarpSize));
  Value row = add(mul(launch.getBlockIds().x, index(warps)),
                  arith::DivUIOp::create(b, loc, thread, index(kWarpSize)));
  // The statistics of the row, or of the last one for warps past it.
  SmallVector<Value> statsRow = delinearize(minIdx(row, index(shape.rows - 1)), shape.rowDims);

  Value inverseWidth = f32(1.0f / static_cast<float>(shape.width));
  Value mean = f32(0.0f);
  if (!shape.rms) {
    Value sum = rowSum(input, statsRow, [](Value x) { return x; });
    mean = arith::MulFOp::create(b, loc, sum, inverseWidth);
  }
  // Squared deviations from the mean (LayerNorm), squares (RMSNorm).
  Value squares = rowSum(input, statsRow, [&](Value x) -> Value {
    Value d = shape.rms ? x : arith::SubFOp::create(b, loc, x, mean).getResult();
    return arith::MulFOp::create(b, loc, d, d);
  });
  Value variance = arith::MulFOp::create(b, loc, squares, inverseWidth);
  Value inverseDeviation = arith::DivFOp::create(
      b, loc, f32(1.0f),
      math::SqrtOp::create(b, loc, arith::AddFOp::create(b, loc, variance, f32(shape.epsilon))));

  auto store = scf::IfOp::create(b, loc, lessThan(row, shape.rows), /*withElseRegion=*/false);
  b.setInsertionPoint(store.thenBlock()->getTerminator());
  SmallVector<Value> rowIndices = delinearize(row, shape.rowDims);
  forEach(lane, index(shape.width), index(kWarpSize), [&](Value column) {
    Value x = memref::LoadOp::create(b, loc, input, at(rowIndices, column));
    if (!shape.rms)
      x = arith::SubFOp::create(b, loc, x, mean);
    SmallVector<Value> parameter = delinearize(column, shape.columnDims);
    Value g = memref::LoadOp::create(b, loc, scale, parameter);
    Value y = arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, inverseDeviation), g);
    if (bias) {
      Value beta = memref::LoadOp::create(b, loc, bias, parameter);
      y = arith::AddFOp::create(b, loc, y, beta);
    }
    memref::StoreOp::create(b, loc, y, result, at(rowIndices, column));
  });
  b.setInsertionPointToEnd(&launch.getBody().front());
  gpu::TerminatorOp::create(b, loc);
}

struct GpuLowerNormsPass : public attnc::gpu::impl::GpuLowerNormsPassBase<GpuLowerNormsPass> {
  using GpuLowerNormsPassBase::GpuLowerNormsPassBase;

  void runOnOperation() override {
    if (warpsPerBlock < 1 || warpsPerBlock > 32) {
      getOperation().emitError("gpu-lower-norms: warps-per-block must be in [1, 32]");
      return signalPassFailure();
    }
    SmallVector<Operation *> norms;
    getOperation().walk([&](Operation *op) {
      if (isa<mlir::attn::LayerNormOp, mlir::attn::RmsNormOp>(op))
        norms.push_back(op);
    });
    for (Operation *op : norms) {
      if (auto layerNorm = dyn_cast<mlir::attn::LayerNormOp>(op))
        lower(op, shapeOf(layerNorm, layerNorm.getBias()), layerNorm.getInput(),
              layerNorm.getScale(), layerNorm.getBias());
      else if (auto rmsNorm = dyn_cast<mlir::attn::RmsNormOp>(op)) {
        std::optional<NormShape> shape = shapeOf(rmsNorm, Value());
        if (shape)
          shape->rms = true;
        lower(op, shape, rmsNorm.getInput(), rmsNorm.getScale(), Value());
      }
    }
  }

  /// Replaces `op` by the kernel's result, if the kernel takes it.
  void lower(Operation *op, const std::optional<NormShape> &shape, Value input, Value scale,
             Value bias) {
    if (!shape)
      return;
    OpBuilder b(op);
    Location loc = op->getLoc();
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    Value result =
        memref::AllocOp::create(b, loc, MemRefType::get(type.getShape(), type.getElementType()));
    NormKernelBuilder(b, loc, *shape, warpsPerBlock)
        .build(attnc::gpu::bufferOf(b, loc, input), attnc::gpu::bufferOf(b, loc, scale),
               bias ? attnc::gpu::bufferOf(b, loc, bias) : Value(), result);
    op->getResult(0).replaceAllUsesWith(bufferization::ToTensorOp::create(
        b, loc, type, result, /*restrict=*/true, /*writable=*/true));
    op->erase();
  }
};

} // namespace

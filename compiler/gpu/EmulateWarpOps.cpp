//===- EmulateWarpOps.cpp - Warp-wide ops on CPU threads ------------------===//
//
// In emulation a GPU block is an OpenMP team, one CPU thread per GPU
// thread: a warp-wide instruction, whose lanes exchange registers, becomes
// an exchange through shared memory between two barriers. The fragment
// layout is MmaSyncLayout.h's, the one the tensor-core kernels load by.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/EmulateWarpOps.h"
#include "compiler/gpu/MmaSyncLayout.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
namespace mma = attnc::gpu::mma;

namespace {

bool isFragment(Value value, ArrayRef<int64_t> shape, bool narrow) {
  auto type = dyn_cast<VectorType>(value.getType());
  if (!type || type.getShape() != shape)
    return false;
  Type element = type.getElementType();
  return narrow ? element.isF16() || element.isBF16() : element.isF32();
}

bool isM16N8K16(nvgpu::MmaSyncOp op) {
  std::array<int64_t, 3> shape = op.getMmaShapeAsArray();
  return shape == std::array<int64_t, 3>{mma::kM, mma::kN, mma::kK} &&
         isFragment(op.getMatrixA(), {mma::kARegisters, mma::kPerRegister}, true) &&
         isFragment(op.getMatrixB(), {mma::kBRegisters, mma::kPerRegister}, true) &&
         isFragment(op.getMatrixC(), {mma::kCRegisters, mma::kPerRegister}, false);
}

/// What a lane needs to find its fragments' elements.
struct Lane {
  Value warp, number, group, pairColumn; // warp in the block, lane number, g, 2t
};

class WarpOpExpander {
public:
  WarpOpExpander(OpBuilder &b, Location loc, Lane lane, Value scratchA, Value scratchB,
                 Value scratchLanes, Value scratchRows)
      : b(b), loc(loc), lane(lane), scratchA(scratchA), scratchB(scratchB),
        scratchLanes(scratchLanes), scratchRows(scratchRows) {}

  Value expand(nvgpu::MmaSyncOp op);
  Value expand(mlir::gpu::ShuffleOp op);
  Value expand(nvgpu::LdMatrixOp op);

private:
  Value index(int64_t value) { return arith::ConstantIndexOp::create(b, loc, value); }
  Value plus(Value base, int64_t offset) {
    return b.createOrFold<arith::AddIOp>(loc, base, index(offset));
  }
  Value element(Value fragment, int64_t reg, int64_t e) {
    return vector::ExtractOp::create(b, loc, fragment, ArrayRef<int64_t>{reg, e});
  }

  OpBuilder &b;
  Location loc;
  Lane lane;
  Value scratchA, scratchB; // [warps][16][16], [warps][16][8] f32
  Value scratchLanes;       // [warps][32] f32
  Value scratchRows;        // [warps][32][2] index: the row each lane names
};

Value WarpOpExpander::expand(nvgpu::MmaSyncOp op) {
  Type f32 = b.getF32Type();
  for (int64_t reg = 0; reg < mma::kARegisters; ++reg)
    for (int64_t e = 0; e < mma::kPerRegister; ++e) {
      auto [row, k] = mma::aOffset(reg, e);
      Value value = arith::ExtFOp::create(b, loc, f32, element(op.getMatrixA(), reg, e));
      memref::StoreOp::create(
          b, loc, value, scratchA,
          ValueRange{lane.warp, plus(lane.group, row), plus(lane.pairColumn, k)});
    }
  for (int64_t reg = 0; reg < mma::kBRegisters; ++reg)
    for (int64_t e = 0; e < mma::kPerRegister; ++e) {
      auto [k, column] = mma::bOffset(reg, e);
      Value value = arith::ExtFOp::create(b, loc, f32, element(op.getMatrixB(), reg, e));
      memref::StoreOp::create(
          b, loc, value, scratchB,
          ValueRange{lane.warp, plus(lane.pairColumn, k), plus(lane.group, column)});
    }
  mlir::gpu::BarrierOp::create(b, loc);
  SmallVector<Value> sums;
  for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
    for (int64_t e = 0; e < mma::kPerRegister; ++e) {
      auto [rowPlus, columnPlus] = mma::cOffset(reg, e);
      Value row = plus(lane.group, rowPlus), column = plus(lane.pairColumn, columnPlus);
      auto loop = scf::ForOp::create(b, loc, index(0), index(mma::kK), index(1),
                                     ValueRange{element(op.getMatrixC(), reg, e)});
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value k = loop.getInductionVar();
      Value a = memref::LoadOp::create(b, loc, scratchA, ValueRange{lane.warp, row, k});
      Value bValue = memref::LoadOp::create(b, loc, scratchB, ValueRange{lane.warp, k, column});
      scf::YieldOp::create(
          b, loc, ValueRange{math::FmaOp::create(b, loc, a, bValue, loop.getRegionIterArgs()[0])});
      b.setInsertionPointAfter(loop);
      sums.push_back(loop.getResult(0));
    }
  // No lane overwrites the scratch (the next product's) before all have read.
  mlir::gpu::BarrierOp::create(b, loc);
  return vector::FromElementsOp::create(b, loc, cast<VectorType>(op.getRes().getType()), sums);
}

Value WarpOpExpander::expand(mlir::gpu::ShuffleOp op) {
  memref::StoreOp::create(b, loc, op.getValue(), scratchLanes, ValueRange{lane.warp, lane.number});
  mlir::gpu::BarrierOp::create(b, loc);
  Value partner = arith::XOrIOp::create(
      b, loc, lane.number,
      arith::IndexCastOp::create(b, loc, b.getIndexType(), op.getOffset()));
  Value value = memref::LoadOp::create(b, loc, scratchLanes, ValueRange{lane.warp, partner});
  mlir::gpu::BarrierOp::create(b, loc);
  return value;
}

Value WarpOpExpander::expand(nvgpu::LdMatrixOp op) {
  // Each lane names a row (its indices); lane l's register i is matrix
  // i's row l / 4, the row lane 8 i + l / 4 named, from column 2 (l % 4).
  // Transposed (.trans), it is matrix i's column l / 4 at rows 2 (l % 4)
  // and + 1: the rows lanes 8 i + 2 (l % 4) and + 1 named, each at column
  // l / 4 from where that lane's row starts.
  bool transpose = op.getTranspose();
  ValueRange indices = op.getIndices();
  for (int64_t d = 0; d < 2; ++d)
    memref::StoreOp::create(b, loc, indices[d], scratchRows,
                            ValueRange{lane.warp, lane.number, index(d)});
  mlir::gpu::BarrierOp::create(b, loc);
  auto type = cast<VectorType>(op.getRes().getType());
  SmallVector<Value> elements;
  auto named = [&](Value namer, int64_t d) {
    return memref::LoadOp::create(b, loc, scratchRows, ValueRange{lane.warp, namer, index(d)})
        .getResult();
  };
  for (int64_t reg = 0; reg < type.getDimSize(0); ++reg)
    for (int64_t e = 0; e < mma::kPerRegister; ++e) {
      Value namer = transpose ? plus(lane.pairColumn, 8 * reg + e) : plus(lane.group, 8 * reg);
      Value row = named(namer, 0);
      Value at = b.createOrFold<arith::AddIOp>(
          loc, named(namer, 1), transpose ? lane.group : plus(lane.pairColumn, e));
      elements.push_back(memref::LoadOp::create(b, loc, op.getSrcMemref(), ValueRange{row, at}));
    }
  mlir::gpu::BarrierOp::create(b, loc);
  return vector::FromElementsOp::create(b, loc, type, elements);
}

/// ldmatrix as the tensor-core kernels use it: 1, 2 or 4 matrices of
/// 16-bit elements from a 2-D buffer, plain or transposed.
bool isPlainLdMatrix(nvgpu::LdMatrixOp op) {
  auto source = cast<MemRefType>(op.getSrcMemref().getType());
  auto type = cast<VectorType>(op.getRes().getType());
  int64_t matrices = op.getNumTiles();
  return source.getRank() == 2 &&
         source.getElementType().getIntOrFloatBitWidth() == 16 &&
         (matrices == 1 || matrices == 2 || matrices == 4) &&
         type.getShape() == ArrayRef<int64_t>{matrices, mma::kPerRegister};
}

/// A butterfly shuffle of an f32 over the whole warp (what the attention
/// kernel's row reductions use).
bool isWarpXorShuffle(mlir::gpu::ShuffleOp op) {
  std::optional<int64_t> width = getConstantIntValue(op.getWidth());
  return op.getMode() == mlir::gpu::ShuffleMode::XOR && op.getValue().getType().isF32() &&
         width && *width == attnc::gpu::mma::kWarpSize;
}

} // namespace

namespace attnc::gpu {

LogicalResult expandWarpOps(mlir::gpu::LaunchOp launch) {
  SmallVector<nvgpu::MmaSyncOp> products;
  SmallVector<mlir::gpu::ShuffleOp> shuffles;
  SmallVector<nvgpu::LdMatrixOp> matrixLoads;
  launch.walk([&](nvgpu::MmaSyncOp op) { products.push_back(op); });
  launch.walk([&](mlir::gpu::ShuffleOp op) { shuffles.push_back(op); });
  launch.walk([&](nvgpu::LdMatrixOp op) { matrixLoads.push_back(op); });
  if (products.empty() && shuffles.empty() && matrixLoads.empty())
    return success();
  for (nvgpu::LdMatrixOp op : matrixLoads)
    if (!isPlainLdMatrix(op))
      return op.emitOpError("gpu-emulate-launches emulates ldmatrix of 1, 2 or 4 matrices "
                            "(plain or transposed) of 16-bit elements from a 2-D buffer only");
  for (nvgpu::MmaSyncOp op : products)
    if (!isM16N8K16(op))
      return op.emitOpError("gpu-emulate-launches emulates m16n8k16 products of fp16/bf16 "
                            "fragments into f32 only");
  for (mlir::gpu::ShuffleOp op : shuffles)
    if (!isWarpXorShuffle(op))
      return op.emitOpError("gpu-emulate-launches emulates xor shuffles of f32 over whole "
                            "warps (width 32) only");
  mlir::gpu::KernelDim3 blockSize = launch.getBlockSizeOperandValues();
  std::optional<int64_t> x = getConstantIntValue(blockSize.x),
                         y = getConstantIntValue(blockSize.y),
                         z = getConstantIntValue(blockSize.z);
  if (!x || !y || !z || (*x * *y * *z) % mma::kWarpSize)
    return launch.emitOpError("gpu-emulate-launches emulates warp-wide ops in blocks of a "
                              "constant number of whole warps");
  int64_t warps = *x * *y * *z / mma::kWarpSize;

  MLIRContext *context = launch.getContext();
  auto shared = mlir::gpu::AddressSpaceAttr::get(context, mlir::gpu::AddressSpace::Workgroup);
  auto scratchType = [&](ArrayRef<int64_t> shape) {
    SmallVector<int64_t> dims = {warps};
    dims.append(shape.begin(), shape.end());
    return MemRefType::get(dims, Float32Type::get(context), MemRefLayoutAttrInterface(), shared);
  };
  Location loc = launch.getLoc();
  Value scratchA, scratchB, scratchLanes;
  if (!products.empty()) {
    scratchA = launch.addWorkgroupAttribution(scratchType({mma::kM, mma::kK}), loc);
    scratchB = launch.addWorkgroupAttribution(scratchType({mma::kK, mma::kN}), loc);
  }
  if (!shuffles.empty())
    scratchLanes = launch.addWorkgroupAttribution(scratchType({mma::kWarpSize}), loc);
  Value scratchRows;
  if (!matrixLoads.empty())
    scratchRows = launch.addWorkgroupAttribution(
        MemRefType::get({warps, mma::kWarpSize, 2}, IndexType::get(context),
                        MemRefLayoutAttrInterface(), shared),
        loc);

  // The lane's place, computed once at the top of the body: linear thread
  // number x + X (y + Y z), as CUDA numbers a block's threads into warps.
  OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
  mlir::gpu::KernelDim3 ids = launch.getThreadIds(), sizes = launch.getBlockSize();
  Value linear = arith::AddIOp::create(
      b, loc, ids.x,
      arith::MulIOp::create(
          b, loc, sizes.x,
          arith::AddIOp::create(b, loc, ids.y, arith::MulIOp::create(b, loc, sizes.y, ids.z))));
  auto constant = [&](int64_t value) { return arith::ConstantIndexOp::create(b, loc, value); };
  Value laneNumber = arith::RemUIOp::create(b, loc, linear, constant(mma::kWarpSize));
  Lane lane{arith::DivUIOp::create(b, loc, linear, constant(mma::kWarpSize)), laneNumber,
            arith::DivUIOp::create(b, loc, laneNumber, constant(4)),
            arith::MulIOp::create(
                b, loc, arith::RemUIOp::create(b, loc, laneNumber, constant(4)), constant(2))};

  for (nvgpu::MmaSyncOp op : products) {
    OpBuilder at(op);
    Value result =
        WarpOpExpander(at, op.getLoc(), lane, scratchA, scratchB, scratchLanes, scratchRows)
            .expand(op);
    op.getRes().replaceAllUsesWith(result);
    op.erase();
  }
  for (nvgpu::LdMatrixOp op : matrixLoads) {
    OpBuilder at(op);
    Value result = WarpOpExpander(at, op.getLoc(), lane, scratchA, scratchB, scratchLanes,
                                  scratchRows)
                       .expand(op);
    op.getRes().replaceAllUsesWith(result);
    op.erase();
  }
  for (mlir::gpu::ShuffleOp op : shuffles) {
    OpBuilder at(op);
    Value result =
        WarpOpExpander(at, op.getLoc(), lane, scratchA, scratchB, scratchLanes, scratchRows)
            .expand(op);
    op.getShuffleResult().replaceAllUsesWith(result);
    // Every lane of a whole warp has a partner.
    op.getValid().replaceAllUsesWith(arith::ConstantIntOp::create(at, op.getLoc(), 1, 1));
    op.erase();
  }
  return success();
}

} // namespace attnc::gpu

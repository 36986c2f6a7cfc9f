//===- LowerSdpa.cpp - attn.sdpa as a FlashAttention kernel launch --------===//
//
// The CUDA backend's attention kernel, first version: scalar fp32 on CUDA
// cores. One thread block per (query block, query head, batch row), one
// thread per query row. The block walks the keys its rows' window allows in
// tiles staged in shared memory (every thread loads a share of the tile, so
// the global reads are coalesced and each key is read once per block, not
// once per row), and each thread keeps its row's online-softmax state: the
// running maximum and sum, and the output accumulator, rescaled once per
// tile. The query row, the accumulator and a tile's scores live in
// per-thread (private) memory.
//
// Why this shape first: it is the FlashAttention loop with the mask
// structure that decides which tiles exist, and it is simple enough to be
// right before a GPU has run it. Tensor cores (mma.sync, then wgmma) replace
// the two inner products in later steps; the tile walk and the softmax stay.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"
#include "dialects/attn/AttnOps.h"

#include <limits>

namespace attnc::gpu {
#define GEN_PASS_DEF_GPULOWERSDPAPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;

namespace {

using mlir::attn::SdpaDims;
using mlir::attn::SdpaOp;
using mlir::attn::SdpaTensor;
using mlir::attn::WindowAttr;

/// What the kernel needs to know about one attn.sdpa.
struct KernelShape {
  SdpaDims dims;
  int64_t qBlock, kvBlock;
  WindowAttr window;
  float scale;
  bool seqMajor[4];
};

/// Why the kernel cannot run `op` yet, or empty when it can.
std::string unsupportedReason(SdpaOp op) {
  if (op.getOffset())
    return "a query offset (KV-cache decoding)";
  if (op.getKeyMask())
    return "a key mask";
  if (op.getDenseMask())
    return "a dense mask";
  for (Value v : {op.getQuery(), op.getKey(), op.getValue()}) {
    auto type = cast<RankedTensorType>(v.getType());
    if (!type.hasStaticShape())
      return "run-time dims";
    if (!type.getElementType().isF32())
      return "element type " + std::to_string(type.getElementTypeBitWidth()) +
             "-bit (only f32 so far)";
  }
  return "";
}

/// Keys per shared-memory tile: K and V tiles together in 32 KiB, a
/// multiple of 8, at most 64.
int64_t defaultKvBlock(const SdpaDims &dims) {
  int64_t perKey = 4 * (dims.headDim + dims.valueDim);
  int64_t keys = (32 * 1024) / perKey;
  return std::max<int64_t>(8, std::min<int64_t>(64, keys / 8 * 8));
}

/// Builds the kernel body inside a gpu.launch.
class SdpaKernelBuilder {
public:
  SdpaKernelBuilder(OpBuilder &b, Location loc, const KernelShape &shape)
      : b(b), loc(loc), shape(shape) {}

  void build(gpu::LaunchOp launch, Value q, Value k, Value v, Value out);

private:
  Value index(int64_t value) { return arith::ConstantIndexOp::create(b, loc, value); }
  Value f32(float value) { return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(value)); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value minIdx(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value maxIdx(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value lessThan(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
  }

  /// Indices of element (batch, head, position, column) of sdpa tensor `t`.
  SmallVector<Value> at(SdpaTensor t, Value batch, Value head, Value position, Value column) {
    if (shape.seqMajor[unsigned(t)])
      return {batch, position, head, column};
    return {batch, head, position, column};
  }

  /// Stages keys [first, first + count) of `source` (K or V) into `tile`:
  /// element e of the tile is loaded by thread e mod qBlock; rows past
  /// `count` are zero.
  void stageTile(Value source, SdpaTensor which, Value tile, int64_t width, Value first,
                 Value count, Value thread, Value batch, Value kvHead);

  /// Scores of the tile's keys for this thread's row (window applied) into
  /// `scores`; returns their maximum.
  Value scoreTile(Value queryRow, Value keys, Value scores, Value row, Value first, Value count);

  /// Adds exp(score - rowMax) x value row of every key to the accumulator;
  /// returns the sum of those weights added to `sum`.
  Value accumulateTile(Value values, Value scores, Value accumulator, Value rowMax, Value sum,
                       Value count);

  /// Whether the key at `key` is in the window of the query at `row`.
  Value visible(Value row, Value key);

  /// `body(i)` for i in [lower, upper) step `step`.
  void forEach(Value lower, Value upper, Value step, function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, lower, upper, step);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVar());
  }

  OpBuilder &b;
  Location loc;
  const KernelShape &shape;
};

Value SdpaKernelBuilder::visible(Value row, Value key) {
  Value yes = arith::ConstantIntOp::create(b, loc, 1, 1);
  Value result = yes;
  if (!shape.window.isLeftUnbounded()) // key >= row - left
    result = arith::AndIOp::create(
        b, loc, result, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                              add(key, index(shape.window.getLeft())), row));
  if (!shape.window.isRightUnbounded()) // key <= row + right
    result = arith::AndIOp::create(
        b, loc, result, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, key,
                                              add(row, index(shape.window.getRight()))));
  return result;
}

void SdpaKernelBuilder::stageTile(Value source, SdpaTensor which, Value tile, int64_t width,
                                  Value first, Value count, Value thread, Value batch,
                                  Value kvHead) {
  Value widthV = index(width);
  forEach(thread, index(shape.kvBlock * width), index(shape.qBlock), [&](Value e) {
    Value r = arith::DivUIOp::create(b, loc, e, widthV);
    Value c = arith::RemUIOp::create(b, loc, e, widthV);
    auto load = scf::IfOp::create(b, loc, b.getF32Type(), lessThan(r, count),
                                  /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(load.thenBlock());
      Value x = memref::LoadOp::create(b, loc, source, at(which, batch, kvHead, add(first, r), c));
      scf::YieldOp::create(b, loc, x);
      b.setInsertionPointToStart(load.elseBlock());
      scf::YieldOp::create(b, loc, f32(0.0f));
    }
    memref::StoreOp::create(b, loc, load.getResult(0), tile, ValueRange{r, c});
  });
}

Value SdpaKernelBuilder::scoreTile(Value queryRow, Value keys, Value scores, Value row,
                                   Value first, Value count) {
  Value negInf = f32(-std::numeric_limits<float>::infinity());
  auto loop = scf::ForOp::create(b, loc, index(0), count, index(1), ValueRange{negInf});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value r = loop.getInductionVar();
  auto dot = scf::ForOp::create(b, loc, index(0), index(shape.dims.headDim), index(1),
                                ValueRange{f32(0.0f)});
  {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(dot.getBody());
    Value c = dot.getInductionVar();
    Value qc = memref::LoadOp::create(b, loc, queryRow, ValueRange{c});
    Value kc = memref::LoadOp::create(b, loc, keys, ValueRange{r, c});
    Value s = math::FmaOp::create(b, loc, qc, kc, dot.getRegionIterArgs()[0]);
    scf::YieldOp::create(b, loc, s);
  }
  Value score = arith::SelectOp::create(b, loc, visible(row, add(first, r)), dot.getResult(0),
                                        negInf);
  memref::StoreOp::create(b, loc, score, scores, ValueRange{r});
  Value rowMax = arith::MaximumFOp::create(b, loc, loop.getRegionIterArgs()[0], score);
  scf::YieldOp::create(b, loc, rowMax);
  return loop.getResult(0);
}

Value SdpaKernelBuilder::accumulateTile(Value values, Value scores, Value accumulator,
                                        Value rowMax, Value sum, Value count) {
  auto loop = scf::ForOp::create(b, loc, index(0), count, index(1), ValueRange{sum});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value r = loop.getInductionVar();
  Value score = memref::LoadOp::create(b, loc, scores, ValueRange{r});
  // A hidden key (-inf) weighs exp(-inf) = 0.
  Value weight = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, score, rowMax));
  forEach(index(0), index(shape.dims.valueDim), index(1), [&](Value c) {
    Value a = memref::LoadOp::create(b, loc, accumulator, ValueRange{c});
    Value vc = memref::LoadOp::create(b, loc, values, ValueRange{r, c});
    memref::StoreOp::create(b, loc, math::FmaOp::create(b, loc, weight, vc, a), accumulator,
                            ValueRange{c});
  });
  Value total = arith::AddFOp::create(b, loc, loop.getRegionIterArgs()[0], weight);
  scf::YieldOp::create(b, loc, total);
  return loop.getResult(0);
}

void SdpaKernelBuilder::build(gpu::LaunchOp launch, Value q, Value k, Value v, Value out) {
  const SdpaDims &d = shape.dims;
  Block &body = launch.getBody().front();
  b.setInsertionPointToStart(&body);
  Value keyTile = launch.getWorkgroupAttributions()[0];
  Value valueTile = launch.getWorkgroupAttributions()[1];
  Value queryRow = launch.getPrivateAttributions()[0];
  Value accumulator = launch.getPrivateAttributions()[1];
  Value scores = launch.getPrivateAttributions()[2];

  Value thread = launch.getThreadIds().x;
  Value qBlockIndex = launch.getBlockIds().x;
  Value head = launch.getBlockIds().y;
  Value batch = launch.getBlockIds().z;
  Value kvHead = arith::DivUIOp::create(b, loc, head, index(d.queryHeads / d.kvHeads));
  Value firstRow = mul(qBlockIndex, index(shape.qBlock));
  Value row = add(firstRow, thread);
  Value active = lessThan(row, index(d.queryLen));
  // Threads past the last row still stage tiles and meet the barriers; they
  // compute on the last row and store nothing.
  Value safeRow = minIdx(row, index(d.queryLen - 1));

  // The query row, scaled once; the accumulator at zero.
  Value scale = f32(shape.scale);
  forEach(index(0), index(d.headDim), index(1), [&](Value c) {
    Value x = memref::LoadOp::create(b, loc, q, at(SdpaTensor::Query, batch, head, safeRow, c));
    memref::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, x, scale), queryRow,
                            ValueRange{c});
  });
  forEach(index(0), index(d.valueDim), index(1), [&](Value c) {
    memref::StoreOp::create(b, loc, f32(0.0f), accumulator, ValueRange{c});
  });

  // The keys any row of this block may see: tiles outside never load.
  Value lastRow = sub(minIdx(add(firstRow, index(shape.qBlock)), index(d.queryLen)), index(1));
  Value keyBegin = index(0), keyEnd = index(d.keyLen);
  if (!shape.window.isLeftUnbounded())
    keyBegin = maxIdx(index(0), sub(firstRow, index(shape.window.getLeft())));
  if (!shape.window.isRightUnbounded())
    keyEnd = minIdx(keyEnd, add(lastRow, index(shape.window.getRight() + 1)));

  Value negInf = f32(-std::numeric_limits<float>::infinity());
  auto tiles = scf::ForOp::create(b, loc, keyBegin, keyEnd, index(shape.kvBlock),
                                  ValueRange{negInf, f32(0.0f)});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(tiles.getBody());
    Value first = tiles.getInductionVar();
    Value runningMax = tiles.getRegionIterArgs()[0];
    Value runningSum = tiles.getRegionIterArgs()[1];
    Value count = minIdx(index(shape.kvBlock), sub(keyEnd, first));
    stageTile(k, SdpaTensor::Key, keyTile, d.headDim, first, count, thread, batch, kvHead);
    stageTile(v, SdpaTensor::Value, valueTile, d.valueDim, first, count, thread, batch, kvHead);
    gpu::BarrierOp::create(b, loc);

    Value tileMax = scoreTile(queryRow, keyTile, scores, safeRow, first, count);
    Value newMax = arith::MaximumFOp::create(b, loc, runningMax, tileMax);
    // While the row has seen no key its maximum is -inf; subtracting 0
    // instead keeps exp(-inf - -inf) from making NaN (every weight is 0).
    Value seen = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, newMax, negInf);
    Value shift = arith::SelectOp::create(b, loc, seen, newMax, f32(0.0f));
    Value correction =
        math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, runningMax, shift));
    forEach(index(0), index(d.valueDim), index(1), [&](Value c) {
      Value a = memref::LoadOp::create(b, loc, accumulator, ValueRange{c});
      memref::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, a, correction), accumulator,
                              ValueRange{c});
    });
    Value rescaledSum = arith::MulFOp::create(b, loc, runningSum, correction);
    Value newSum = accumulateTile(valueTile, scores, accumulator, shift, rescaledSum, count);
    // Every thread is done with the tile before the next one overwrites it.
    gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, ValueRange{newMax, newSum});
  }

  // out = accumulator / sum; a row that saw no key (sum 0) yields zeros.
  Value sum = tiles.getResult(1);
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, sum, f32(0.0f));
  Value inverse = arith::SelectOp::create(
      b, loc, positive, arith::DivFOp::create(b, loc, f32(1.0f), sum), f32(0.0f));
  auto store = scf::IfOp::create(b, loc, active, /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(store.thenBlock()->getTerminator());
    forEach(index(0), index(d.valueDim), index(1), [&](Value c) {
      Value a = memref::LoadOp::create(b, loc, accumulator, ValueRange{c});
      memref::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, a, inverse), out,
                              at(SdpaTensor::Result, batch, head, row, c));
    });
  }
  gpu::TerminatorOp::create(b, loc);
}

/// A memref of `shape` in address space `space`.
MemRefType spaceMemRef(ArrayRef<int64_t> shape, gpu::AddressSpace space, MLIRContext *ctx) {
  return MemRefType::get(shape, Float32Type::get(ctx), MemRefLayoutAttrInterface(),
                         gpu::AddressSpaceAttr::get(ctx, space));
}

/// The buffer of tensor `value`, any layout (the kernel indexes through
/// the strides).
Value bufferOf(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  auto memref = bufferization::getMemRefTypeWithFullyDynamicLayout(type);
  return bufferization::ToBufferOp::create(b, loc, memref, value, /*read_only=*/true);
}

struct GpuLowerSdpaPass : public attnc::gpu::impl::GpuLowerSdpaPassBase<GpuLowerSdpaPass> {
  using GpuLowerSdpaPassBase::GpuLowerSdpaPassBase;

  void runOnOperation() override {
    if (qBlock < 1 || qBlock > 1024 || (kvBlock != 0 && kvBlock < 1)) {
      getOperation().emitError("gpu-lower-sdpa: q-block must be in [1, 1024] and kv-block >= 0");
      return signalPassFailure();
    }
    SmallVector<SdpaOp> ops;
    getOperation().walk([&](SdpaOp op) { ops.push_back(op); });
    for (SdpaOp op : ops)
      if (failed(lower(op)))
        return signalPassFailure();
  }

  LogicalResult lower(SdpaOp op) {
    // Left for attn-decompose-sdpa: its matmuls and softmax run as the
    // generic kernels every other op gets (gpu-loops-to-kernels).
    if (!unsupportedReason(op).empty())
      return success();
    MLIRContext *ctx = op.getContext();
    KernelShape shape;
    shape.dims = op.getDims();
    shape.qBlock = std::min<int64_t>(qBlock, shape.dims.queryLen);
    shape.kvBlock = std::min<int64_t>(kvBlock ? kvBlock : defaultKvBlock(shape.dims),
                                      shape.dims.keyLen);
    shape.window = op.getWindow();
    shape.scale = op.getScale().convertToFloat();
    for (SdpaTensor t : {SdpaTensor::Query, SdpaTensor::Key, SdpaTensor::Value,
                         SdpaTensor::Result})
      shape.seqMajor[unsigned(t)] = op.isSeqMajor(t);
    const SdpaDims &d = shape.dims;

    OpBuilder b(op);
    Location loc = op.getLoc();
    Value q = bufferOf(b, loc, op.getQuery());
    Value k = bufferOf(b, loc, op.getKey());
    Value v = bufferOf(b, loc, op.getValue());
    auto resultType = cast<RankedTensorType>(op.getType());
    Value out = memref::AllocOp::create(
        b, loc, MemRefType::get(resultType.getShape(), resultType.getElementType()));

    auto c = [&](int64_t value) { return arith::ConstantIndexOp::create(b, loc, value); };
    Value one = c(1);
    auto launch = gpu::LaunchOp::create(
        b, loc, c(llvm::divideCeil(d.queryLen, shape.qBlock)), c(d.queryHeads), c(d.batch),
        c(shape.qBlock), one, one, /*dynamicSharedMemorySize=*/nullptr,
        /*asyncTokenType=*/nullptr, /*asyncDependencies=*/ValueRange{},
        TypeRange{spaceMemRef({shape.kvBlock, d.headDim}, gpu::AddressSpace::Workgroup, ctx),
                  spaceMemRef({shape.kvBlock, d.valueDim}, gpu::AddressSpace::Workgroup, ctx)},
        TypeRange{spaceMemRef({d.headDim}, gpu::AddressSpace::Private, ctx),
                  spaceMemRef({d.valueDim}, gpu::AddressSpace::Private, ctx),
                  spaceMemRef({shape.kvBlock}, gpu::AddressSpace::Private, ctx)});
    {
      OpBuilder::InsertionGuard guard(b);
      SdpaKernelBuilder(b, loc, shape).build(launch, q, k, v, out);
    }
    Value result = bufferization::ToTensorOp::create(b, loc, resultType, out, /*restrict=*/true,
                                                     /*writable=*/true);
    op.replaceAllUsesWith(result);
    op.erase();
    return success();
  }
};

} // namespace

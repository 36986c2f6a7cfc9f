//===- EntryPoint.cpp - Destination-passing entry for compiled models ---===//

#include "compiler/cpu/EntryPoint.h"
#include "compiler/cpu/Passes.h"
#include "dialects/attn/AttnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "llvm/ADT/BitVector.h"

namespace attnc::cpu {
#define GEN_PASS_DEF_CPUENTRYPOINTPASS
#include "compiler/cpu/Passes.h.inc"
} // namespace attnc::cpu

using namespace mlir;

namespace attnc {

/// Whether `type` has no elements (never true of one with run-time dims,
/// which are at least 1).
static bool isEmptyTensor(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return tensor.hasStaticShape() && tensor.getNumElements() == 0;
}

static MemRefType memrefFor(Type tensorType) {
  auto tensor = cast<RankedTensorType>(tensorType);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

/// Row-major strides of `shape` (all static).
static SmallVector<int64_t> denseStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  return strides;
}

/// The shape of `append`'s cache buffer: the cache's, with `capacity`
/// positions along the axis, or a ring's 2 x slots (each position twice).
static SmallVector<int64_t> cacheBufferShape(attn::KvAppendOp append) {
  SmallVector<int64_t> shape(append.getCache().getType().getShape());
  std::optional<uint64_t> ring = append.getRing();
  shape[append.getAxis()] = ring ? 2 * (int64_t)*ring : append.getCapacity();
  return shape;
}

/// A KV cache argument: the cached positions as a view into a buffer with
/// room for the capacity (strides of the whole buffer, sizes of what it
/// holds now).
static MemRefType cacheViewType(attn::KvAppendOp append) {
  auto cache = cast<RankedTensorType>(append.getCache().getType());
  auto layout = StridedLayoutAttr::get(cache.getContext(), /*offset=*/0,
                                       denseStrides(cacheBufferShape(append)));
  return MemRefType::get(cache.getShape(), cache.getElementType(), layout);
}

/// The in-place appends among `ret`'s operands (attn-kv-cache-in-place's
/// `attn.kv_append` of an argument), by the argument they append to; sets
/// the operands' bits in `presents`.
static llvm::DenseMap<BlockArgument, attn::KvAppendOp>
cacheAppends(func::ReturnOp ret, Block &entry, llvm::BitVector &presents) {
  llvm::DenseMap<BlockArgument, attn::KvAppendOp> appends;
  presents.resize(ret.getNumOperands());
  for (auto [index, result] : llvm::enumerate(ret.getOperands()))
    if (auto append = result.getDefiningOp<attn::KvAppendOp>())
      if (auto arg = dyn_cast<BlockArgument>(append.getCache()); arg && arg.getOwner() == &entry) {
        appends[arg] = append;
        presents.set(index);
      }
  return appends;
}

namespace {

/// Builds the index arithmetic and slices of one cache along its axis.
struct AxisSlicer {
  OpBuilder &builder;
  Location loc;
  int64_t axis;

  Value index(int64_t value) { return arith::ConstantIndexOp::create(builder, loc, value); }
  OpFoldResult zero() { return builder.getIndexAttr(0); }
  /// The extent along the axis: a constant when static.
  Value dim(Value tensor) {
    return getValueOrCreateConstantIndexOp(builder, loc,
                                           tensor::getMixedSize(builder, loc, tensor, axis));
  }

  /// Positions [offset, offset + size) of `tensor`.
  Value extract(Value tensor, OpFoldResult offset, Value size) {
    auto type = cast<RankedTensorType>(tensor.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), zero());
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(builder, loc, tensor);
    SmallVector<OpFoldResult> ones(type.getRank(), builder.getIndexAttr(1));
    offsets[axis] = offset;
    sizes[axis] = getAsOpFoldResult(size);
    SmallVector<int64_t> shape(type.getShape());
    shape[axis] = ShapedType::kDynamic;
    auto sliceType = RankedTensorType::get(shape, type.getElementType());
    return tensor::ExtractSliceOp::create(builder, loc, sliceType, tensor, offsets, sizes, ones);
  }

  /// `rows` (`count` positions) written into `dest` from position `offset`
  /// on.
  Value insert(Value rows, Value count, Value dest, OpFoldResult offset) {
    auto type = cast<RankedTensorType>(rows.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), zero());
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(builder, loc, rows);
    SmallVector<OpFoldResult> ones(type.getRank(), builder.getIndexAttr(1));
    offsets[axis] = offset;
    sizes[axis] = getAsOpFoldResult(count);
    return tensor::InsertSliceOp::create(builder, loc, rows, dest, offsets, sizes, ones);
  }
};

/// Replaces `kvWindow` by `held` (cast to its type where that is more
/// static) and `first`.
void replaceWindow(attn::KvWindowOp kvWindow, Value held, Value first) {
  if (held.getType() != kvWindow.getHeld().getType()) {
    OpBuilder builder(kvWindow);
    held = tensor::CastOp::create(builder, kvWindow.getLoc(), kvWindow.getHeld().getType(), held);
  }
  kvWindow.getHeld().replaceAllUsesWith(held);
  kvWindow.getFirst().replaceAllUsesWith(first);
  kvWindow.erase();
}

/// The last `slots` positions of the positions [0, end) and where they
/// start: [first, end) with first = max(0, end - slots).
std::pair<Value, Value> lastPositions(AxisSlicer &at, Value end, int64_t slots) {
  Value first = arith::MaxSIOp::create(
      at.builder, at.loc, arith::SubIOp::create(at.builder, at.loc, end, at.index(slots)),
      at.index(0));
  return {first, arith::SubIOp::create(at.builder, at.loc, end, first)};
}

Value firstAsTensor(AxisSlicer &at, Value first) {
  Value asI64 = arith::IndexCastOp::create(at.builder, at.loc, at.builder.getI64Type(), first);
  return tensor::FromElementsOp::create(
      at.builder, at.loc, RankedTensorType::get({}, at.builder.getI64Type()), asI64);
}

} // namespace

/// Replaces `append` by its rows written into `state` (the whole cache
/// buffer, as a tensor) after the cached positions, and the result by the
/// view of the cache that now holds them. Returns the updated state.
static Value appendInPlace(attn::KvAppendOp append, Value state) {
  OpBuilder builder(append);
  AxisSlicer at{builder, append.getLoc(), (int64_t)append.getAxis()};
  Value held = at.dim(append.getCache()), count = at.dim(append.getRows());
  Value updated = at.insert(append.getRows(), count, state, held);
  // The cached positions and the new ones.
  Value total = arith::AddIOp::create(builder, at.loc, held, count);
  append.replaceAllUsesWith(at.extract(updated, at.zero(), total));
  append.erase();
  return updated;
}

/// Replaces a ring `append` (ring = R, `state` its buffer of 2R slots) by
/// its rows written at both slots of each new position (a mod R and R +
/// a mod R), and its windows by the contiguous range of the last positions
/// (any R consecutive positions are contiguous in such a buffer). Returns
/// the updated state.
static Value appendToRing(attn::KvAppendOp append, Value state) {
  OpBuilder builder(append);
  AxisSlicer at{builder, append.getLoc(), (int64_t)append.getAxis()};
  int64_t slots = (int64_t)*append.getRing();
  Value ring = at.index(slots);
  Value rows = append.getRows();
  Value held = at.dim(append.getCache()), count = at.dim(rows);
  // The rows go to slots [start, start + count), which runs past R when
  // they wrap: those are the mirrors of the wrapped ones. Then the mirrors
  // of the rows before the wrap, and the wrapped rows' own slots from 0.
  Value start = arith::RemUIOp::create(builder, at.loc, held, ring);
  Value beforeWrap = arith::MinUIOp::create(
      builder, at.loc, count, arith::SubIOp::create(builder, at.loc, ring, start));
  Value afterWrap = arith::SubIOp::create(builder, at.loc, count, beforeWrap);
  Value updated = at.insert(rows, count, state, start);
  updated = at.insert(at.extract(rows, at.zero(), beforeWrap), beforeWrap, updated,
                      arith::AddIOp::create(builder, at.loc, start, ring).getResult());
  updated = at.insert(at.extract(rows, beforeWrap, afterWrap), afterWrap, updated, at.zero());
  Value end = arith::AddIOp::create(builder, at.loc, held, count);
  auto [first, length] = lastPositions(at, end, slots);
  Value from = arith::RemUIOp::create(builder, at.loc, first, ring);
  Value window = at.extract(updated, from, length);
  Value firstTensor = firstAsTensor(at, first);
  for (Operation *user : llvm::make_early_inc_range(append->getUsers()))
    if (auto kvWindow = dyn_cast<attn::KvWindowOp>(user))
      replaceWindow(kvWindow, window, firstTensor);
  // The present itself (a result the entry point drops) is never read.
  append.replaceAllUsesWith(window);
  append.erase();
  return updated;
}

/// Lowers the attn.kv_window ops left (of caches that are no ring): a
/// slice of the cache's last positions.
static void sliceWindows(func::FuncOp func) {
  SmallVector<attn::KvWindowOp> windows;
  func.walk([&](attn::KvWindowOp kvWindow) { windows.push_back(kvWindow); });
  for (attn::KvWindowOp kvWindow : windows) {
    OpBuilder builder(kvWindow);
    AxisSlicer at{builder, kvWindow.getLoc(), (int64_t)kvWindow.getAxis()};
    auto [first, length] = lastPositions(at, at.dim(kvWindow.getCache()), kvWindow.getSlots());
    replaceWindow(kvWindow, at.extract(kvWindow.getCache(), first, length),
                  firstAsTensor(at, first));
  }
}

void convertToDestinationPassingEntry(func::FuncOp func) {
  Block &entry = func.getBody().front();
  OpBuilder builder = OpBuilder::atBlockBegin(&entry);
  Location loc = func.getLoc();

  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  llvm::BitVector presents;
  llvm::DenseMap<BlockArgument, attn::KvAppendOp> appends = cacheAppends(ret, entry, presents);

  // Inputs: the caller's buffers, read-only, aliasing nothing else. A
  // zero-element input carries no data (and has no bare-pointer form): it
  // becomes a tensor.empty and leaves the signature. A KV cache kept in
  // place is read as its cached positions and written, past them, through
  // a view of its whole buffer (`states`).
  SmallVector<Type> argTypes;
  llvm::BitVector emptyArgs(entry.getNumArguments());
  SmallVector<std::pair<Value, Value>> states; // (updated tensor, buffer)
  for (BlockArgument arg : entry.getArguments()) {
    Type tensorType = arg.getType();
    if (isEmptyTensor(tensorType)) {
      auto type = cast<RankedTensorType>(tensorType);
      Value empty = tensor::EmptyOp::create(builder, loc, type.getShape(),
                                            type.getElementType());
      arg.replaceAllUsesWith(empty);
      emptyArgs.set(arg.getArgNumber());
      continue;
    }
    auto append = appends.lookup(arg);
    arg.setType(append ? cacheViewType(append) : memrefFor(tensorType));
    auto tensor = bufferization::ToTensorOp::create(
        builder, loc, tensorType, arg, /*restrict=*/true, /*writable=*/false);
    arg.replaceAllUsesExcept(tensor, tensor);
    argTypes.push_back(arg.getType());
    if (!append)
      continue;
    SmallVector<int64_t> shape = cacheBufferShape(append);
    auto bufferType = MemRefType::get(shape, append.getType().getElementType());
    Value buffer = memref::ReinterpretCastOp::create(builder, loc, bufferType, arg, 0, shape,
                                                     denseStrides(shape));
    auto stateType = RankedTensorType::get(shape, bufferType.getElementType());
    Value state = bufferization::ToTensorOp::create(builder, loc, stateType, buffer,
                                                    /*restrict=*/true, /*writable=*/true);
    states.push_back({append.getRing() ? appendToRing(append, state)
                                       : appendInPlace(append, state),
                      buffer});
  }
  sliceWindows(func);

  entry.eraseArguments(emptyArgs);

  // Outputs: one caller-owned buffer per non-empty result, written in place.
  // A cache's present is no output: its rows are in the cache's buffer.
  builder.setInsertionPoint(ret);
  for (auto [updated, buffer] : states) {
    auto materialize = bufferization::MaterializeInDestinationOp::create(builder, loc, updated,
                                                                         buffer);
    materialize.setRestrict(true);
    materialize.setWritable(true);
  }
  for (auto [index, result] : llvm::enumerate(ret.getOperands())) {
    if (isEmptyTensor(result.getType()) || presents.test(index))
      continue;
    Value out = entry.addArgument(memrefFor(result.getType()), loc);
    argTypes.push_back(out.getType());
    auto materialize = bufferization::MaterializeInDestinationOp::create(
        builder, loc, result, out);
    materialize.setRestrict(true);
    materialize.setWritable(true);
  }
  func::ReturnOp::create(builder, loc);
  ret.erase();

  func.setType(FunctionType::get(func.getContext(), argTypes, {}));
  func.setSymName(kEntryFunctionName);
  // Argument/result attributes (names) have served their purpose.
  func->removeAttr(func.getArgAttrsAttrName());
  func->removeAttr(func.getResAttrsAttrName());
}

namespace {

struct CpuEntryPointPass : cpu::impl::CpuEntryPointPassBase<CpuEntryPointPass> {
  void runOnOperation() override {
    auto main = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!main) {
      getOperation().emitError("expected a 'func.func @main' to compile");
      return signalPassFailure();
    }
    convertToDestinationPassingEntry(main);
  }
};

} // namespace

int64_t entryWorkspaceBytes(ModuleOp module) {
  Operation *entry = module.lookupSymbol(kEntryFunctionName);
  auto plan = entry ? entry->getAttrOfType<DictionaryAttr>("attn.memory_plan") : nullptr;
  auto workspace = plan ? plan.getAs<BoolAttr>("workspace") : nullptr;
  auto bytes = plan ? plan.getAs<IntegerAttr>("arena_bytes") : nullptr;
  if (!workspace || !workspace.getValue() || !bytes)
    return 0;
  return bytes.getInt();
}

} // namespace attnc

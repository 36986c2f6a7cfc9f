//===- PlanMemory.cpp - Static intermediates in one arena by liveness ---===//
//
// After bufferization every intermediate tensor of a model is a
// memref.alloc of a static shape, freed after its last use: one malloc and
// one free per intermediate per run. This pass gives each such buffer an
// offset in one byte arena instead, buffers whose live ranges are disjoint
// sharing bytes, so a run allocates nothing (the arena is the runtime's
// workspace) or once (an arena allocated per call).
//
// A parallel loop's per-task scratch (a tile of the tiled attention too
// large for the task's stack) is planned too: the loop gets one slab with a
// slot per task, live while the loop runs, and each task takes the slot of
// its index. With the runtime's workspace as the arena, a run of a model
// with static shapes calls malloc nowhere, so it cannot fail for memory
// half-way either.
//
// Stages: collect the candidate allocs and their live ranges (collectBuffers,
// collectTaskBuffers), place them (placeBuffers), rewrite them into views of
// the arena (rewriteIntoArena).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNPLANMEMORYPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// One planned buffer: its alloc, its live range in the entry block's op
/// order (both ends inclusive), its size and alignment in bytes, and the
/// arena offset placeBuffers gives it. A task buffer is a slab of
/// `slotBytes` per task of `taskLoop`.
struct Buffer {
  memref::AllocOp alloc;
  int64_t first = 0;
  int64_t last = 0;
  int64_t bytes = 0;
  int64_t alignment = 1;
  int64_t offset = -1;
  scf::ParallelOp taskLoop;
  int64_t slotBytes = 0;

  bool livesWith(const Buffer &other) const {
    return first <= other.last && other.first <= last;
  }
};

int64_t alignTo(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

/// Every op that uses `alloc`'s memory, following each value that may
/// alias it: the results of any op that takes an alias (views, loops
/// carrying it, selects), and the results of the op around a nested
/// terminator that yields one. std::nullopt when an alias escapes what a
/// plan can see: turned into a tensor, freed, or yielded by a terminator
/// of `scope`'s block (the function's return, a task's end).
std::optional<SmallVector<Operation *>> aliasUsers(memref::AllocOp alloc, Block *scope) {
  llvm::SmallPtrSet<Value, 16> seen;
  SmallVector<Value> aliases{alloc.getResult()};
  SmallVector<Operation *> users;
  auto follow = [&](ValueRange values) {
    for (Value value : values)
      if (isa<BaseMemRefType>(value.getType()) && seen.insert(value).second)
        aliases.push_back(value);
  };
  while (!aliases.empty()) {
    Value alias = aliases.pop_back_val();
    for (OpOperand &use : alias.getUses()) {
      Operation *user = use.getOwner();
      bool leavesScope = user->getBlock() == scope && user->hasTrait<OpTrait::IsTerminator>();
      if (leavesScope || isa<memref::DeallocOp>(user) ||
          llvm::any_of(user->getResultTypes(), llvm::IsaPred<TensorType>))
        return std::nullopt;
      follow(user->getResults());
      if (user->hasTrait<OpTrait::IsTerminator>())
        follow(user->getParentOp()->getResults());
      users.push_back(user);
    }
  }
  return users;
}

/// The last entry-block position at which `alloc`'s memory is used, or
/// std::nullopt when it escapes the function.
std::optional<int64_t> lastUse(memref::AllocOp alloc,
                               const llvm::DenseMap<Operation *, int64_t> &position) {
  Block *entry = alloc->getBlock();
  std::optional<SmallVector<Operation *>> users = aliasUsers(alloc, entry);
  if (!users)
    return std::nullopt;
  int64_t last = position.lookup(alloc);
  for (Operation *user : *users) {
    Operation *top = entry->findAncestorOpInBlock(*user);
    if (!top)
      return std::nullopt;
    last = std::max(last, position.lookup(top));
  }
  return last;
}

/// The byte size of a memref the arena can hold: static, identity layout,
/// default memory space, int or float elements; std::nullopt otherwise.
std::optional<int64_t> plannableBytes(MemRefType type, const DataLayout &layout) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() || type.getMemorySpace() ||
      !type.getElementType().isIntOrFloat())
    return std::nullopt;
  return type.getNumElements() *
         static_cast<int64_t>(layout.getTypeSize(type.getElementType()).getFixedValue());
}

/// How many tasks `loop` runs, when its bounds and steps are constants.
std::optional<int64_t> taskCount(scf::ParallelOp loop) {
  int64_t tasks = 1;
  for (auto [lower, upper, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> lb = getConstantIntValue(lower), ub = getConstantIntValue(upper),
                           st = getConstantIntValue(step);
    if (!lb || !ub || !st || *st <= 0)
      return std::nullopt;
    tasks *= std::max<int64_t>(0, (*ub - *lb + *st - 1) / *st);
  }
  return tasks;
}

/// A slab larger than this stays on the heap, one buffer per task: the
/// arena should not grow by a loop of many tasks' scratch.
constexpr int64_t kMaxTaskSlabBytes = 64 << 20;

/// The static allocs directly in the body of `loop` (an entry-block
/// parallel loop at `position`) whose memory stays inside the task, each
/// as a slab of one aligned slot per task, live while the loop runs.
void collectTaskBuffers(scf::ParallelOp loop, int64_t position, const DataLayout &layout,
                        int64_t minAlignment, bool sequentialTasks,
                        SmallVectorImpl<Buffer> &buffers) {
  std::optional<int64_t> tasks = taskCount(loop);
  if (!tasks || *tasks == 0)
    return;
  // Tasks that run one after another reuse one slot.
  int64_t slots = sequentialTasks ? 1 : *tasks;
  Block *body = loop.getBody();
  for (auto alloc : body->getOps<memref::AllocOp>()) {
    std::optional<int64_t> bytes = plannableBytes(alloc.getType(), layout);
    if (!bytes || *bytes == 0 || !aliasUsers(alloc, body))
      continue;
    Buffer buffer;
    buffer.alloc = alloc;
    buffer.first = buffer.last = position;
    buffer.alignment = std::max<int64_t>(minAlignment, alloc.getAlignment().value_or(1));
    buffer.taskLoop = slots > 1 ? loop : scf::ParallelOp();
    buffer.slotBytes = alignTo(*bytes, buffer.alignment);
    buffer.bytes = buffer.slotBytes * slots;
    if (buffer.bytes <= kMaxTaskSlabBytes)
      buffers.push_back(buffer);
  }
}

/// The non-empty static allocs directly in `func`'s entry block that can be
/// planned.
SmallVector<Buffer> collectBuffers(func::FuncOp func, int64_t minAlignment,
                                   bool sequentialTasks) {
  Block &entry = func.getBody().front();
  llvm::DenseMap<Operation *, int64_t> position;
  for (auto [index, op] : llvm::enumerate(entry))
    position[&op] = index;

  DataLayout layout = DataLayout::closest(func);
  SmallVector<Buffer> buffers;
  for (auto alloc : entry.getOps<memref::AllocOp>()) {
    // Empty buffers hold nothing to place.
    std::optional<int64_t> bytes = plannableBytes(alloc.getType(), layout);
    if (!bytes || *bytes == 0)
      continue;
    std::optional<int64_t> last = lastUse(alloc, position);
    if (!last)
      continue;
    Buffer buffer;
    buffer.alloc = alloc;
    buffer.first = position.lookup(alloc);
    buffer.last = *last;
    buffer.bytes = *bytes;
    buffer.alignment = std::max<int64_t>(minAlignment, alloc.getAlignment().value_or(1));
    buffers.push_back(buffer);
  }
  for (auto loop : entry.getOps<scf::ParallelOp>())
    collectTaskBuffers(loop, position.lookup(loop), layout, minAlignment, sequentialTasks,
                       buffers);
  return buffers;
}

/// Gives every buffer an offset, largest first, each at the lowest aligned
/// offset that no already placed buffer living at the same time occupies.
/// Returns the arena's size.
int64_t placeBuffers(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &buffer : buffers)
    order.push_back(&buffer);
  // Allocs have distinct positions, so this order is total.
  llvm::sort(order, [](const Buffer *a, const Buffer *b) {
    return a->bytes > b->bytes || (a->bytes == b->bytes && a->first < b->first);
  });

  int64_t arenaBytes = 0;
  SmallVector<const Buffer *> placed;
  for (Buffer *buffer : order) {
    SmallVector<const Buffer *> neighbours;
    for (const Buffer *other : placed)
      if (buffer->livesWith(*other))
        neighbours.push_back(other);
    llvm::sort(neighbours,
               [](const Buffer *a, const Buffer *b) { return a->offset < b->offset; });
    int64_t offset = 0;
    for (const Buffer *other : neighbours) {
      if (alignTo(offset, buffer->alignment) + buffer->bytes <= other->offset)
        break;
      offset = std::max(offset, other->offset + other->bytes);
    }
    buffer->offset = alignTo(offset, buffer->alignment);
    arenaBytes = std::max(arenaBytes, buffer->offset + buffer->bytes);
    placed.push_back(buffer);
  }
  return arenaBytes;
}

/// The task's index in `loop`'s iteration space, row-major over its
/// dimensions, computed at the builder's insertion point (in the body).
Value taskIndex(OpBuilder &builder, Location loc, scf::ParallelOp loop) {
  auto constant = [&](int64_t value) { return arith::ConstantIndexOp::create(builder, loc, value); };
  Value index;
  for (auto [iv, lower, upper, step] : llvm::zip(loop.getInductionVars(), loop.getLowerBound(),
                                                 loop.getUpperBound(), loop.getStep())) {
    int64_t lb = *getConstantIntValue(lower), ub = *getConstantIntValue(upper),
            st = *getConstantIntValue(step);
    Value local = iv;
    if (lb != 0)
      local = arith::SubIOp::create(builder, loc, local, constant(lb));
    if (st != 1)
      local = arith::DivUIOp::create(builder, loc, local, constant(st));
    if (index) {
      Value extent = constant((ub - lb + st - 1) / st);
      local = arith::AddIOp::create(builder, loc,
                                    arith::MulIOp::create(builder, loc, index, extent), local);
    }
    index = local;
  }
  return index;
}

/// Replaces every planned alloc by a view of `arena` at its offset (plus
/// its task's slot in a slab).
void rewriteIntoArena(OpBuilder &builder, Value arena, ArrayRef<Buffer> buffers) {
  for (const Buffer &buffer : buffers) {
    memref::AllocOp alloc = buffer.alloc;
    builder.setInsertionPoint(alloc);
    Location loc = alloc.getLoc();
    Value offset = arith::ConstantIndexOp::create(builder, loc, buffer.offset);
    if (buffer.taskLoop) {
      Value slot = arith::MulIOp::create(
          builder, loc, taskIndex(builder, loc, buffer.taskLoop),
          arith::ConstantIndexOp::create(builder, loc, buffer.slotBytes));
      offset = arith::AddIOp::create(builder, loc, offset, slot);
    }
    Value view = memref::ViewOp::create(builder, loc, alloc.getType(), arena, offset,
                                        ValueRange{});
    alloc.getResult().replaceAllUsesWith(view);
    alloc.erase();
  }
}

struct AttnPlanMemoryPass : attn::impl::AttnPlanMemoryPassBase<AttnPlanMemoryPass> {
  using AttnPlanMemoryPassBase::AttnPlanMemoryPassBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (alignment < 1 || !llvm::isPowerOf2_64(alignment)) {
      func.emitError("attn-plan-memory: alignment must be a positive power of two, got ")
          << static_cast<int64_t>(alignment);
      return signalPassFailure();
    }
    if (func.isExternal())
      return;
    SmallVector<Buffer> buffers = collectBuffers(func, alignment, sequentialTasks);
    int64_t arenaBytes = placeBuffers(buffers);
    int64_t unplanned = 0;
    func.walk([&](memref::AllocOp) { ++unplanned; });
    unplanned -= static_cast<int64_t>(buffers.size());

    Builder attrs(func.getContext());
    func->setAttr("attn.memory_plan",
                  attrs.getDictionaryAttr({
                      attrs.getNamedAttr("arena_bytes", attrs.getI64IntegerAttr(arenaBytes)),
                      attrs.getNamedAttr("buffers",
                                         attrs.getI64IntegerAttr(buffers.size())),
                      attrs.getNamedAttr("heap_allocs", attrs.getI64IntegerAttr(unplanned)),
                      attrs.getNamedAttr("workspace", attrs.getBoolAttr(workspaceArgument &&
                                                                         arenaBytes > 0)),
                  }));
    if (buffers.empty())
      return;

    Block &entry = func.getBody().front();
    OpBuilder builder = OpBuilder::atBlockBegin(&entry);
    auto arenaType = MemRefType::get({arenaBytes}, builder.getI8Type());
    Value arena;
    if (workspaceArgument) {
      // The runtime's workspace: a new last argument, so nothing is
      // allocated per run.
      if (failed(func.insertArgument(func.getNumArguments(), arenaType, {}, func.getLoc())))
        return signalPassFailure();
      arena = entry.getArguments().back();
    } else {
      arena = memref::AllocOp::create(builder, func.getLoc(), arenaType,
                                      builder.getI64IntegerAttr(alignment));
    }
    rewriteIntoArena(builder, arena, buffers);
  }
};

} // namespace

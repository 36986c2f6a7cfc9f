//===- PlanMemory.cpp - Static intermediates in one arena by liveness ---===//
//
// After bufferization every intermediate tensor of a model is a
// memref.alloc of a static shape, freed after its last use: one malloc and
// one free per intermediate per run. This pass gives each such buffer an
// offset in one byte arena instead, buffers whose live ranges are disjoint
// sharing bytes, so a run allocates nothing (the arena is the runtime's
// workspace) or once (an arena allocated per call).
//
// Stages: collect the candidate allocs and their live ranges (collectBuffers),
// place them (placeBuffers), rewrite them into views of the arena
// (rewriteIntoArena).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
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
/// arena offset placeBuffers gives it.
struct Buffer {
  memref::AllocOp alloc;
  int64_t first = 0;
  int64_t last = 0;
  int64_t bytes = 0;
  int64_t alignment = 1;
  int64_t offset = -1;

  bool livesWith(const Buffer &other) const {
    return first <= other.last && other.first <= last;
  }
};

int64_t alignTo(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

/// The last entry-block position at which `alloc`'s memory is used.
/// Every value that may alias it is followed: the results of any op that
/// takes an alias (views, loops carrying it, selects), and the results of
/// the op around a nested terminator that yields one. std::nullopt when an
/// alias leaves what the plan can see (returned from the function, turned
/// into a tensor, freed): the buffer then stays on the heap.
std::optional<int64_t> lastUse(memref::AllocOp alloc,
                               const llvm::DenseMap<Operation *, int64_t> &position) {
  Block *entry = alloc->getBlock();
  int64_t last = position.lookup(alloc);
  llvm::SmallPtrSet<Value, 16> seen;
  SmallVector<Value> aliases{alloc.getResult()};
  auto follow = [&](ValueRange values) {
    for (Value value : values)
      if (isa<BaseMemRefType>(value.getType()) && seen.insert(value).second)
        aliases.push_back(value);
  };
  while (!aliases.empty()) {
    Value alias = aliases.pop_back_val();
    for (OpOperand &use : alias.getUses()) {
      Operation *user = use.getOwner();
      bool returned = user->getBlock() == entry && user->hasTrait<OpTrait::IsTerminator>();
      if (returned || isa<memref::DeallocOp>(user) ||
          llvm::any_of(user->getResultTypes(), llvm::IsaPred<TensorType>))
        return std::nullopt;
      follow(user->getResults());
      if (user->hasTrait<OpTrait::IsTerminator>())
        follow(user->getParentOp()->getResults());
      Operation *top = entry->findAncestorOpInBlock(*user);
      if (!top)
        return std::nullopt;
      last = std::max(last, position.lookup(top));
    }
  }
  return last;
}

/// The non-empty static allocs directly in `func`'s entry block that can be
/// planned.
SmallVector<Buffer> collectBuffers(func::FuncOp func, int64_t minAlignment) {
  Block &entry = func.getBody().front();
  llvm::DenseMap<Operation *, int64_t> position;
  for (auto [index, op] : llvm::enumerate(entry))
    position[&op] = index;

  DataLayout layout = DataLayout::closest(func);
  SmallVector<Buffer> buffers;
  for (auto alloc : entry.getOps<memref::AllocOp>()) {
    MemRefType type = alloc.getType();
    // Empty buffers hold nothing to place.
    if (!type.hasStaticShape() || type.getNumElements() == 0 || !type.getLayout().isIdentity() ||
        type.getMemorySpace() || !type.getElementType().isIntOrFloat())
      continue;
    std::optional<int64_t> last = lastUse(alloc, position);
    if (!last)
      continue;
    Buffer buffer;
    buffer.alloc = alloc;
    buffer.first = position.lookup(alloc);
    buffer.last = *last;
    int64_t elementBytes =
        static_cast<int64_t>(layout.getTypeSize(type.getElementType()).getFixedValue());
    buffer.bytes = type.getNumElements() * elementBytes;
    buffer.alignment = std::max<int64_t>(minAlignment, alloc.getAlignment().value_or(1));
    buffers.push_back(buffer);
  }
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

/// Replaces every planned alloc by a view of `arena` at its offset.
void rewriteIntoArena(OpBuilder &builder, Value arena, ArrayRef<Buffer> buffers) {
  for (const Buffer &buffer : buffers) {
    memref::AllocOp alloc = buffer.alloc;
    builder.setInsertionPoint(alloc);
    Location loc = alloc.getLoc();
    Value offset = arith::ConstantIndexOp::create(builder, loc, buffer.offset);
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
    SmallVector<Buffer> buffers = collectBuffers(func, alignment);
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

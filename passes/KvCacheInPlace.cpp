//===- KvCacheInPlace.cpp - Stateful KV caches instead of copies ---------===//
//
// An exported decoder returns each layer's `present = Concat(past, new)`:
// the caller keeps the present and passes it back as the next step's past,
// so every step copies the whole cache. With a capacity, the caller instead
// keeps one buffer per cache that has room for `capacity` positions; the
// model appends the step's rows to it. This pass only marks the pairs (the
// concat becomes attn.kv_append); the ABI change itself, the argument as a
// view of the larger buffer and the rows written into it, is the CPU entry
// point's (cpu-entry-point), which owns the function's signature.
//
// A sliding-window model's attention never looks further back than its
// window, so its cache need not keep every position: when each reader of
// a cache is attention with a window bounded on the left, the append gets
// a ring of `window + most rows per run` slots (when that takes less memory
// than the capacity, the ring's buffer holding each position twice), and
// the attention reads the ring's last positions (`attn.kv_window`) with
// the first one's position taken off its query offset.
//
//===----------------------------------------------------------------------===//

#include "dialects/attn/RunTimeDims.h"
#include "passes/Passes.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNKVCACHEINPLACEPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Why `concat`, a returned value, cannot become an in-place append of its
/// first input; empty when it can.
std::string whyNotInPlace(ConcatOp concat, func::FuncOp func, unsigned returnedTimes) {
  if (concat.getInputs().size() != 2)
    return "it joins " + std::to_string(concat.getInputs().size()) +
           " tensors, not a past and the step's rows";
  auto past = dyn_cast<BlockArgument>(concat.getInputs()[0]);
  if (!past || past.getOwner() != &func.getBody().front())
    return "its first input is not an argument of the function (a past cache)";
  auto type = cast<RankedTensorType>(past.getType());
  int64_t axis = concat.getAxis();
  if (!type.isDynamicDim(axis))
    return "the past's length (dim " + std::to_string(axis) + ") is not a run-time dim";
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (d != axis && type.isDynamicDim(d))
      return "the past has another run-time dim (" + std::to_string(d) +
             ") besides its length; the cache buffer's layout must be static";
  if (returnedTimes != 1)
    return "it is returned " + std::to_string(returnedTimes) + " times";
  for (Operation *user : past.getUsers())
    if (user != concat.getOperation() && !isa<tensor::DimOp>(user))
      return "the past is read by '" + user->getName().getStringRef().str() +
             "' too, which an in-place append would race with";
  return "";
}

/// The attention ops reading `present` (as key or value; the return aside)
/// and how far back the widest of their windows reaches; nullopt, with
/// `why`, when some reader is not attention with a window bounded on the
/// left and no key or dense mask (which index keys by position).
std::optional<int64_t> windowReach(Value present, SmallVectorImpl<SdpaOp> &readers,
                                   std::string &why) {
  int64_t reach = 0;
  for (OpOperand &use : present.getUses()) {
    if (isa<func::ReturnOp>(use.getOwner()))
      continue;
    auto sdpa = dyn_cast<SdpaOp>(use.getOwner());
    if (!sdpa || use.get() == sdpa.getQuery()) {
      why = "'" + use.getOwner()->getName().getStringRef().str() + "' reads it, not attention";
      return std::nullopt;
    }
    WindowAttr window = sdpa.getWindow();
    if (window.isLeftUnbounded() || sdpa.getKeyMask() || sdpa.getDenseMask()) {
      why = "attention reads it with a window unbounded on the left or a key or dense mask";
      return std::nullopt;
    }
    reach = std::max(reach, window.getLeft());
    if (!llvm::is_contained(readers, sdpa))
      readers.push_back(sdpa);
  }
  if (readers.empty()) {
    why = "nothing but the return reads it";
    return std::nullopt;
  }
  return reach;
}

/// The ring slots for `append`'s cache, read only through `readers`: each
/// query sees `reach` positions behind it, and a run adds at most the
/// rows' bound; 0 when a ring would not take less memory (2 x slots, each
/// position stored twice) than the capacity, or the rows are unbounded.
int64_t ringSlots(KvAppendOp append, int64_t reach) {
  std::optional<int64_t> rows = runTimeBound(append.getRows(), append.getAxis());
  if (!rows)
    return 0;
  int64_t slots = reach + *rows;
  return 2 * slots < (int64_t)append.getCapacity() ? slots : 0;
}

/// Makes `readers` read the last `slots` positions of the caches, each
/// query offset less the first one's position. Every reader's key and
/// value are ring appends of the same slots (checked by the caller).
void readThroughWindows(ArrayRef<SdpaOp> readers, int64_t slots) {
  for (SdpaOp sdpa : readers) {
    OpBuilder builder(sdpa);
    Location loc = sdpa.getLoc();
    auto windowOf = [&](Value cache) {
      auto append = cache.getDefiningOp<KvAppendOp>();
      return KvWindowOp::create(builder, loc, cache, append.getAxis(), slots);
    };
    KvWindowOp keys = windowOf(sdpa.getKey());
    KvWindowOp values = windowOf(sdpa.getValue());
    Value offset = sdpa.getOffset();
    Value shifted = offset ? SubOp::create(builder, loc, offset, keys.getFirst()).getResult()
                           : NegOp::create(builder, loc, keys.getFirst()).getResult();
    sdpa.getKeyMutable().assign(keys.getHeld());
    sdpa.getValueMutable().assign(values.getHeld());
    sdpa.getOffsetMutable().assign(shifted);
  }
}

struct AttnKvCacheInPlacePass
    : mlir::attn::impl::AttnKvCacheInPlacePassBase<AttnKvCacheInPlacePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (capacity < 1) {
      func.emitError("attn-kv-cache-in-place: capacity must be at least 1, got ") << (int64_t)capacity;
      return signalPassFailure();
    }
    if (func.getBody().empty())
      return;
    auto ret = dyn_cast<func::ReturnOp>(func.getBody().front().getTerminator());
    if (!ret)
      return;
    for (Value returned : ret.getOperands()) {
      auto concat = returned.getDefiningOp<ConcatOp>();
      if (!concat)
        continue;
      unsigned times = llvm::count(ret.getOperands(), returned);
      std::string why = whyNotInPlace(concat, func, times);
      if (!why.empty()) {
        if (explain)
          concat.emitRemark("attn-kv-cache-in-place: stays a copy: ") << why;
        continue;
      }
      OpBuilder builder(concat);
      auto append = KvAppendOp::create(builder, concat.getLoc(), concat.getInputs()[0],
                                       concat.getInputs()[1], concat.getAxis(),
                                       (int64_t)capacity, /*ring=*/nullptr);
      concat.replaceAllUsesWith(append.getResult());
      concat.erase();
    }
    if (rings)
      makeRings(ret);
  }

  /// Gives every append a ring when all of them are read only by windowed
  /// attention (one size for all: the query offset of each reader is
  /// shifted once for its key and its value). All or none: a model that
  /// mixes windowed and global layers keeps plain caches.
  void makeRings(func::ReturnOp ret) {
    SmallVector<KvAppendOp> appends;
    SmallVector<SdpaOp> readers;
    int64_t slots = 0;
    auto noRing = [&](Operation *at, const std::string &why) {
      if (explain)
        at->emitRemark("attn-kv-cache-in-place: no ring: ") << why;
    };
    for (Value returned : ret.getOperands()) {
      auto append = returned.getDefiningOp<KvAppendOp>();
      if (!append || llvm::is_contained(appends, append))
        continue;
      std::string why;
      std::optional<int64_t> reach = windowReach(append.getResult(), readers, why);
      int64_t each = reach ? ringSlots(append, *reach) : 0;
      if (reach && !each)
        why = "a ring of the window and a run's rows would take no less memory than the "
              "capacity, or the rows have no bound";
      if (!each)
        return noRing(append, why);
      slots = std::max(slots, each);
      appends.push_back(append);
    }
    for (SdpaOp sdpa : readers)
      for (Value cache : {sdpa.getKey(), sdpa.getValue()}) {
        auto append = cache.getDefiningOp<KvAppendOp>();
        if (!append || !llvm::is_contained(appends, append))
          return noRing(sdpa, "attention reads a cache kept in place together with one that "
                              "is not");
      }
    for (KvAppendOp append : appends)
      append.setRing(slots);
    readThroughWindows(readers, slots);
  }
};

} // namespace

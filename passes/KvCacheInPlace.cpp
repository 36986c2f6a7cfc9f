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
//===----------------------------------------------------------------------===//

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
                                       (int64_t)capacity);
      concat.replaceAllUsesWith(append.getResult());
      concat.erase();
    }
  }
};

} // namespace

//===- ReuseDestinations.cpp - Compute results where they are stored ------===//
//
// A value that ends up inserted into a larger tensor (a concat's part, a KV
// cache's new rows) or materialized into a caller's output buffer is
// usually computed into a tensor.empty first, and bufferization then
// copies it. Replacing that tensor.empty by the slice of the destination
// it will land in lets bufferization compute it in place. The rewrite is
// always valid: a tensor.empty's contents are undefined, so any tensor of
// its type may stand for it; bufferization still decides, with its own
// analysis, whether the write can happen in place.
//
// Upstream's empty-tensor elimination does the same after a whole-function
// alias analysis, which costs as much as bufferization itself (2-3 s on
// GPT-2 small); following the destination-style chains is enough here.
//
//===----------------------------------------------------------------------===//

#include "compiler/cpu/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/RegionUtils.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

namespace attnc::cpu {
#define GEN_PASS_DEF_CPUREUSEDESTINATIONSPASS
#include "compiler/cpu/Passes.h.inc"
} // namespace attnc::cpu

using namespace mlir;

namespace {

/// The init operand that `result` is computed in: its tied init for ops
/// that write their result into an init (linalg, vector writes,
/// insert_slice, scf.forall and scf.for outputs), else null.
OpOperand *tiedInit(OpResult result) {
  Operation *op = result.getOwner();
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(op))
    return dps.getTiedOpOperand(result);
  if (auto forall = dyn_cast<scf::ForallOp>(op))
    return forall.getTiedOpOperand(result);
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return loop.getTiedLoopInit(result);
  return nullptr;
}

/// The operand whose tensor.empty `value` is computed in, following tied
/// inits and, when `reshapes` is given, tensor.expand_shape /
/// collapse_shape ops (appended to it, outermost first); null when the
/// chain ends anywhere else.
OpOperand *emptyInitOf(Value value, SmallVectorImpl<Operation *> *reshapes = nullptr) {
  while (auto result = dyn_cast<OpResult>(value)) {
    Operation *op = result.getOwner();
    if (reshapes && isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op)) {
      reshapes->push_back(op);
      value = op->getOperand(0);
      continue;
    }
    OpOperand *init = tiedInit(result);
    if (!init)
      return nullptr;
    if (init->get().getDefiningOp<tensor::EmptyOp>())
      return init;
    value = init->get();
  }
  return nullptr;
}

/// `dest` reshaped back through `reshapes` (outermost first): what the
/// value before them looks like when it is `dest`. Null where a dynamic
/// shape would need sizes known only later.
Value reshapeBack(OpBuilder &b, Location loc, Value dest, ArrayRef<Operation *> reshapes) {
  for (Operation *op : reshapes) {
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
      dest = tensor::CollapseShapeOp::create(b, loc, expand.getSrcType(), dest,
                                             expand.getReassociationIndices());
      continue;
    }
    auto collapse = cast<tensor::CollapseShapeOp>(op);
    if (!collapse.getSrcType().hasStaticShape())
      return Value();
    dest = tensor::ExpandShapeOp::create(b, loc, collapse.getSrcType(), dest,
                                         collapse.getReassociationIndices());
  }
  return dest;
}

/// Whether `value` is defined before `user`, after moving the pure ops
/// that define it (and, recursively, their operands) up to just before
/// `user` in its block where needed. A concat's earlier parts are often
/// inserted after a later part is computed: hoisting those inserts lets
/// the later part be computed in its slice of the result. An op moved
/// before a later failure stays moved, which is harmless: its operands
/// are defined before `user`, its uses come after it.
bool defineBefore(Value value, Operation *user, DominanceInfo &dominance) {
  if (dominance.properlyDominates(value, user))
    return true;
  Operation *op = value.getDefiningOp();
  // The value may be the user's own result (a destination built from the
  // value being computed): that never moves above itself.
  if (!op || op == user || op->getBlock() != user->getBlock() || !isPure(op))
    return false;
  SetVector<Value> used(op->getOperands().begin(), op->getOperands().end());
  getUsedValuesDefinedAbove(op->getRegions(), used);
  for (Value operand : used)
    if (!defineBefore(operand, user, dominance))
      return false;
  op->moveBefore(user);
  return true;
}

/// The sizes of the slice `insert` writes, as known where `empty` is
/// used: a dynamic size is the tensor.empty's own (the value computed in
/// it has its shape), so a size the IR reads from the computed value
/// (tensor.dim of it, known only after it) needs no moving. Null when
/// the source is rank-reduced and a dynamic size cannot be matched.
std::optional<SmallVector<OpFoldResult>> sliceSizes(tensor::InsertSliceOp insert,
                                                    tensor::EmptyOp empty) {
  SmallVector<OpFoldResult> sizes = insert.getMixedSizes();
  if (insert.getSourceType().getRank() != insert.getDestType().getRank())
    return llvm::all_of(sizes, [](OpFoldResult s) { return isa<Attribute>(s); })
               ? std::optional(sizes)
               : std::nullopt;
  SmallVector<OpFoldResult> own = empty.getMixedSizes();
  for (auto [size, emptySize] : llvm::zip_equal(sizes, own))
    if (isa<Value>(size))
      size = emptySize;
  return sizes;
}

/// Replaces the tensor.empty behind `insert`'s source by the slice of its
/// destination.
void reuseInsertDestination(tensor::InsertSliceOp insert, DominanceInfo &dominance) {
  OpOperand *init = emptyInitOf(insert.getSource());
  if (!init)
    return;
  Operation *user = init->getOwner();
  Value dest = insert.getDest();
  std::optional<SmallVector<OpFoldResult>> sizes =
      sliceSizes(insert, init->get().getDefiningOp<tensor::EmptyOp>());
  // The slice is cut before `user`: the destination and the offsets must
  // be known there (the sizes are the tensor.empty's, which are).
  auto knownBefore = [&](Value index) { return defineBefore(index, user, dominance); };
  if (!sizes || !defineBefore(dest, user, dominance) ||
      !llvm::all_of(insert.getOffsets(), knownBefore))
    return;
  OpBuilder builder(user);
  init->set(tensor::ExtractSliceOp::create(builder, insert.getLoc(), insert.getSourceType(), dest,
                                           insert.getMixedOffsets(), *sizes,
                                           insert.getMixedStrides()));
}

/// Replaces the tensor.empty behind a result materialized into a caller's
/// buffer by that buffer (a restrict writable to_tensor at the function's
/// start, where the argument is defined), reshaped as the value is before
/// the reshapes that lead to the result (a [128, 32000] matmul's output
/// expanded into [1, 128, 32000] logits is computed in the logits buffer
/// itself, not copied there: 16 MB a run on the LLaMA-shaped model).
void reuseOutputBuffer(bufferization::MaterializeInDestinationOp materialize) {
  auto out = dyn_cast<BlockArgument>(materialize.getDest());
  SmallVector<Operation *> reshapes;
  OpOperand *init = emptyInitOf(materialize.getSource(), &reshapes);
  if (!out || !isa<BaseMemRefType>(out.getType()) || !materialize.getRestrict() ||
      !materialize.getWritable() || !init)
    return;
  OpBuilder builder = OpBuilder::atBlockBegin(out.getOwner());
  Location loc = materialize.getLoc();
  Value dest = bufferization::ToTensorOp::create(builder, loc, materialize.getSource().getType(),
                                                 out, /*restrict=*/true, /*writable=*/true);
  if (Value reshaped = reshapeBack(builder, loc, dest, reshapes))
    init->set(reshaped);
}

struct CpuReuseDestinationsPass
    : attnc::cpu::impl::CpuReuseDestinationsPassBase<CpuReuseDestinationsPass> {
  void runOnOperation() override {
    // Outputs first: an insert_slice chain that ends in a result then
    // starts from the output buffer, defined at the top, and the slices
    // inserted into it can be taken from there.
    getOperation().walk(
        [](bufferization::MaterializeInDestinationOp materialize) { reuseOutputBuffer(materialize); });
    DominanceInfo &dominance = getAnalysis<DominanceInfo>();
    getOperation().walk(
        [&](tensor::InsertSliceOp insert) { reuseInsertDestination(insert, dominance); });
    getOperation().walk([](tensor::EmptyOp empty) {
      if (empty->use_empty())
        empty->erase();
    });
  }
};

} // namespace

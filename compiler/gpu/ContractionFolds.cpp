//===- ContractionFolds.cpp - What folds into a contraction's kernel ------===//

#include "compiler/gpu/ContractionFolds.h"
#include "compiler/gpu/Passes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using attnc::gpu::viewedBuffer;

namespace {

/// Whether `op` reads or writes no buffer that exists before it: no memory
/// effects at all (a view, a constant), or a new allocation.
bool touchesNoBuffer(Operation *op) {
  return isMemoryEffectFree(op) || isa<memref::AllocOp, memref::AllocaOp>(op);
}

/// A parallel linalg.generic on buffers with one output, written whole
/// (identity map) and not read, whose inputs are read at loop dims or
/// constants and whose body has no memory effects: what can run per output
/// element inside the contraction's kernel.
bool isElementwiseOnOutput(linalg::GenericOp generic) {
  if (!generic.hasPureBufferSemantics() || generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !generic.getMatchingIndexingMap(generic.getDpsInitOperand(0)).isIdentity() ||
      !generic.getMatchingBlockArgument(generic.getDpsInitOperand(0)).use_empty())
    return false;
  for (OpOperand *input : generic.getDpsInputOperands())
    for (AffineExpr e : generic.getMatchingIndexingMap(input).getResults())
      if (!isa<AffineDimExpr, AffineConstantExpr>(e))
        return false;
  return llvm::all_of(generic.getBlock()->without_terminator(),
                      [](Operation &inner) { return isMemoryEffectFree(&inner); });
}

/// Whether, after `from`, nothing reads allocation `root` (through any
/// view) before it is freed or written whole: then the values left in it
/// are never seen. An op that uses it in any other way than a view, a
/// dealloc, or a linalg op writing all of it without reading it, answers
/// no.
bool deadAfter(Operation *from, Value root) {
  for (Operation *op = from->getNextNode(); op; op = op->getNextNode()) {
    bool uses = false;
    op->walk([&](Operation *inner) {
      for (Value operand : inner->getOperands())
        uses |= viewedBuffer(operand) == root;
    });
    if (!uses || isa<ViewLikeOpInterface>(op))
      continue;
    if (auto dealloc = dyn_cast<memref::DeallocOp>(op))
      return viewedBuffer(dealloc.getMemref()) == root;
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || !linalgOp.hasPureBufferSemantics())
      return false;
    for (OpOperand *input : linalgOp.getDpsInputOperands())
      if (viewedBuffer(input->get()) == root)
        return false;
    for (OpOperand &init : linalgOp.getDpsInitsMutable()) {
      if (viewedBuffer(init.get()) != root)
        continue;
      // Written whole (the allocation itself, not a slice), not read.
      if (linalgOp.payloadUsesValueFromOperand(&init) || init.get() != root ||
          linalgOp.getNumParallelLoops() != linalgOp.getNumLoops())
        return false;
      return true;
    }
  }
  return false;
}

} // namespace

namespace attnc::gpu {

Operation *matchInitializer(const Contraction &c) {
  Operation *op = c.op->getPrevNode();
  while (op && !isa<linalg::GenericOp, linalg::FillOp>(op) && touchesNoBuffer(op))
    op = op->getPrevNode();
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(op))
    return fill.hasPureBufferSemantics() && fill.getOutputs()[0] == c.out ? fill : nullptr;
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || !isElementwiseOnOutput(generic) ||
      generic.getDpsInitOperand(0)->get() != c.out)
    return nullptr;
  for (OpOperand *input : generic.getDpsInputOperands())
    if (viewedBuffer(input->get()) == viewedBuffer(c.out))
      return nullptr;
  return generic;
}

std::optional<Epilogue> matchEpilogue(const Contraction &c) {
  Operation *op = c.op->getNextNode();
  while (op && !isa<linalg::GenericOp>(op) && touchesNoBuffer(op))
    op = op->getNextNode();
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  Value root = viewedBuffer(c.out);
  if (!generic || !isElementwiseOnOutput(generic) || !root.getDefiningOp<memref::AllocOp>())
    return std::nullopt;
  OpOperand *sums = nullptr;
  Value written = viewedBuffer(generic.getDpsInitOperand(0)->get());
  for (OpOperand *input : generic.getDpsInputOperands()) {
    Value buffer = viewedBuffer(input->get());
    if (input->get() == c.out && !sums &&
        generic.getMatchingIndexingMap(input).isIdentity())
      sums = input;
    else if (buffer == root || buffer == written)
      return std::nullopt;
  }
  if (!sums || generic.getNumLoops() != c.mapC.getNumResults() ||
      (written == root && generic.getDpsInitOperand(0)->get() != c.out) ||
      (written != root && !deadAfter(generic, root)))
    return std::nullopt;
  return Epilogue{generic, sums};
}

} // namespace attnc::gpu

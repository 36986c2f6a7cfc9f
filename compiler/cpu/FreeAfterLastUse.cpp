//===- FreeAfterLastUse.cpp - Free each heap buffer after its last use ----===//

#include "compiler/cpu/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace attnc::cpu {
#define GEN_PASS_DEF_CPUFREEAFTERLASTUSEPASS
#include "compiler/cpu/Passes.h.inc"
} // namespace attnc::cpu

using namespace mlir;

namespace {

/// The last op of `block` that uses `buffer` or a view of it (an op whose
/// region uses it stands for that use), other than `dealloc`; null when
/// some use is outside `block` or the buffer is unused.
Operation *lastUseInBlock(Value buffer, Operation *dealloc, Block *block,
                          BufferViewFlowAnalysis &aliases) {
  Operation *last = nullptr;
  for (Value alias : aliases.resolve(buffer)) {
    for (Operation *user : alias.getUsers()) {
      if (user == dealloc)
        continue;
      Operation *inBlock = block->findAncestorOpInBlock(*user);
      if (!inBlock)
        return nullptr;
      if (inBlock == dealloc)
        continue;
      if (!last || last->isBeforeInBlock(inBlock))
        last = inBlock;
    }
  }
  return last;
}

struct CpuFreeAfterLastUsePass
    : attnc::cpu::impl::CpuFreeAfterLastUsePassBase<CpuFreeAfterLastUsePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    BufferViewFlowAnalysis aliases(func);
    SmallVector<memref::DeallocOp> deallocs;
    func.walk([&](memref::DeallocOp dealloc) { deallocs.push_back(dealloc); });
    for (memref::DeallocOp dealloc : deallocs) {
      auto alloc = dealloc.getMemref().getDefiningOp<memref::AllocOp>();
      Block *block = dealloc->getBlock();
      if (!alloc || alloc->getBlock() != block)
        continue;
      Operation *last = lastUseInBlock(alloc.getResult(), dealloc, block, aliases);
      if (last && last->isBeforeInBlock(dealloc))
        dealloc->moveAfter(last);
    }
  }
};

} // namespace

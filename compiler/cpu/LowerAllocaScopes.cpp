//===- LowerAllocaScopes.cpp - Task stack scopes as stacksave/restore ---===//

#include "compiler/cpu/Passes.h"
#include "mlir/IR/PatternMatch.h"

namespace attnc::cpu {
#define GEN_PASS_DEF_CPULOWERALLOCASCOPESPASS
#include "compiler/cpu/Passes.h.inc"
} // namespace attnc::cpu

using namespace mlir;

namespace {

struct CpuLowerAllocaScopesPass
    : attnc::cpu::impl::CpuLowerAllocaScopesPassBase<CpuLowerAllocaScopesPass> {
  void runOnOperation() override {
    SmallVector<memref::AllocaScopeOp> scopes;
    getOperation().walk([&](memref::AllocaScopeOp scope) { scopes.push_back(scope); });
    IRRewriter rewriter(&getContext());
    for (memref::AllocaScopeOp scope : scopes) {
      bool allocates =
          scope->walk([](memref::AllocaOp) { return WalkResult::interrupt(); }).wasInterrupted();
      Block *body = &scope.getBodyRegion().front();
      auto yield = cast<memref::AllocaScopeReturnOp>(body->getTerminator());
      SmallVector<Value> results(yield.getResults());
      rewriter.setInsertionPoint(scope);
      Value saved;
      if (allocates)
        saved = LLVM::StackSaveOp::create(rewriter, scope.getLoc(),
                                          LLVM::LLVMPointerType::get(&getContext()));
      rewriter.eraseOp(yield);
      rewriter.inlineBlockBefore(body, scope);
      if (allocates)
        LLVM::StackRestoreOp::create(rewriter, scope.getLoc(), saved);
      rewriter.replaceOp(scope, results);
    }
  }
};

} // namespace

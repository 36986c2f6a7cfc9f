//===- TaskStack.cpp - Per-task buffers of parallel loops on the stack --===//

#include "compiler/cpu/TaskStack.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace attnc {
namespace {

constexpr int64_t kMaxStackBuffer = 64 * 1024;
constexpr int64_t kMaxStackPerTask = 256 * 1024;

/// The byte size of a statically shaped memref of int or float elements.
std::optional<int64_t> staticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() || type.getMemorySpace() ||
      !type.getElementType().isIntOrFloat())
    return std::nullopt;
  int64_t bits = type.getElementType().getIntOrFloatBitWidth();
  return (type.getNumElements() * bits + 7) / 8;
}

struct StackTaskBuffersPass : PassWrapper<StackTaskBuffersPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(StackTaskBuffersPass)
  StringRef getArgument() const override { return "attnc-stack-task-buffers"; }
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](scf::ForallOp forall) {
      int64_t used = 0;
      for (auto alloc : llvm::make_early_inc_range(forall.getBody()->getOps<memref::AllocOp>())) {
        std::optional<int64_t> bytes = staticBytes(alloc.getType());
        if (!bytes || *bytes > kMaxStackBuffer || used + *bytes > kMaxStackPerTask)
          continue;
        used += *bytes;
        rewriter.setInsertionPoint(alloc);
        rewriter.replaceOpWithNewOp<memref::AllocaOp>(alloc, alloc.getType(),
                                                      alloc.getAlignmentAttr());
      }
    });
  }
};

struct LowerAllocaScopesPass : PassWrapper<LowerAllocaScopesPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(LowerAllocaScopesPass)
  StringRef getArgument() const override { return "attnc-lower-alloca-scopes"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect>();
  }
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

std::unique_ptr<Pass> createStackTaskBuffersPass() {
  return std::make_unique<StackTaskBuffersPass>();
}
std::unique_ptr<Pass> createLowerAllocaScopesPass() {
  return std::make_unique<LowerAllocaScopesPass>();
}

} // namespace attnc

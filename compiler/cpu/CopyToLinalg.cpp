//===- CopyToLinalg.cpp - memref.copy as loops, not a library call ------===//

#include "compiler/cpu/Passes.h"

namespace attnc::cpu {
#define GEN_PASS_DEF_CPUCOPYTOLINALGPASS
#include "compiler/cpu/Passes.h.inc"
} // namespace attnc::cpu

using namespace mlir;

namespace {

struct CpuCopyToLinalgPass : attnc::cpu::impl::CpuCopyToLinalgPassBase<CpuCopyToLinalgPass> {
  void runOnOperation() override {
    getOperation().walk([](memref::CopyOp copy) {
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    });
  }
};

} // namespace

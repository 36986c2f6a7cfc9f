//===- ScratchBuilder.h - Build tentatively, erase what went unused -*- C++ -*-===//
//
// A pattern that has to build IR to find out whether it applies (a mask
// split into terms, a key mask followed back through views) builds with a
// ScratchBuilder and, when it gives up, discards what it built and nothing
// else uses.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_SCRATCHBUILDER_H
#define ATTNC_PASSES_SCRATCHBUILDER_H

#include "mlir/IR/Builders.h"

namespace mlir::attn {

// The listener base comes first, so it exists when OpBuilder stores it.
class ScratchBuilder : private OpBuilder::Listener, public OpBuilder {
public:
  /// Builds before `op`.
  explicit ScratchBuilder(Operation *op) : OpBuilder(op, this) {}

  /// Erases the ops built so far that have no uses (newest first, so a
  /// chain of them goes whole).
  void discardUnused() {
    for (Operation *op : llvm::reverse(built))
      if (op->use_empty())
        op->erase();
    built.clear();
  }

private:
  void notifyOperationInserted(Operation *op, OpBuilder::InsertPoint) override {
    built.push_back(op);
  }

  SmallVector<Operation *> built;
};

} // namespace mlir::attn

#endif // ATTNC_PASSES_SCRATCHBUILDER_H

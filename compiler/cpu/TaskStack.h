//===- TaskStack.h - Per-task buffers of parallel loops on the stack ----===//
//
// A parallel task of the tiled attention allocates its tiles (scores,
// accumulator, row statistics) once per task; from the heap, each costs a
// malloc and a free (2-3 % of a 256-key window's time at S = 8192). These
// passes put small ones on the task's stack instead.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_CPU_TASKSTACK_H
#define ATTNC_COMPILER_CPU_TASKSTACK_H

#include "mlir/Pass/Pass.h"
#include <memory>

namespace attnc {

/// After bufferization, before buffer deallocation: each static
/// memref.alloc directly in an scf.forall body becomes a memref.alloca
/// when it is at most 64 KiB and the body's stack buffers stay within
/// 256 KiB (OpenMP worker threads have a few MiB of stack).
std::unique_ptr<mlir::Pass> createStackTaskBuffersPass();

/// After convert-scf-to-openmp, which wraps each parallel body in
/// memref.alloca_scope: a scope without allocas is inlined; one with
/// allocas becomes llvm.intr.stacksave / stackrestore around its inlined
/// body, so each task's stack buffers are released at its end. (A scope's
/// region must stay one block, and the loops inside become several.)
std::unique_ptr<mlir::Pass> createLowerAllocaScopesPass();

} // namespace attnc

#endif // ATTNC_COMPILER_CPU_TASKSTACK_H

//===- ModelAllocator.h - The heap of a compiled model -----------*- C++ -*-===//
//
// Compiled code allocates what the planned workspace does not hold (buffers
// with run-time dims) through MemRef-to-LLVM's generic functions
// (`_mlir_memref_to_llvm_alloc`, `_aligned_alloc`, `_free`). A model is a
// self-contained object (libc and libomp only), so they are defined inside
// it, in LLVM IR.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_CPU_MODELALLOCATOR_H
#define ATTNC_COMPILER_CPU_MODELALLOCATOR_H

namespace llvm {
class Module;
} // namespace llvm

namespace attnc::cpu {

/// Defines the generic allocation functions in `module`, internal to it:
///
///   - Freed blocks are kept in a small cache and handed to the next
///     request that fits (a block at most twice the size asked for), so a
///     model run again with run-time dims reuses the previous run's memory
///     instead of mapping fresh pages (a GPT-2 small prefill of 1024 tokens
///     frees and asks again for about 900 MB per run; the kernel zeroing
///     those pages cost more than 5 % of the run).
///   - The cached blocks are freed when the model is unloaded (a global
///     destructor).
///   - Every request is counted for the runner's --stats, exported as
///     `statsFunction(uint64_t out[3])`: allocations and bytes since load,
///     and the peak of live heap bytes since the previous call (which
///     restarts it).
///
/// Each block keeps, in a header before the address returned, the size
/// asked for, the base pointer to free, its capacity and its alignment.
void defineModelAllocator(llvm::Module &module, const char *statsFunction);

} // namespace attnc::cpu

#endif // ATTNC_COMPILER_CPU_MODELALLOCATOR_H

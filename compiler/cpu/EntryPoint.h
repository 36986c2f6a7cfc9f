//===- EntryPoint.h - Destination-passing entry for compiled models -----===//

#ifndef ATTNC_COMPILER_CPU_ENTRYPOINT_H
#define ATTNC_COMPILER_CPU_ENTRYPOINT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace attnc {

/// Name of the function the runtime wrapper calls.
inline constexpr const char *kEntryFunctionName = "attnc_main";

/// Rewrites `func` (tensors in, tensors out) into `attnc_main`, which takes
/// every input and then every output as a memref and writes the results into
/// the caller's output buffers:
///   func @main(%x: tensor<T>) -> tensor<R>
///   =>
///   func @attnc_main(%x: memref<T>, %out: memref<R>) {
///     %t = bufferization.to_tensor %x restrict ...
///     bufferization.materialize_in_destination %r in restrict writable %out
///   }
/// Zero-element inputs and outputs carry no data and get no parameter.
/// Run on tensor IR, before bufferization.
void convertToDestinationPassingEntry(mlir::func::FuncOp func);

/// The workspace bytes the lowered entry (func or llvm.func `attnc_main`
/// in `module`) takes as its last argument, from the `attn.memory_plan`
/// that attn-plan-memory recorded on it; 0 when it takes none.
int64_t entryWorkspaceBytes(mlir::ModuleOp module);

} // namespace attnc

#endif // ATTNC_COMPILER_CPU_ENTRYPOINT_H

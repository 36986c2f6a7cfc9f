//===- ObjectEmitter.h - LLVM dialect to a native object file -----------===//

#ifndef ATTNC_COMPILER_CPU_OBJECTEMITTER_H
#define ATTNC_COMPILER_CPU_OBJECTEMITTER_H

#include "compiler/ModelSignature.h"
#include "compiler/Target.h"
#include "compiler/cpu/WeightsObject.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"
#include <memory>

namespace attnc {

/// Translates `module` (LLVM dialect, holding `attnc_main`) to LLVM IR and
/// adds the runtime ABI around it: `attnc_model_manifest()` returning
/// `signature.manifest()` and `attnc_model_run(void **buffers)`. The module
/// gets `machine`'s triple and data layout and is optimized at -O3. The
/// translation and the optimization are timed as two phases in `timing`.
/// Large constants become hidden external declarations, returned in
/// `weights` with their bytes (writeWeightsObject or attachWeights gives
/// them a definition).
std::unique_ptr<llvm::Module>
translateToLLVMIR(mlir::ModuleOp module, const ModelSignature &signature,
                  llvm::TargetMachine &machine, llvm::LLVMContext &context,
                  mlir::TimingScope &timing, std::vector<DetachedWeight> &weights,
                  std::string &error);

/// Defines `weights` inside `module` instead: all of them in one private
/// constant byte array (each at a 64-byte-aligned offset), which each
/// declaration's uses now point into. For a self-contained --emit=llvm.
void attachWeights(llvm::Module &module, const std::vector<DetachedWeight> &weights);

/// Emits `module` as an object file into `out`.
bool emitObject(llvm::Module &module, llvm::TargetMachine &machine,
                llvm::SmallVectorImpl<char> &out, std::string &error);

/// Emits the optimized `module` as `partitions` objects, code-generated
/// on as many threads: the module is split by function (llvm::SplitModule,
/// locals shared across partitions become hidden globals), and each part
/// goes through bitcode into a context and a target machine (for
/// `target`) of its own. One partition: `module` itself, on this thread,
/// with `machine`.
bool emitObjects(llvm::Module &module, llvm::TargetMachine &machine, const TargetOptions &target,
                 unsigned partitions, std::vector<llvm::SmallVector<char, 0>> &objects,
                 std::string &error);

} // namespace attnc

#endif // ATTNC_COMPILER_CPU_OBJECTEMITTER_H

//===- ModelInfo.h - What `attnc inspect` shows of a model ------*- C++ -*-===//
//
// A compiled artifact carries a short text about itself in an ELF section
// of its own, `.attnc_info`: attnc's version, the source model, the target
// and threading, the inputs and outputs, and each attention op. Being a
// section rather than a function, it is read without loading the file, so
// `attnc inspect` shows it for any target's executable, shared library,
// object or static library.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_MODELINFO_H
#define ATTNC_COMPILER_MODELINFO_H

#include "compiler/ModelSignature.h"
#include "compiler/Target.h"
#include "mlir/IR/BuiltinOps.h"
#include <optional>
#include <string>

namespace attnc {

/// The section's name.
inline constexpr const char *kModelInfoSection = ".attnc_info";

/// The text for `module` (after the graph passes, before lowering):
/// `attnc VERSION`, `source FILE`, `target TRIPLE cpu CPU`, `threads
/// openmp|none`, one `input`/`output` line per tensor (name, dtype, dims)
/// and one `attention` line per attn.sdpa (q/k/v shapes and masks), then
/// `attention ops: N`.
std::string describeModel(mlir::ModuleOp module, const ModelSignature &signature,
                          llvm::StringRef source, const TargetOptions &target,
                          bool threads);

/// The `.attnc_info` text of a compiled file (ELF executable, shared
/// library or object, or an archive holding one). Sets `error` and returns
/// nothing when the file cannot be read or carries none.
std::optional<std::string> readModelInfo(llvm::StringRef path, std::string &error);

} // namespace attnc

#endif // ATTNC_COMPILER_MODELINFO_H

//===- Linker.h - Object file to shared library or executable ---*- C++ -*-===//

#ifndef ATTNC_COMPILER_LINKER_H
#define ATTNC_COMPILER_LINKER_H

#include "compiler/Target.h"
#include <string>
#include <vector>

namespace attnc {

/// What linkModel makes: a shared library, an executable, or one
/// relocatable object merging the inputs (--emit=obj with its weights).
enum class LinkKind { SharedLibrary, Executable, Relocatable };

/// The directory holding attnc's own libraries: <prefix>/lib beside
/// <prefix>/bin/attnc (build/lib beside build/bin).
std::string libraryDir();

/// Where the runtime built for `target` is: libraryDir() for the host,
/// libraryDir()/<arch>-<os>-<environment> (lib/aarch64-linux-gnu) for a
/// cross target (cmake/CrossRuntimes.cmake builds them). Sets `error`
/// and returns "" when there is none for `target`.
std::string runtimeDirFor(const TargetOptions &target, std::string &error);

/// The link arguments that bring in libomp (LLVM's OpenMP runtime, which
/// parallel loops call) for `target`: Debian's, beside LLVM and off the
/// loader's path, for the host; the target's libomp.so beside its attnc
/// runtime when cross compiling (the target's loader finds it on its own
/// path). Empty, with `error` set, when a cross target has none.
std::vector<std::string> openmpLinkArgs(const TargetOptions &target, std::string &error);

/// Links `objectPaths` (the model's code and its weights) into
/// `outputPath` with the system's clang driver: a shared library exporting
/// the runtime ABI, an executable with the attnc runner (runtime/runner)
/// around it, linked with the runtime built for the target
/// (runtimeDirFor), or one relocatable object.
/// `usesOpenMP`: the object calls libomp (parallel loops); without it the
/// artifact does not depend on libomp at all (--single-thread).
/// `usesCuda`: the object calls the runtime's CUDA driver layer (mgpu*,
/// --device=cuda), which a shared library then carries itself: a process
/// that loads it (attnc generate, a caller's dlopen) need not provide it.
bool linkModel(const std::vector<std::string> &objectPaths, const std::string &outputPath,
               LinkKind kind, const TargetOptions &target, bool usesOpenMP, bool usesCuda,
               std::string &error);

} // namespace attnc

#endif // ATTNC_COMPILER_LINKER_H

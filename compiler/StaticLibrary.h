//===- StaticLibrary.h - A model as a static library and a C header -*- C++ -*-===//
//
// `attnc compile --emit=staticlib -o NAME.a`: an archive holding the model
// object (with the attnc runtime's objects, for callers of the C API), and
// NAME.h beside it: the model's inputs and outputs as constants and a
// typed `NAME_run` over caller buffers, so a C program links the archive
// with nothing but libc and libm (and libomp unless --single-thread).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_STATICLIBRARY_H
#define ATTNC_COMPILER_STATICLIBRARY_H

#include "compiler/ModelSignature.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBufferRef.h"
#include "compiler/Target.h"
#include <string>

namespace attnc {

/// The archive's bytes: the model's `objects` (its code, and its weights
/// when they have an object of their own) plus every member of the runtime
/// library built for `target` (runtimeDirFor). Returns false and sets
/// `error` on failure.
bool buildStaticLibrary(llvm::ArrayRef<llvm::MemoryBufferRef> objects,
                        const TargetOptions &target, std::string &archive, std::string &error);

/// The C prefix for an output path: its file name without extension, with
/// bytes outside [A-Za-z0-9_] as '_' (and a leading '_' before a digit).
std::string cPrefixFor(llvm::StringRef outputPath);

/// The header text for a model whose functions are prefixed `prefix`.
/// `openmpLinkArgs`: what a program linking the archive needs for libomp
/// (none with --single-thread); the header's link line shows them.
std::string buildModelHeader(const ModelSignature &signature, llvm::StringRef prefix,
                             llvm::ArrayRef<std::string> openmpLinkArgs);

} // namespace attnc

#endif // ATTNC_COMPILER_STATICLIBRARY_H

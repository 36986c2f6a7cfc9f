//===- WeightsObject.h - Model weights as their own ELF object ---*- C++ -*-===//
//
// A model's large constants (GPT-2 small: 650 MB) never pass through LLVM:
// the code refers to them as hidden external symbols, and this writer
// puts their bytes, straight from the MLIR blobs, into a relocatable ELF
// object of one read-only section that defines those symbols. Through
// LLVM's constants and object writer the same bytes were copied four
// times and took about 3 s of GPT-2 small's compile.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_CPU_WEIGHTSOBJECT_H
#define ATTNC_COMPILER_CPU_WEIGHTSOBJECT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"
#include <string>
#include <vector>

namespace attnc {

/// One large constant: its symbol, its bytes (owned by the MLIR context's
/// resource blobs) and its alignment.
struct DetachedWeight {
  std::string name;
  llvm::ArrayRef<char> bytes;
  uint64_t alignment;
};

/// Weights start on a 2 MiB boundary: Linux then maps the file's large
/// page-cache folios with 2 MiB entries (`FilePmdMapped` in
/// /proc/PID/smaps), so the kernels streaming the weights take fewer TLB
/// misses (1-3 % faster at S = 128, bench/RESULTS.md).
constexpr uint64_t kWeightsAlignment = 2 << 20;

/// Whether writeWeightsObject can write an object for `triple` (64-bit
/// little-endian ELF: x86-64, AArch64, RISC-V 64).
bool canWriteWeightsObject(const llvm::Triple &triple);

/// Writes a relocatable ELF object for `triple` whose read-only section
/// holds every weight (each at a 64-byte-aligned or stricter offset, the
/// section 2 MiB-aligned) and defines each as a global hidden symbol of
/// its name.
void writeWeightsObject(const std::vector<DetachedWeight> &weights, const llvm::Triple &triple,
                        llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_COMPILER_CPU_WEIGHTSOBJECT_H

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
/// resource blobs), its alignment, and the model's name for it (an ONNX
/// initializer's, empty when it has none: a weight packed at compile time
/// keeps the name of the one it was packed from).
struct DetachedWeight {
  std::string name;
  llvm::ArrayRef<char> bytes;
  uint64_t alignment;
  std::string tensor;
};

/// Weights start on a 2 MiB boundary: Linux then maps the file's large
/// page-cache folios with 2 MiB entries (`FilePmdMapped` in
/// /proc/PID/smaps), so the kernels streaming the weights take fewer TLB
/// misses (1-3 % faster at S = 128, bench/RESULTS.md).
constexpr uint64_t kWeightsAlignment = 2 << 20;

/// Whether writeWeightsObject can write an object for `triple` (64-bit
/// little-endian ELF: x86-64, AArch64, RISC-V 64).
bool canWriteWeightsObject(const llvm::Triple &triple);

/// Whether the weights are large data on `triple` (x86-64): the code's
/// own constants are reached PC-relatively within +-2 GiB, so a model
/// whose weights take more (GPT-2 large, any 1B-parameter model in f32)
/// would not link with its weights in .rodata. On x86-64 they go into a
/// large-data section (.lrodata, SHF_X86_64_LARGE), which linkers place
/// apart from code and small data, and the code addresses each weight
/// with a 64-bit offset (code_model "large" on its declaration): the
/// weights may then take any size.
bool weightsAreLargeData(const llvm::Triple &triple);

/// The weights' offsets in their section, in order (each at a
/// 64-byte-aligned offset, or its own alignment when stricter), and in
/// `size` the section's size.
std::vector<uint64_t> layOutWeights(const std::vector<DetachedWeight> &weights, uint64_t &size);

/// The bytes of weights that code for `triple` reaches PC-relatively
/// from the other side of .rodata: AArch64's ADRP +-4 GiB, RISC-V's
/// auipc (and any other target's) +-2 GiB. Unbounded where the weights
/// are large data.
uint64_t weightsReach(const llvm::Triple &triple);

/// The first weight that ends past weightsReach(triple) (less 64 MiB for
/// the code and its other constants), or null when all fit. `end` is
/// where that weight ends.
const DetachedWeight *firstWeightOutOfReach(const std::vector<DetachedWeight> &weights,
                                            const llvm::Triple &triple, uint64_t &end);

/// Writes a relocatable ELF object for `triple` whose read-only section
/// holds every weight (each at a 64-byte-aligned or stricter offset, the
/// section 2 MiB-aligned) and defines each as a global hidden symbol of
/// its name.
void writeWeightsObject(const std::vector<DetachedWeight> &weights, const llvm::Triple &triple,
                        llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_COMPILER_CPU_WEIGHTSOBJECT_H

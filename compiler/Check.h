//===- Check.h - `attnc check`: compile and compare ONNX test dirs ------===//

#ifndef ATTNC_COMPILER_CHECK_H
#define ATTNC_COMPILER_CHECK_H

#include "compiler/Compiler.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"
#include <string>
#include <vector>

namespace attnc {

struct CheckOptions {
  double rtol = 1e-4;
  double atol = 1e-5;
  PipelineOptions pipeline;
  TilingFlags tilingFlags;
  /// The machine to compile for (--target, --mcpu). On the host's triple
  /// a narrower CPU than the host checks that CPU's code (AVX2 on an
  /// AVX-512 host, say); empty fields: the host.
  TargetOptions target;
  /// A command that runs a target executable here (--run-with, split at
  /// spaces), e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu".
  std::string runWith;
  /// Inputs whose symbolic dims stay run-time dims under these bounds
  /// (--max-shape): the model is compiled once for every data set. With
  /// pipeline.kvCapacity (--kv-capacity) its KV caches are kept in place:
  /// each data set's past goes into a cache buffer, and the cache after the
  /// run is compared with the present it stands for.
  llvm::StringMap<llvm::SmallVector<int64_t>> maxShapes;

  /// Whether each model runs as an executable (another target, or an
  /// emulator asked for) rather than loaded into attnc.
  bool runsExecutables() const { return !target.triple.empty() || !runWith.empty(); }
};

/// For each ONNX test directory (model.onnx + test_data_set_N/{input,output}_K.pb):
/// compiles the model for each data set's input shapes (once for all, for
/// the inputs bounded by `maxShapes`), runs it, compares
/// every output (|got - want| <= atol + rtol * |want|), and prints
/// `PASS DIR (max abs err A, max rel err R)` or `FAIL DIR: reason`, then
/// `N passed, M failed`. Returns the number of failed directories. For
/// another target each data set runs as an executable (through
/// `runWith`), reading the data set's files and writing its outputs.
int checkDirectories(const std::vector<std::string> &dirs,
                     const CheckOptions &options, llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_COMPILER_CHECK_H

//===- GpuTarget.cpp - The GPU a --device=cuda model is compiled for ------===//

#include "compiler/gpu/GpuTarget.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include <cstdlib>

namespace attnc {

/// The toolkit folder (with bin/ptxas), or empty.
static std::string findCudaToolkit() {
  auto hasPtxas = [](llvm::StringRef root) {
    llvm::SmallString<256> ptxas(root);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    return !root.empty() && llvm::sys::fs::can_execute(ptxas);
  };
  for (const char *variable : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *root = std::getenv(variable); root && hasPtxas(root))
      return root;
  if (hasPtxas("/usr/local/cuda"))
    return "/usr/local/cuda";
  if (llvm::ErrorOr<std::string> ptxas = llvm::sys::findProgramByName("ptxas")) {
    llvm::StringRef root = llvm::sys::path::parent_path(llvm::sys::path::parent_path(*ptxas));
    if (hasPtxas(root))
      return root.str();
  }
  return "";
}

std::optional<GpuTarget> describeGpu(const std::string &chip, std::string &error) {
  // PTX ISA 8.0 (CUDA 12.0) is the first with sm_90a; every chip here uses it.
  if (chip != "sm_80" && chip != "sm_90" && chip != "sm_90a") {
    error = "unsupported --gpu '" + chip + "': expected sm_80, sm_90 or sm_90a";
    return std::nullopt;
  }
  GpuTarget target;
  target.chip = chip;
  target.ptxFeatures = "+ptx80";
  target.toolkit = findCudaToolkit();
  if (target.toolkit.empty()) {
    error = "--device=cuda needs the CUDA toolkit's ptxas to assemble the kernels: none in "
            "$CUDA_HOME, $CUDA_PATH, /usr/local/cuda or on PATH";
    return std::nullopt;
  }
  return target;
}

} // namespace attnc

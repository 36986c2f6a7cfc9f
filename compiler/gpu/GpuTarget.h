//===- GpuTarget.h - The GPU a --device=cuda model is compiled for -*- C++ -*-===//

#ifndef ATTNC_COMPILER_GPU_GPUTARGET_H
#define ATTNC_COMPILER_GPU_GPUTARGET_H

#include "compiler/Pipeline.h"
#include <optional>
#include <string>

namespace attnc {

/// The target for `--gpu=CHIP` (sm_80, sm_90 or sm_90a) with the CUDA
/// toolkit that assembles its kernels: $CUDA_HOME, $CUDA_PATH, /usr/local/cuda
/// or the folder above the `ptxas` on PATH, the first that has bin/ptxas.
/// Null with `error` set for an unknown chip or when no ptxas is found.
std::optional<GpuTarget> describeGpu(const std::string &chip, std::string &error);

} // namespace attnc

#endif // ATTNC_COMPILER_GPU_GPUTARGET_H

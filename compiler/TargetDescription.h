//===- TargetDescription.h - What the cost model knows of a CPU -*- C++ -*-===//
//
// The few numbers attention tiling depends on (SIMD width, FMA, registers,
// caches, cores), read from the host or derived from --target/--mcpu.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_TARGETDESCRIPTION_H
#define ATTNC_COMPILER_TARGETDESCRIPTION_H

#include "compiler/Target.h"
#include <cstdint>
#include <optional>
#include <string>

namespace attnc {

struct TargetDescription {
  std::string triple, cpu;
  /// f32 SIMD width the register-tiled kernel may use: 512 (x86 AVX-512F),
  /// 256 (x86 AVX2 with FMA), 128 (x86 SSE, or AVX without FMA: Sandy and
  /// Ivy Bridge split 256-bit loads and have no FMA, so the kernel gains
  /// nothing from ymm there; AArch64 NEON), 0 (no SIMD attnc uses).
  int64_t vectorBits = 0;
  /// Fused multiply-add on vectors (x86 FMA3, every AArch64 NEON unit).
  bool hasFma = false;
  /// Architectural vector registers (16 for SSE/AVX/AVX2, 32 for AVX-512
  /// and NEON).
  int64_t vectorRegisters = 0;
  /// Vector FMA instructions issued per cycle per core: 2 on x86 with FMA
  /// (Haswell and later, Zen) and on NEON (Cortex-A72, Neoverse N1); 1
  /// otherwise. Some AVX-512 parts have one 512-bit unit; nothing here can
  /// tell, so 2 is assumed.
  int64_t fmaUnits = 1;
  /// Data cache sizes in bytes, per core for L1 and L2, total for L3
  /// (0 = none or unknown).
  int64_t l1Bytes = 0, l2Bytes = 0, l3Bytes = 0;
  /// Cores the compiled code may use; 0 = unknown (decided at run time).
  int64_t cores = 0;
  /// "host" (this machine: its features, sysfs caches, affinity mask) or
  /// "--target/--mcpu" (LLVM's features for that CPU, per-architecture
  /// default caches, unknown cores).
  std::string source;
  /// The SIMD level in words: "avx512", "avx2", "avx", "sse", "neon" or
  /// "scalar".
  std::string simd = "scalar";
};

/// Describes the machine `options` names (the host when both fields are
/// empty or the CPU is "native"). Returns std::nullopt and sets `error`
/// for an unknown triple or CPU.
std::optional<TargetDescription> describeTarget(const TargetOptions &options,
                                                std::string &error);

} // namespace attnc

#endif // ATTNC_COMPILER_TARGETDESCRIPTION_H

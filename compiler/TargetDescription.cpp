//===- TargetDescription.cpp - What the cost model knows of a CPU --------===//
//
// Features come from LLVM's subtarget for the chosen CPU (the host's own
// feature list by default), caches and cores from the host's sysfs and
// affinity mask, or from per-architecture defaults when cross-compiling.
//
//===----------------------------------------------------------------------===//

#include "compiler/TargetDescription.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/TargetParser/Triple.h"
#include <algorithm>
#include <thread>
#ifdef __linux__
#include <sched.h>
#include <unistd.h>
#endif

namespace attnc {

namespace {

constexpr int64_t kKiB = 1024, kMiB = 1024 * 1024;

/// Cache sizes assumed for a CPU attnc cannot inspect. x86-64: 32 KiB L1d
/// (Haswell through Ice Lake, Zen); L2 1 MiB with AVX-512 (Skylake-SP and
/// later server parts, Zen 4), else 256 KiB (Haswell..Skylake client; an
/// underestimate for Zen's 512 KiB, which only makes blocks smaller).
/// AArch64: 64 KiB L1d and 1 MiB L2 (Neoverse N1/N2/V1, the servers one
/// cross-compiles for). Others: 32 KiB / 256 KiB. L3 stays unknown (0):
/// the cost model does not use it.
void setDefaultCaches(TargetDescription &target, const llvm::Triple &triple) {
  target.l1Bytes = 32 * kKiB;
  target.l2Bytes = 256 * kKiB;
  if (triple.isX86() && target.vectorBits == 512)
    target.l2Bytes = 1 * kMiB;
  if (triple.isAArch64()) {
    target.l1Bytes = 64 * kKiB;
    target.l2Bytes = 1 * kMiB;
  }
  target.l3Bytes = 0;
}

/// Reads a sysfs file's first line, or "" if it cannot.
std::string readLine(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFileAsStream(path);
  if (!buffer)
    return "";
  return (*buffer)->getBuffer().split('\n').first.trim().str();
}

/// "48K", "2048K", "1M" -> bytes; 0 if unreadable.
int64_t parseCacheSize(llvm::StringRef text) {
  int64_t unit = 1;
  if (text.consume_back("K"))
    unit = kKiB;
  else if (text.consume_back("M"))
    unit = kMiB;
  int64_t value;
  if (text.getAsInteger(10, value))
    return 0;
  return value * unit;
}

/// The host's data caches from sysfs (cpu0's view: L1/L2 per core, L3
/// shared), then sysconf; a level neither reports keeps its default.
void readHostCaches(TargetDescription &target) {
  int64_t sizes[4] = {0, 0, 0, 0};
  for (int index = 0; index < 8; ++index) {
    std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    std::string level = readLine(dir + "level"), type = readLine(dir + "type");
    if (level.empty())
      break;
    int64_t n;
    if (type == "Instruction" || llvm::StringRef(level).getAsInteger(10, n) || n < 1 || n > 3)
      continue;
    sizes[n] = parseCacheSize(readLine(dir + "size"));
  }
#if defined(__linux__) && defined(_SC_LEVEL1_DCACHE_SIZE)
  const int names[4] = {0, _SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE};
  for (int n = 1; n <= 3; ++n)
    if (sizes[n] <= 0)
      sizes[n] = std::max<long>(sysconf(names[n]), 0);
#endif
  int64_t *fields[4] = {nullptr, &target.l1Bytes, &target.l2Bytes, &target.l3Bytes};
  for (int n = 1; n <= 3; ++n)
    if (sizes[n] > 0)
      *fields[n] = sizes[n];
}

/// CPUs this process may run on (its affinity mask), else the hardware
/// thread count, else 0.
int64_t hostCores() {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0)
      return count;
  }
#endif
  return std::thread::hardware_concurrency();
}

} // namespace

std::optional<TargetDescription> describeTarget(const TargetOptions &options,
                                                std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(options, error);
  if (!machine)
    return std::nullopt;
  const llvm::Triple &triple = machine->getTargetTriple();
  const llvm::MCSubtargetInfo *subtarget = machine->getMCSubtargetInfo();
  auto has = [&](llvm::StringRef feature) {
    return subtarget->checkFeatures(("+" + feature).str());
  };

  TargetDescription target;
  target.triple = triple.str();
  target.cpu = machine->getTargetCPU().str();
  bool host = options.triple.empty() && (options.cpu.empty() || options.cpu == "native");
  target.source = host ? "host" : "--target/--mcpu";

  if (triple.isX86()) {
    target.hasFma = has("fma");
    target.vectorRegisters = triple.isArch64Bit() ? 16 : 8;
    target.fmaUnits = target.hasFma ? 2 : 1;
    if (has("avx512f")) {
      target.vectorBits = 512;
      target.vectorRegisters = 32;
      target.simd = "avx512";
    } else if (has("avx2") && target.hasFma) {
      target.vectorBits = 256;
      target.simd = "avx2";
    } else if (has("avx")) {
      target.vectorBits = 128;
      target.simd = "avx";
    } else if (has("sse2")) {
      target.vectorBits = 128;
      target.simd = "sse";
    }
  } else if (triple.isAArch64() && has("neon")) {
    target.vectorBits = 128;
    target.hasFma = true;
    target.vectorRegisters = 32;
    target.fmaUnits = 2;
    target.simd = "neon";
  }

  setDefaultCaches(target, triple);
  if (host) {
    readHostCaches(target);
    target.cores = hostCores();
  }
  return target;
}

} // namespace attnc

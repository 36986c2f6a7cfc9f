# lit configuration for attnc's regression tests (test/ mirrors the source tree).
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "attnc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attnc_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs",
                   "README.md"]

# Captured variables stay local to their CHECK-LABEL block.
config.environment["FILECHECK_OPTS"] = "-enable-var-scope"

llvm_config.with_system_environment(
    ["HOME", "TMP", "TEMP", "CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"])
llvm_config.use_default_substitutions()
# A RUN line may start with `not`; it lives beside FileCheck.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.attnc_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["attnc-opt", "attnc"],
                                   [config.attnc_tools_dir])
config.substitutions.append(("%python", config.python3_with_onnx))
config.substitutions.append(("%attnc_src", config.attnc_src_root))
config.substitutions.append(("%attnc_lib", os.path.join(config.attnc_obj_root, "lib")))
config.substitutions.append(("%attnc_obj", config.attnc_obj_root))
config.substitutions.append(("%fake_cuda_dir", os.path.join(config.attnc_obj_root, "test-lib", "fake-cuda")))

# This host runs AVX2 + FMA code (e.g. `attnc check --mcpu haswell`).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line.split(":", 1)[1].split() for line in cpuinfo
                      if line.startswith("flags")), [])
    if "avx2" in flags and "fma" in flags:
        config.available_features.add("host-avx2")
    # ... and AVX-512 code (the vector kernel's vscalefps exponentials).
    if "avx512f" in flags:
        config.available_features.add("host-avx512")
except OSError:
    pass

# The sanitizer build (ATTNC_SANITIZE): a program that links or loads the
# sanitized runtime without the sanitizers' runtimes (a C program built by
# `cc`, the Python module) cannot run, so those tests say
# `UNSUPPORTED: sanitized`. Reports stop the process (halt_on_error) and
# fail the test.
if config.attnc_sanitize:
    config.available_features.add("sanitized")
    # allow_user_poisoning=0: LLVM's headers poison allocator memory from
    # attnc's instrumented code that the uninstrumented libMLIR.so then
    # writes (false use-after-poison reports).
    config.environment["ASAN_OPTIONS"] = (
        "detect_leaks=1:halt_on_error=1:abort_on_error=0:allow_user_poisoning=0")
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    # Third-party leaks only (libomp's worker blocks): test/lsan.supp.
    config.environment["LSAN_OPTIONS"] = "suppressions=" + os.path.join(
        config.attnc_src_root, "test", "lsan.supp")

# aarch64 code runs under qemu-user, linked by the cross g++ (setup.sh).
if shutil.which("qemu-aarch64") and shutil.which("aarch64-linux-gnu-g++"):
    config.available_features.add("qemu-aarch64")
    # attnc links aarch64 executables with the runtime built for aarch64
    # (cmake/CrossRuntimes.cmake; not in the sanitizer build) ...
    aarch64_lib = os.path.join(config.attnc_obj_root, "lib", "aarch64-linux-gnu")
    if os.path.exists(os.path.join(aarch64_lib, "libattnc_runtime.a")):
        config.available_features.add("aarch64-runtime")
    # ... multi-threaded too, with the aarch64 libomp setup.sh fetches.
    if os.path.exists(os.path.join(aarch64_lib, "libomp.so")):
        config.available_features.add("aarch64-libomp")
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas" if os.path.exists("/usr/local/cuda/bin/ptxas") else None)
if ptxas:
    config.available_features.add("ptxas")
    llvm_config.with_environment("PATH", os.path.dirname(ptxas), append_path=True)
if os.path.exists("/dev/nvidia0"):
    config.available_features.add("gpu")
# The libFuzzer targets (test/fuzz), built when the compiler is clang.
if os.path.exists(os.path.join(config.attnc_tools_dir, "attnc-fuzz-tensor-files")):
    config.available_features.add("fuzzers")
# Room for a model past 2 GiB (test/e2e/large-weights.test writes 4.7 GB
# and its compile peaks near 5 GB): a machine short of disk or memory
# reports that test unsupported rather than failing for want of room.
def _gib_free_on_disk(path):
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize / (1 << 30)


def _gib_available_memory():
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / (1 << 20)
    except OSError:
        pass
    return 0.0


os.makedirs(config.test_exec_root, exist_ok=True)
if _gib_free_on_disk(config.test_exec_root) >= 12 and _gib_available_memory() >= 10:
    config.available_features.add("room-for-large-models")

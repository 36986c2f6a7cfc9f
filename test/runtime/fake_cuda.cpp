//===- fake_cuda.cpp - A CUDA driver stand-in for tests without a GPU -----===//
//
// Built as libcuda.so.1 in its own folder; a --device=cuda model run with
// that folder on LD_LIBRARY_PATH loads it instead of NVIDIA's driver. It
// cannot run kernels (they are cubins), so it checks everything around
// them, which is what the host code attnc generates and the runtime's
// mgpu* layer do:
//   - device memory is host memory it tracks: a copy or free outside what
//     it handed out, or past an allocation's end, aborts with a message;
//   - a module must be an ELF (a cubin), a kernel's name must occur in it;
//   - a launch needs a non-empty grid, at most 1024 threads per block and
//     a parameter array;
//   - at exit it prints what happened (FAKE_CUDA_LOG=1): launches, copies
//     by direction and bytes, allocations still live.
// FAKE_CUDA_FAIL=launch makes every launch fail (CUDA_ERROR_LAUNCH_FAILED);
// FAKE_CUDA_MEMORY=BYTES is the device's memory: an allocation that would
// make more live fails (CUDA_ERROR_OUT_OF_MEMORY).
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

namespace {

using CUresult = int;
using CUdeviceptr = unsigned long long; // as cuda.h declares it on 64-bit hosts
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2, kNotFound = 500,
                   kInvalidImage = 200, kLaunchFailed = 719;

struct State {
  std::mutex mutex;
  std::map<uintptr_t, size_t> allocations; // device "memory": start -> bytes
  std::map<const char *, size_t> images;    // loaded cubins: start -> bytes
  size_t launches = 0, hostToDevice = 0, deviceToHost = 0, deviceToDevice = 0;
  size_t allocationsMade = 0, freed = 0, modules = 0;
  ~State() {
    if (const char *log = std::getenv("FAKE_CUDA_LOG"); log && *log == '1') {
      size_t live = 0;
      for (auto &[start, bytes] : allocations)
        live += bytes;
      std::fprintf(stderr,
                   "fake-cuda: %zu modules, %zu launches, copies: %zu B host->device, %zu B "
                   "device->host, %zu B device->device; %zu allocations, %zu freed, %zu live "
                   "(%zu B)\n",
                   modules, launches, hostToDevice, deviceToHost, deviceToDevice, allocationsMade,
                   freed, allocations.size(), live);
    }
  }
};

State &state() {
  static State s;
  return s;
}

[[noreturn]] void fatal(const char *what, const void *pointer) {
  std::fprintf(stderr, "fake-cuda: %s (%p)\n", what, pointer);
  std::abort();
}

/// The allocation holding [pointer, pointer + bytes), or null if none does;
/// aborts if it starts inside one and runs past its end.
const std::pair<const uintptr_t, size_t> *deviceRange(uintptr_t pointer, size_t bytes) {
  auto &allocations = state().allocations;
  auto it = allocations.upper_bound(pointer);
  if (it == allocations.begin())
    return nullptr;
  --it;
  if (pointer >= it->first + it->second)
    return nullptr;
  if (pointer + bytes > it->first + it->second)
    fatal("a copy runs past the end of a device allocation", (void *)pointer);
  return &*it;
}

} // namespace

extern "C" {

// The driver's state is built at initialization, as a real driver's is: what
// its caller builds after cuInit is destroyed before it at exit (the
// runtime's buffer pool and weight copies free their memory first).
CUresult cuInit(unsigned) {
  state();
  return kSuccess;
}
CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return kSuccess;
}
CUresult cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return ordinal == 0 ? kSuccess : kInvalidValue;
}
CUresult cuDevicePrimaryCtxRetain(void **context, int) {
  static int token;
  *context = &token;
  return kSuccess;
}
CUresult cuCtxSetCurrent(void *) { return kSuccess; }

CUresult cuModuleLoadData(void **module, const void *image) {
  const char *bytes = static_cast<const char *>(image);
  if (std::memcmp(bytes, "\x7f" "ELF", 4) != 0 || bytes[4] != 2 /*ELFCLASS64*/)
    return kInvalidImage;
  // The image's extent from its ELF header: the section headers come last.
  uint64_t sectionHeaders;
  uint16_t entrySize, entries;
  std::memcpy(&sectionHeaders, bytes + 0x28, 8);
  std::memcpy(&entrySize, bytes + 0x3a, 2);
  std::memcpy(&entries, bytes + 0x3c, 2);
  std::lock_guard<std::mutex> lock(state().mutex);
  ++state().modules;
  state().images[bytes] = sectionHeaders + (uint64_t)entrySize * entries;
  *module = const_cast<void *>(image);
  return kSuccess;
}
CUresult cuModuleUnload(void *) { return kSuccess; }

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  // The kernel's name is in the cubin's string table.
  const char *image = static_cast<const char *>(module);
  size_t length = std::strlen(name), size;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    size = state().images.at(image);
  }
  for (size_t i = 0; i + length < size; ++i)
    if (std::memcmp(image + i, name, length + 1) == 0) {
      *function = (void *)(image + i);
      return kSuccess;
    }
  return kNotFound;
}

CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned, void *, void **params, void **) {
  if (!function || gx * gy * gz == 0 || bx * by * bz == 0 || bx * by * bz > 1024)
    return kInvalidValue;
  if (const char *fail = std::getenv("FAKE_CUDA_FAIL"); fail && std::string(fail) == "launch")
    return kLaunchFailed;
  // (The parameter count is in the cubin's metadata, which the fake does
  // not read: only the array itself is checked.)
  if (!params)
    return kInvalidValue;
  std::lock_guard<std::mutex> lock(state().mutex);
  ++state().launches;
  return kSuccess;
}

CUresult cuStreamCreate(void **stream, unsigned) {
  static int token;
  *stream = &token;
  return kSuccess;
}
CUresult cuStreamSynchronize(void *) { return kSuccess; }
CUresult cuStreamDestroy_v2(void *) { return kSuccess; }

CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (const char *memory = std::getenv("FAKE_CUDA_MEMORY")) {
    size_t live = 0;
    for (const auto &[start, size] : state().allocations)
      live += size;
    if (live + bytes > std::strtoull(memory, nullptr, 10))
      return kOutOfMemory;
  }
  void *memory = std::calloc(1, bytes);
  if (!memory)
    return kOutOfMemory;
  state().allocations[(uintptr_t)memory] = bytes;
  ++state().allocationsMade;
  *pointer = (uintptr_t)memory;
  return kSuccess;
}
CUresult cuMemAllocManaged(CUdeviceptr *pointer, size_t bytes, unsigned) {
  return cuMemAlloc_v2(pointer, bytes);
}
CUresult cuMemFree_v2(CUdeviceptr pointer) {
  std::lock_guard<std::mutex> lock(state().mutex);
  auto it = state().allocations.find(pointer);
  if (it == state().allocations.end())
    fatal("free of memory that is not a device allocation", (void *)pointer);
  state().allocations.erase(it);
  ++state().freed;
  std::free((void *)pointer);
  return kSuccess;
}

CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void *) {
  std::lock_guard<std::mutex> lock(state().mutex);
  bool toDevice = deviceRange(dst, bytes) != nullptr;
  bool fromDevice = deviceRange(src, bytes) != nullptr;
  (toDevice && fromDevice ? state().deviceToDevice
   : toDevice            ? state().hostToDevice
   : fromDevice          ? state().deviceToHost
                         : state().deviceToDevice) += bytes;
  if (!toDevice && !fromDevice)
    fatal("a copy between two host buffers (neither is device memory)", (void *)dst);
  std::memmove((void *)dst, (const void *)src, bytes);
  return kSuccess;
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    if (!deviceRange(dst, bytes))
      fatal("a host-to-device copy into memory that is not a device allocation", (void *)dst);
    state().hostToDevice += bytes;
  }
  std::memcpy((void *)dst, src, bytes);
  return kSuccess;
}

CUresult cuGetErrorString(CUresult result, const char **text) {
  *text = result == kLaunchFailed  ? "unspecified launch failure (fake)"
          : result == kOutOfMemory ? "out of memory (fake)"
                                   : "fake driver error";
  return kSuccess;
}

CUresult cuEventCreate(void **event, unsigned) {
  static int token;
  *event = &token;
  return kSuccess;
}
CUresult cuEventRecord(void *, void *) { return kSuccess; }
CUresult cuEventSynchronize(void *) { return kSuccess; }
CUresult cuEventElapsedTime_v2(float *ms, void *, void *) {
  *ms = 0.25f;
  return kSuccess;
}
CUresult cuEventDestroy_v2(void *) { return kSuccess; }

} // extern "C"

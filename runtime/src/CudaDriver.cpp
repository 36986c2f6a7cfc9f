//===- CudaDriver.cpp - The mgpu* calls of --device=cuda models -----------===//
//
// A model compiled with `--device=cuda` calls the `mgpu*` functions that
// MLIR's gpu-to-llvm lowering emits (module, stream, memory and launch
// calls). They are implemented here over the CUDA driver API, which is
// loaded with dlopen("libcuda.so.1") the first time a model needs the GPU:
// attnc never links against CUDA, and a CPU model never loads it.
//
// How it behaves:
//   - Nothing touches the driver before a model runs. MLIR registers each
//     kernel binary from a static constructor (mgpuModuleLoad); that only
//     records where the binary is, and the module is loaded when its first
//     kernel is looked up.
//   - Weights (the model's constants) are copied to the GPU the first time
//     a kernel needs them and stay there (attnc_cuda_constant).
//   - Device buffers a run frees are kept for the next run's allocations
//     of the same size (BufferPool): after the first run, a run allocates
//     and frees nothing through the driver.
//   - Everything this layer holds (the weights' copies, the pool's
//     buffers) is freed by static destructors: at exit, and when a shared
//     library that carries this layer (an `--emit=lib --device=cuda`
//     model) is unloaded, so a process may load and unload GPU models
//     without leaking device or host memory. The objects holding it are
//     built after the driver is initialized, so at exit their destructors
//     run before whatever the driver registered for its own.
//   - With ATTNC_CUDA_KERNEL_TIME=1 in the environment, each stream
//     synchronization (one per run) records the GPU time of the kernels
//     launched since the last one (CUDA events around each launch), and the
//     process prints their median at exit: the kernels alone, without the
//     copies between host and GPU that a run's wall time includes.
//   - These calls cannot return an error to the generated code, so a
//     failure (no driver, no device, a binary this GPU cannot run, a launch
//     that fails) prints one line naming the reason and exits with status 1.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <functional>
#include <string_view>
#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {

using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUevent = void *;
using CUdeviceptr = unsigned long long;
constexpr CUresult CUDA_SUCCESS = 0;
constexpr unsigned CU_STREAM_NON_BLOCKING = 1;
constexpr unsigned CU_MEM_ATTACH_GLOBAL = 1;

/// The driver entry points attnc uses, resolved from libcuda.so.1.
struct Driver {
  CUresult (*init)(unsigned);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*moduleLoadData)(CUmodule *, const void *);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, CUstream, void **, void **);
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*streamDestroy)(CUstream);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*getErrorString)(CUresult, const char **);
  CUresult (*eventCreate)(CUevent *, unsigned);
  CUresult (*eventRecord)(CUevent, CUstream);
  CUresult (*eventSynchronize)(CUevent);
  CUresult (*eventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*eventDestroy)(CUevent);
  CUcontext context = nullptr;
};

[[noreturn]] void fail(const char *what, const char *detail) {
  std::fprintf(stderr, "attnc: CUDA: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  std::exit(1);
}

Driver &driver();

/// Exits naming `what` and the driver's reason when `result` is an error.
void check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return;
  const char *reason = nullptr;
  if (driver().getErrorString(result, &reason) != CUDA_SUCCESS || !reason)
    reason = "unknown driver error";
  fail(what, reason);
}

template <typename Fn> void resolve(void *library, Fn &slot, const char *name) {
  slot = reinterpret_cast<Fn>(dlsym(library, name));
  if (!slot)
    fail("the CUDA driver lacks", name);
}

Driver loadDriver() {
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library)
    fail("no CUDA driver (libcuda.so.1 cannot be loaded); this model was compiled with "
         "--device=cuda and needs an NVIDIA GPU and its driver",
         dlerror());
  Driver d;
  resolve(library, d.init, "cuInit");
  resolve(library, d.deviceGetCount, "cuDeviceGetCount");
  resolve(library, d.deviceGet, "cuDeviceGet");
  resolve(library, d.primaryCtxRetain, "cuDevicePrimaryCtxRetain");
  resolve(library, d.ctxSetCurrent, "cuCtxSetCurrent");
  resolve(library, d.moduleLoadData, "cuModuleLoadData");
  resolve(library, d.moduleUnload, "cuModuleUnload");
  resolve(library, d.moduleGetFunction, "cuModuleGetFunction");
  resolve(library, d.launchKernel, "cuLaunchKernel");
  resolve(library, d.streamCreate, "cuStreamCreate");
  resolve(library, d.streamSynchronize, "cuStreamSynchronize");
  resolve(library, d.streamDestroy, "cuStreamDestroy_v2");
  resolve(library, d.memAlloc, "cuMemAlloc_v2");
  resolve(library, d.memAllocManaged, "cuMemAllocManaged");
  resolve(library, d.memFree, "cuMemFree_v2");
  resolve(library, d.memcpyAsync, "cuMemcpyAsync");
  resolve(library, d.memcpyHtoD, "cuMemcpyHtoD_v2");
  resolve(library, d.getErrorString, "cuGetErrorString");
  resolve(library, d.eventCreate, "cuEventCreate");
  resolve(library, d.eventRecord, "cuEventRecord");
  resolve(library, d.eventSynchronize, "cuEventSynchronize");
  resolve(library, d.eventElapsedTime, "cuEventElapsedTime_v2");
  resolve(library, d.eventDestroy, "cuEventDestroy_v2");
  return d;
}

Driver &driver() {
  // Trivially destructible: valid until the code is unmapped, for the
  // kernels' module unloads that MLIR's destructors make last of all.
  static Driver instance = loadDriver();
  return instance;
}

/// The driver with device 0's primary context current on this thread.
Driver &gpu() {
  static std::once_flag once;
  std::call_once(once, [] {
    Driver &d = driver();
    check(d.init(0), "cannot initialize the driver");
    int count = 0;
    check(d.deviceGetCount(&count), "cannot count the devices");
    if (count == 0)
      fail("no CUDA device", "the driver sees no GPU");
    CUdevice device;
    check(d.deviceGet(&device, 0), "cannot open device 0");
    check(d.primaryCtxRetain(&d.context, device), "cannot create a context on device 0");
  });
  thread_local bool current = false;
  Driver &d = driver();
  if (!current) {
    check(d.ctxSetCurrent(d.context), "cannot make the context current");
    current = true;
  }
  return d;
}

/// ATTNC_CUDA_KERNEL_TIME: the kernels' GPU time per run (between stream
/// synchronizations), printed at exit (or when the model is unloaded).
class KernelTimer {
public:
  /// The timer, or null when the environment does not ask for one.
  static KernelTimer *get() {
    static const bool enabled = [] {
      const char *flag = std::getenv("ATTNC_CUDA_KERNEL_TIME");
      return flag && *flag && std::string_view(flag) != "0";
    }();
    if (!enabled)
      return nullptr;
    static KernelTimer timer;
    return &timer;
  }

  ~KernelTimer() { report(); }

  /// Events around one launch on `stream`.
  void around(CUstream stream, const std::function<void()> &launch) {
    Driver &d = gpu();
    CUevent start, end;
    check(d.eventCreate(&start, 0), "cannot create an event");
    check(d.eventCreate(&end, 0), "cannot create an event");
    check(d.eventRecord(start, stream), "cannot record an event");
    launch();
    check(d.eventRecord(end, stream), "cannot record an event");
    std::lock_guard<std::mutex> lock(mutex);
    pending.push_back({start, end});
  }

  /// After a stream synchronization: the pending launches make one run.
  void closeRun() {
    Driver &d = gpu();
    std::lock_guard<std::mutex> lock(mutex);
    if (pending.empty())
      return;
    double total = 0;
    for (auto [start, end] : pending) {
      float ms = 0;
      check(d.eventSynchronize(end), "a kernel failed");
      check(d.eventElapsedTime(&ms, start, end), "cannot time a kernel");
      total += ms;
      d.eventDestroy(start);
      d.eventDestroy(end);
    }
    runs.push_back(total);
    launches = pending.size();
    pending.clear();
  }

private:
  void report() {
    if (runs.empty())
      return;
    std::vector<double> sorted = runs;
    std::sort(sorted.begin(), sorted.end());
    std::fprintf(stderr,
                 "attnc: CUDA kernel time per run: median %.4f ms, min %.4f ms over %zu runs "
                 "(%zu launches each)\n",
                 sorted[sorted.size() / 2], sorted.front(), sorted.size(), launches);
  }

  std::mutex mutex;
  std::vector<std::pair<CUevent, CUevent>> pending;
  std::vector<double> runs;
  size_t launches = 0;
};

/// A kernel binary, loaded into the driver when first used.
struct LazyModule {
  const void *binary;
  std::once_flag loaded;
  CUmodule module = nullptr;
};

/// Frees `pointer` while this layer is torn down (at exit, or when the
/// model's library is unloaded, on whichever thread does that): the context
/// made current first; failures are ignored, as nothing can be done then.
void freeOnTeardown(Driver &d, CUdeviceptr pointer) {
  (void)d.ctxSetCurrent(d.context);
  (void)d.memFree(pointer);
}

/// Device buffers are kept when a run frees them and handed to the next
/// allocation of the same size: every run of a model allocates the same
/// buffers, and cuMemAlloc / cuMemFree cost tens of microseconds each (and
/// cuMemFree waits for the device), so from the second run on a run
/// allocates nothing from the driver. A buffer freed on a stream is reused
/// on that stream at once (its work is ordered after the last use) and on
/// any other once that stream has been synchronized. Everything is given
/// back to the driver at exit or unload; until then the pool holds what
/// the largest set of live buffers took.
class BufferPool {
public:
  static BufferPool &get() {
    static BufferPool pool(gpu());
    return pool;
  }

  ~BufferPool() {
    for (auto &[pointer, bytes] : sizes)
      freeOnTeardown(d, pointer);
  }

  CUdeviceptr take(size_t bytes, CUstream stream) {
    std::lock_guard<std::mutex> lock(mutex);
    for (std::vector<Block> *list : {&pending[stream], &idle}) {
      auto found = std::find_if(list->begin(), list->end(),
                                [&](const Block &block) { return block.bytes == bytes; });
      if (found != list->end()) {
        CUdeviceptr pointer = found->pointer;
        list->erase(found);
        return pointer;
      }
    }
    CUdeviceptr pointer = 0;
    check(d.memAlloc(&pointer, bytes), "out of GPU memory");
    sizes[pointer] = bytes;
    return pointer;
  }

  /// Takes `pointer` back (false if the pool did not hand it out).
  bool give(CUdeviceptr pointer, CUstream stream) {
    std::lock_guard<std::mutex> lock(mutex);
    auto size = sizes.find(pointer);
    if (size == sizes.end())
      return false;
    pending[stream].push_back({pointer, size->second});
    return true;
  }

  /// `stream`'s work is done: what it freed may go to any stream.
  void settle(CUstream stream) {
    std::lock_guard<std::mutex> lock(mutex);
    auto freed = pending.find(stream);
    if (freed == pending.end())
      return;
    idle.insert(idle.end(), freed->second.begin(), freed->second.end());
    pending.erase(freed);
  }

private:
  struct Block {
    CUdeviceptr pointer;
    size_t bytes;
  };

  /// Built after the driver is initialized (see the file's header).
  explicit BufferPool(Driver &d) : d(d) {}

  Driver &d;
  std::mutex mutex;
  std::unordered_map<CUdeviceptr, size_t> sizes; // every buffer handed out
  std::vector<Block> idle;
  std::unordered_map<CUstream, std::vector<Block>> pending;
};

/// The device copies of the weights (attnc_cuda_constant), by host
/// address; each layer of this runtime serves the one model whose code
/// carries it, and frees the copies with it.
class WeightCopies {
public:
  static WeightCopies &get() {
    static WeightCopies copies(gpu());
    return copies;
  }

  ~WeightCopies() {
    for (auto &[host, device] : copies)
      if (device)
        freeOnTeardown(d, device);
  }

  void *copyOf(void *host, int64_t bytes) {
    std::lock_guard<std::mutex> lock(mutex);
    auto [entry, added] = copies.try_emplace(host, 0);
    if (added && bytes > 0) {
      check(d.memAlloc(&entry->second, bytes), "out of GPU memory for the model's weights");
      check(d.memcpyHtoD(entry->second, host, bytes),
            "cannot copy the model's weights to the GPU");
    }
    return reinterpret_cast<void *>(entry->second);
  }

private:
  /// Built after the driver is initialized (see the file's header).
  explicit WeightCopies(Driver &d) : d(d) {}

  Driver &d;
  std::mutex mutex;
  std::unordered_map<void *, CUdeviceptr> copies;
};

} // namespace

extern "C" {

void *mgpuModuleLoad(void *data, uint64_t /*size*/) {
  return new LazyModule{data, {}, nullptr};
}

void mgpuModuleUnload(void *handle) {
  auto *lazy = static_cast<LazyModule *>(handle);
  if (lazy->module)
    driver().moduleUnload(lazy->module); // at exit: a failure changes nothing
  delete lazy;
}

void *mgpuModuleGetFunction(void *handle, const char *name) {
  auto *lazy = static_cast<LazyModule *>(handle);
  Driver &d = gpu();
  std::call_once(lazy->loaded, [&] {
    check(d.moduleLoadData(&lazy->module, lazy->binary),
          "cannot load the model's kernels (compiled for another GPU architecture? see "
          "attnc compile --gpu)");
  });
  CUfunction function = nullptr;
  check(d.moduleGetFunction(&function, lazy->module, name), "cannot find a kernel");
  return function;
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                      intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t sharedBytes,
                      void *stream, void **params, void **extra, size_t /*paramsCount*/) {
  // A grid over a run-time dim of 0 (an empty KV cache) runs nothing; the
  // driver would refuse it.
  if (gridX == 0 || gridY == 0 || gridZ == 0)
    return;
  auto launch = [&] {
    check(gpu().launchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes,
                             stream, params, extra),
          "kernel launch failed");
  };
  if (KernelTimer *timer = KernelTimer::get())
    timer->around(stream, launch);
  else
    launch();
}

void *mgpuStreamCreate() {
  CUstream stream = nullptr;
  check(gpu().streamCreate(&stream, CU_STREAM_NON_BLOCKING), "cannot create a stream");
  return stream;
}

void mgpuStreamSynchronize(void *stream) {
  check(gpu().streamSynchronize(stream), "a kernel or copy failed");
  BufferPool::get().settle(stream);
  if (KernelTimer *timer = KernelTimer::get())
    timer->closeRun();
}

void mgpuStreamDestroy(void *stream) {
  check(gpu().streamSynchronize(stream), "a kernel or copy failed");
  BufferPool::get().settle(stream);
  check(gpu().streamDestroy(stream), "cannot free a stream");
}

void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared) {
  if (bytes == 0)
    return nullptr;
  CUdeviceptr pointer = 0;
  Driver &d = gpu();
  if (hostShared)
    check(d.memAllocManaged(&pointer, bytes, CU_MEM_ATTACH_GLOBAL), "out of GPU memory");
  else
    pointer = BufferPool::get().take(bytes, stream);
  return reinterpret_cast<void *>(pointer);
}

void mgpuMemFree(void *pointer, void *stream) {
  if (!pointer)
    return;
  auto device = reinterpret_cast<CUdeviceptr>(pointer);
  if (!BufferPool::get().give(device, stream))
    check(gpu().memFree(device), "cannot free GPU memory"); // a managed allocation
}

void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  if (bytes == 0) // an empty buffer (a run-time dim of 0): null pointers, nothing to move
    return;
  check(gpu().memcpyAsync(reinterpret_cast<CUdeviceptr>(dst), reinterpret_cast<CUdeviceptr>(src),
                          bytes, stream),
        "copy between host and GPU failed");
}

/// The device copy of a model's constant (a weight) at `host`, uploaded on
/// first use and kept while the model's code is loaded: weights never
/// change, and every run after the first finds them on the GPU.
void *attnc_cuda_constant(void *host, int64_t bytes) {
  return WeightCopies::get().copyOf(host, bytes);
}

} // extern "C"

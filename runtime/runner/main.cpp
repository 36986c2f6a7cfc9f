//===- main.cpp - Command-line runner for a linked model --------*- C++ -*-===//
//
// Linked with one compiled model object into an executable:
//   ./model --input NAME=FILE ... [--output-dir DIR] [--repeat N] [--print]
//           [--stats] [--help]
// Reads .npy / .pb inputs, runs the model, prints each output's shape and the
// median run time, and optionally writes the outputs. Any failure prints one
// "error: ..." line on stderr and exits with status 1.
//
//===----------------------------------------------------------------------===//

#include "attnc/runtime.h"
#include "runtime/io/CacheBuffer.h"
#include "runtime/io/TensorFile.h"
#include "runtime/io/TensorSummary.h"
#include "runtime/src/PercentEncoding.h"
#include "runtime/src/Shape.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <memory>
#include <new>
#include <string>
#include <vector>

// The model ABI: the compiled model object linked beside this runner
// defines both.
extern "C" const char *attnc_model_manifest(void);
extern "C" void attnc_model_run(void **buffers);
// Optional: models compiled by this attnc count their heap blocks (see
// attnc_model_memory_stats in compiler/cpu/ObjectEmitter.cpp); weak, so a
// model object without it still links.
extern "C" void attnc_model_memory_stats(uint64_t *out) __attribute__((weak));

namespace {

using attnc::io::Result;
using attnc::io::Status;
using attnc::io::Tensor;
using attnc::io::TensorFileFormat;

constexpr size_t kMaxRepeat = 10000000;
constexpr size_t kBufferAlignment = 64;

struct Options {
  /// The NAME=FILE arguments of --input, in command-line order.
  std::vector<std::string> inputs;
  std::string outputDir;
  size_t repeat = 1;
  bool stats = false;
  bool print = false;
  bool help = false;
};

struct ModelDeleter {
  void operator()(attnc_model_t *model) const { attnc_model_release(model); }
};
using ModelPtr = std::unique_ptr<attnc_model_t, ModelDeleter>;

struct FreeDeleter {
  void operator()(void *data) const { std::free(data); }
};

/// A zeroed, 64-byte aligned buffer, never null even when empty: compiled
/// code may use aligned vector loads.
struct AlignedBuffer {
  std::unique_ptr<void, FreeDeleter> data;
  size_t size = 0;
};

Result<AlignedBuffer> allocate(size_t size) {
  void *data = nullptr;
  size_t rounded =
      std::max(kBufferAlignment, (size + kBufferAlignment - 1) /
                                     kBufferAlignment * kBufferAlignment);
  if (rounded < size || posix_memalign(&data, kBufferAlignment, rounded) != 0)
    return Status::error("cannot allocate " + std::to_string(size) + " bytes");
  std::memset(data, 0, rounded);
  AlignedBuffer buffer;
  buffer.data.reset(data);
  buffer.size = size;
  return buffer;
}

/// Takes ownership of `status` and turns it into an io::Status.
Status toStatus(attnc_status_t *status) {
  if (!status)
    return Status();
  Status result = Status::error(attnc_status_message(status));
  attnc_status_free(status);
  return result;
}

void printUsage(const char *program) {
  std::printf(
      "usage: %s --input NAME=FILE ... [--output-dir DIR] [--repeat N] [--print]\n"
      "          [--stats]\n"
      "\n"
      "Runs the compiled model linked into this executable.\n"
      "\n"
      "  --input NAME=FILE  bind model input NAME to FILE: .npy, or an ONNX\n"
      "                     TensorProto (.pb or any other extension)\n"
      "  --output-dir DIR   write each output to DIR/<name>.npy or .pb, the\n"
      "                     extension of the first input file, with bytes\n"
      "                     outside [A-Za-z0-9_.-] in <name> written as %%XX\n"
      "  --repeat N         run N times (default 1) and print the median time\n"
      "  --print            show each output's values in brief: the first ones,\n"
      "                     min/max/mean, and the top 5 of the last row of a\n"
      "                     floating-point output (a language model's next\n"
      "                     token candidates)\n"
      "  --stats            print the memory a run uses: the workspace planned\n"
      "                     at compile time, and heap allocations per run with\n"
      "                     the peak of live heap bytes\n"
      "  --help             print this message and the model's inputs and\n"
      "                     outputs\n",
      program);
}

void printSignature(const attnc_model_t *model) {
  for (int outputs = 0; outputs < 2; ++outputs) {
    size_t count = outputs ? attnc_model_output_count(model)
                           : attnc_model_input_count(model);
    std::printf("\n%s:\n", outputs ? "outputs" : "inputs");
    for (size_t i = 0; i < count; ++i) {
      attnc_tensor_info_t info;
      attnc_status_t *status = outputs
                                   ? attnc_model_output_info(model, i, &info)
                                   : attnc_model_input_info(model, i, &info);
      if (status) {
        attnc_status_free(status);
        continue;
      }
      std::string text = attnc::describeNamedTensor(info.name, info.dtype, info.dims, info.rank);
      // Run-time dims (shown as "?"): their bounds follow.
      if (!std::equal(info.dims, info.dims + info.rank, info.max_dims))
        text += " up to " + attnc::formatShape(info.max_dims, info.rank);
      std::printf("  %s\n", text.c_str());
    }
  }
}

/// Reads "--flag VALUE" or "--flag=VALUE" at argv[i], advancing i.
bool takeValue(int argc, char **argv, int &i, const char *flag,
               std::string &out, Status &error) {
  std::string arg = argv[i];
  size_t length = std::strlen(flag);
  if (arg.size() > length && arg.compare(0, length, flag) == 0 &&
      arg[length] == '=') {
    out = arg.substr(length + 1);
    return true;
  }
  if (arg != flag)
    return false;
  if (i + 1 >= argc) {
    error = Status::error(std::string(flag) + " needs a value");
    return true;
  }
  out = argv[++i];
  return true;
}

Status parseRepeat(const std::string &text, size_t &out) {
  size_t value = 0;
  bool ok = !text.empty();
  for (char c : text) {
    if (c < '0' || c > '9' || value > kMaxRepeat) {
      ok = false;
      break;
    }
    value = value * 10 + static_cast<size_t>(c - '0');
  }
  if (!ok || value < 1 || value > kMaxRepeat)
    return Status::error("--repeat expects an integer from 1 to " +
                         std::to_string(kMaxRepeat) + ", got '" + text + "'");
  out = value;
  return Status();
}

Status parseOptions(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    Status error;
    if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--stats") {
      options.stats = true;
    } else if (arg == "--print") {
      options.print = true;
    } else if (takeValue(argc, argv, i, "--input", value, error)) {
      if (!error)
        return error;
      options.inputs.push_back(value);
    } else if (takeValue(argc, argv, i, "--output-dir", value, error)) {
      if (!error)
        return error;
      if (value.empty())
        return Status::error("--output-dir needs a non-empty directory");
      options.outputDir = value;
    } else if (takeValue(argc, argv, i, "--repeat", value, error)) {
      if (!error)
        return error;
      if (Status status = parseRepeat(value, options.repeat); !status)
        return status;
    } else {
      return Status::error("unknown argument '" + arg +
                           "'; run with --help for usage");
    }
  }
  return Status();
}

std::string describeInputs(const attnc_model_t *model) {
  std::string text;
  size_t count = attnc_model_input_count(model);
  for (size_t i = 0; i < count; ++i) {
    attnc_tensor_info_t info;
    if (attnc_status_t *status = attnc_model_input_info(model, i, &info)) {
      attnc_status_free(status);
      continue;
    }
    text += (i ? ", " : "") + attnc::describeNamedTensor(info.name, info.dtype,
                                                         info.dims, info.rank);
  }
  return text.empty() ? "(none)" : text;
}

/// One model input bound to a file and its data.
struct BoundInput {
  std::string file;
  Tensor tensor;
  AlignedBuffer buffer;
  bool bound = false;
  /// A KV cache kept in place: `buffer` is its whole buffer.
  bool cache = false;
};

/// Splits NAME=FILE. Names may contain '=', so the longest prefix that names
/// a model input wins; otherwise the text splits at the first '='.
Status bindInput(const attnc_model_t *model, const std::string &argument,
                 std::vector<BoundInput> &bound) {
  size_t split = std::string::npos, index = 0;
  for (size_t eq = argument.find('='); eq != std::string::npos;
       eq = argument.find('=', eq + 1)) {
    size_t found = 0;
    attnc_status_t *status =
        attnc_model_find_input(model, argument.substr(0, eq).c_str(), &found);
    if (!status)
      split = eq, index = found;
    attnc_status_free(status);
  }
  if (split == std::string::npos) {
    size_t eq = argument.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::error("--input expects NAME=FILE, got '" + argument + "'");
    return Status::error("unknown input '" + argument.substr(0, eq) +
                         "'; the model's inputs are " + describeInputs(model));
  }
  BoundInput &input = bound[index];
  std::string name = argument.substr(0, split);
  if (input.bound)
    return Status::error("input '" + name + "' is given twice");
  input.bound = true;
  input.file = argument.substr(split + 1);
  if (input.file.empty())
    return Status::error("--input " + name + "= needs a file name");
  return Status();
}

Status loadInput(const attnc_model_t *model, size_t index, BoundInput &input,
                 attnc_tensor_t &out) {
  Result<Tensor> tensor = attnc::io::readTensorFile(input.file);
  if (!tensor)
    return tensor.status();
  input.tensor = std::move(tensor.value());
  attnc_tensor_info_t info;
  if (Status status = toStatus(attnc_model_input_info(model, index, &info)); !status)
    return status;
  // A KV cache kept in place is passed as its whole buffer: the file's
  // positions first, room for the capacity after them.
  const std::vector<int64_t> &shape = input.tensor.shape;
  bool cache = info.cache_axis >= 0 && shape.size() == info.rank &&
               input.tensor.dtype == info.dtype && shape[info.cache_axis] <= info.cache_capacity;
  attnc::io::CacheLayout layout = attnc::io::CacheLayout::of(info);
  size_t bytes = cache ? attnc::io::cacheBufferBytes(shape, info.dtype, layout)
                       : input.tensor.bytes.size();
  Result<AlignedBuffer> buffer = allocate(bytes);
  if (!buffer)
    return Status::error("input '" + input.file + "': " + buffer.error());
  input.buffer = std::move(buffer.value());
  input.cache = cache;
  if (cache)
    attnc::io::copyIntoCache(input.tensor, layout, input.buffer.data.get());
  else if (!input.tensor.bytes.empty())
    std::memcpy(input.buffer.data.get(), input.tensor.bytes.data(),
                input.tensor.bytes.size());
  // The buffer now holds the data; drop the second copy.
  std::vector<uint8_t>().swap(input.tensor.bytes);
  out.data = input.buffer.data.get();
  out.dtype = input.tensor.dtype;
  out.rank = input.tensor.shape.size();
  out.dims = input.tensor.shape.data();
  out.byte_size = input.buffer.size;
  if (Status status = toStatus(attnc_model_check_input(model, index, &out));
      !status)
    return Status::error(status.message() + " (read from '" + input.file +
                         "')");
  return Status();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

Status writeOutputs(const attnc_model_t *model,
                    const std::vector<AlignedBuffer> &buffers,
                    const std::vector<std::vector<int64_t>> &shapes,
                    std::vector<Tensor> presents, const std::string &dir,
                    TensorFileFormat format) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    return Status::error("cannot create output directory '" + dir +
                         "': " + error.message());
  // Encode everything first so that a bad output writes no file at all. The
  // presents (KV caches kept in place) follow the outputs.
  std::vector<std::pair<std::string, std::vector<uint8_t>>> files;
  for (size_t i = 0; i < buffers.size() + presents.size(); ++i) {
    Tensor tensor;
    if (i < buffers.size()) {
      attnc_tensor_info_t info;
      if (Status status = toStatus(attnc_model_output_info(model, i, &info)); !status)
        return status;
      tensor.name = info.name;
      tensor.dtype = info.dtype;
      tensor.shape = shapes[i];
      const auto *data = static_cast<const uint8_t *>(buffers[i].data.get());
      tensor.bytes.assign(data, data + buffers[i].size);
    } else {
      tensor = std::move(presents[i - buffers.size()]);
    }
    std::string path = (std::filesystem::path(dir) /
                        (attnc::percentEncode(tensor.name, attnc::kFileNameSafe) +
                         attnc::io::extensionFor(format)))
                           .string();
    Result<std::vector<uint8_t>> bytes =
        attnc::io::serializeTensor(tensor, format);
    if (!bytes)
      return Status::error("cannot write output '" + tensor.name + "' to '" +
                           path + "': " + bytes.error());
    files.emplace_back(path, std::move(bytes.value()));
  }
  for (const auto &[path, bytes] : files)
    if (Status status = attnc::io::writeFileAtomically(path, bytes); !status)
      return status;
  return Status();
}

/// The model's heap counters (zeros when the model has none).
struct MemoryStats {
  bool available = false;
  uint64_t allocations = 0, bytes = 0, peakLive = 0;
};

MemoryStats readMemoryStats() {
  MemoryStats stats;
  if (!attnc_model_memory_stats)
    return stats;
  uint64_t values[3] = {0, 0, 0};
  attnc_model_memory_stats(values);
  stats.available = true;
  stats.allocations = values[0];
  stats.bytes = values[1];
  stats.peakLive = values[2];
  return stats;
}

/// --stats: the workspace and the heap traffic of the runs since `before`.
void printMemoryStats(const attnc_model_t *model, const MemoryStats &before,
                      size_t runs) {
  size_t workspace = attnc_model_workspace_size(model);
  if (workspace)
    std::printf("memory: workspace %zu bytes (intermediates planned at "
                "compile time, allocated once)\n",
                workspace);
  else
    std::printf("memory: no memory plan (this model has no workspace; its "
                "intermediates, if any, are on the heap)\n");
  MemoryStats after = readMemoryStats();
  if (!after.available) {
    std::printf("heap: not counted (the model was compiled without heap "
                "counters)\n");
    return;
  }
  std::printf("heap: %.1f allocations, %.0f bytes per run; peak %llu bytes "
              "live; peak total %llu bytes with the workspace\n",
              double(after.allocations - before.allocations) / runs,
              double(after.bytes - before.bytes) / runs,
              static_cast<unsigned long long>(after.peakLive),
              static_cast<unsigned long long>(after.peakLive + workspace));
}

/// Binds every --input argument, checks that each model input got one, and
/// loads them (in the model's input order).
Status prepareInputs(const attnc_model_t *model, const Options &options,
                     std::vector<BoundInput> &inputs, std::vector<attnc_tensor_t> &tensors) {
  size_t inputCount = attnc_model_input_count(model);
  inputs.clear();
  inputs.resize(inputCount);
  for (const std::string &argument : options.inputs)
    if (Status status = bindInput(model, argument, inputs); !status)
      return status;
  tensors.assign(inputCount, attnc_tensor_t());
  for (size_t i = 0; i < inputCount; ++i) {
    attnc_tensor_info_t info;
    if (Status status = toStatus(attnc_model_input_info(model, i, &info)); !status)
      return status;
    if (!inputs[i].bound)
      return Status::error("missing input '" + std::string(info.name) +
                           "'; the model's inputs are " + describeInputs(model));
  }
  for (size_t i = 0; i < inputCount; ++i)
    if (Status status = loadInput(model, i, inputs[i], tensors[i]); !status)
      return status;
  return Status();
}

/// The model's outputs for one set of inputs: their buffers, the tensors
/// viewing them, and their shapes.
struct Outputs {
  std::vector<AlignedBuffer> buffers;
  std::vector<attnc_tensor_t> tensors;
  std::vector<std::vector<int64_t>> shapes;
};

/// Each output's buffer, shaped for these inputs (run-time dims take the
/// inputs' values).
Status allocateOutputs(const attnc_model_t *model, const std::vector<attnc_tensor_t> &inputs,
                       Outputs &outputs) {
  size_t outputCount = attnc_model_output_count(model);
  outputs.buffers.resize(outputCount);
  outputs.tensors.resize(outputCount);
  outputs.shapes.resize(outputCount);
  for (size_t i = 0; i < outputCount; ++i) {
    attnc_tensor_info_t info;
    if (Status status = toStatus(attnc_model_output_info(model, i, &info)); !status)
      return status;
    std::vector<int64_t> &shape = outputs.shapes[i];
    shape.resize(info.rank);
    if (Status status = toStatus(attnc_model_output_shape(model, inputs.data(), inputs.size(), i,
                                                          shape.data()));
        !status)
      return status;
    size_t elements = 1;
    for (int64_t d : shape)
      elements *= static_cast<size_t>(d);
    size_t bytes = elements * attnc_dtype_size(info.dtype);
    Result<AlignedBuffer> buffer = allocate(bytes);
    if (!buffer)
      return Status::error("output '" + std::string(info.name) + "': " + buffer.error());
    outputs.buffers[i] = std::move(buffer.value());
    outputs.tensors[i] = {outputs.buffers[i].data.get(), info.dtype, info.rank, shape.data(),
                          bytes};
  }
  return Status();
}

/// Runs the model `repeat` times; each run's wall time in `millis`.
Status timeRuns(attnc_model_t *model, const std::vector<attnc_tensor_t> &inputs,
                Outputs &outputs, size_t repeat, std::vector<double> &millis) {
  millis.reserve(repeat);
  for (size_t iteration = 0; iteration < repeat; ++iteration) {
    auto start = std::chrono::steady_clock::now();
    if (Status status = toStatus(attnc_model_invoke(model, inputs.data(), inputs.size(),
                                                    outputs.tensors.data(),
                                                    outputs.tensors.size()));
        !status)
      return status;
    auto stop = std::chrono::steady_clock::now();
    millis.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
  }
  return Status();
}

/// One line per output (name, shape, dtype), and with --print its values
/// in brief.
Status printOutputs(const attnc_model_t *model, const Outputs &outputs, bool print) {
  for (size_t i = 0; i < outputs.tensors.size(); ++i) {
    attnc_tensor_info_t info;
    if (Status status = toStatus(attnc_model_output_info(model, i, &info)); !status)
      return status;
    std::printf("%s: shape %s %s\n", info.name,
                attnc::formatShape(outputs.shapes[i].data(), info.rank).c_str(),
                attnc_dtype_name(info.dtype));
    if (print)
      std::fputs(attnc::io::summarizeTensor(outputs.buffers[i].data.get(), info.dtype,
                                            outputs.shapes[i].data(), info.rank)
                     .c_str(),
                 stdout);
  }
  return Status();
}

/// Each KV cache kept in place after the run, as the exported present it
/// stands for (every run wrote the same new positions), printed and
/// collected in `presents`; its bytes are copied out only to be printed
/// or written (`withBytes`).
Status keptPresents(const attnc_model_t *model, const std::vector<BoundInput> &inputs,
                    const std::vector<attnc_tensor_t> &inputTensors, bool print, bool withBytes,
                    std::vector<Tensor> &presents) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].cache)
      continue;
    attnc_tensor_info_t info;
    if (Status status = toStatus(attnc_model_input_info(model, i, &info)); !status)
      return status;
    presents.emplace_back();
    int64_t firstHeld = 0;
    if (Status status =
            toStatus(attnc::io::readPresent(model, inputTensors.data(), inputTensors.size(), i,
                                            presents.back(), firstHeld, withBytes));
        !status)
      return status;
    if (firstHeld > 0) {
      // A ring lets go of the positions its window no longer reaches: the
      // present it stands for cannot be written.
      std::printf("%s: not kept (the KV cache '%s' is a ring holding positions %lld..%lld "
                  "only)\n",
                  info.cache_present, info.name, (long long)firstHeld,
                  (long long)(firstHeld + presents.back().shape[info.cache_axis] - 1));
      presents.pop_back();
      continue;
    }
    std::printf("%s: shape %s %s (the KV cache '%s', kept in place)\n", info.cache_present,
                attnc::formatShape(presents.back().shape.data(), info.rank).c_str(),
                attnc_dtype_name(info.dtype), info.name);
    if (print)
      std::fputs(attnc::io::summarizeTensor(presents.back().bytes.data(), info.dtype,
                                            presents.back().shape.data(), info.rank)
                     .c_str(),
                 stdout);
  }
  return Status();
}

Status runMain(int argc, char **argv) {
  Options options;
  if (Status status = parseOptions(argc, argv, options); !status)
    return status;
  attnc_model_t *rawModel = nullptr;
  Status wrapped = toStatus(attnc_model_wrap_linked(
      attnc_model_manifest(), attnc_model_run, &rawModel));
  ModelPtr model(rawModel);
  if (options.help) {
    printUsage(argc > 0 ? argv[0] : "model");
    if (wrapped)
      printSignature(model.get());
    return wrapped;
  }
  if (!wrapped)
    return wrapped;

  std::vector<BoundInput> inputs;
  std::vector<attnc_tensor_t> inputTensors;
  if (Status status = prepareInputs(model.get(), options, inputs, inputTensors); !status)
    return status;
  Outputs outputs;
  if (Status status = allocateOutputs(model.get(), inputTensors, outputs); !status)
    return status;
  MemoryStats before = readMemoryStats();
  std::vector<double> millis;
  if (Status status = timeRuns(model.get(), inputTensors, outputs, options.repeat, millis);
      !status)
    return status;
  if (Status status = printOutputs(model.get(), outputs, options.print); !status)
    return status;
  std::vector<Tensor> presents;
  if (Status status = keptPresents(model.get(), inputs, inputTensors, options.print,
                                   options.print || !options.outputDir.empty(), presents);
      !status)
    return status;
  std::printf("median run time: %.3f ms over %zu runs\n", median(millis),
              options.repeat);
  if (options.stats)
    printMemoryStats(model.get(), before, options.repeat);
  std::fflush(stdout);

  if (options.outputDir.empty())
    return Status();
  // The first --input argument ends with the first input file's name.
  TensorFileFormat format = options.inputs.empty()
                                ? TensorFileFormat::Npy
                                : attnc::io::formatForPath(options.inputs[0]);
  return writeOutputs(model.get(), outputs.buffers, outputs.shapes, std::move(presents),
                      options.outputDir, format);
}

} // namespace

/// A model's intermediates are large (GPT-2 small's logits: 26 MB) and
/// allocated anew each run. By default glibc returns blocks that large to
/// the OS when freed (mmap, or trimming the heap's top), and the next run
/// takes a page fault on every 4 KiB of them again: 7.6 % of BERT-base's
/// run time was the kernel zeroing pages. The runner owns its process, so
/// it asks glibc to keep freed memory for reuse instead.
static void keepFreedMemory() {
#ifdef __GLIBC__
  constexpr int kMaxMmapThreshold = 32 << 20; // glibc's upper limit on 64-bit
  mallopt(M_MMAP_THRESHOLD, kMaxMmapThreshold);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
#endif
}

int main(int argc, char **argv) {
  // Parallel loops run on OpenMP threads, which the OS may leave on one
  // core for a whole short run: on the 2-core VM of bench/RESULTS.md, 6 of
  // 30 runs of a 1.2 ms attention took 2.4 ms, unpinned; pinned to
  // distinct cores, 0 of 30. libomp reads this at its first parallel
  // region; a user's own setting wins.
  setenv("OMP_PROC_BIND", "spread", /*overwrite=*/0);
  keepFreedMemory();
  try {
    Status status = runMain(argc, argv);
    if (status)
      return 0;
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", status.message().c_str());
  } catch (const std::bad_alloc &) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: out of memory\n");
  } catch (...) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: unexpected internal error\n");
  }
  return 1;
}

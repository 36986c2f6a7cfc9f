//===- Check.cpp - `attnc check`: compile and compare ONNX test dirs ----===//

#include "compiler/Check.h"
#include "compiler/RuntimeHandles.h"
#include "runtime/io/CacheBuffer.h"
#include "runtime/io/TensorFile.h"
#include "runtime/src/PercentEncoding.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include <cmath>
#include <cstring>
#include <map>
#include <memory>

namespace attnc {
namespace {

struct DataSet {
  std::string dir;
  std::vector<io::Tensor> inputs, outputs;
  /// The files `inputs` were read from (an executable reads them itself).
  std::vector<std::string> inputFiles;
};

/// Sorted `prefixN.pb` files of `dir` (N numeric).
std::vector<std::string> numberedFiles(const std::string &dir, llvm::StringRef prefix) {
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    int index;
    if (name.consume_front(prefix) && name.consume_back(".pb") &&
        !name.getAsInteger(10, index))
      found.push_back({index, it->path()});
  }
  llvm::sort(found);
  std::vector<std::string> paths;
  for (auto &entry : found)
    paths.push_back(entry.second);
  return paths;
}

std::string readDataSets(const std::string &dir, std::vector<DataSet> &sets) {
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    int index;
    if (name.consume_front("test_data_set_") && !name.getAsInteger(10, index))
      found.push_back({index, it->path()});
  }
  if (found.empty())
    return "no test_data_set_N directories";
  llvm::sort(found);
  for (auto &[index, path] : found) {
    DataSet set{path, {}, {}, numberedFiles(path, "input_")};
    for (auto [prefix, into] : {std::pair{"input_", &set.inputs},
                                std::pair{"output_", &set.outputs}})
      for (const std::string &file : numberedFiles(path, prefix)) {
        io::Result<io::Tensor> tensor = io::readTensorFile(file);
        if (!tensor.ok())
          return tensor.status().message();
        into->push_back(std::move(tensor.value()));
      }
    sets.push_back(std::move(set));
  }
  return "";
}

/// Reads element `i` of a tensor as a double, whatever its dtype.
double elementAt(const io::Tensor &t, size_t i) {
  const uint8_t *p = t.bytes.data();
  switch (t.dtype) {
  case ATTNC_DTYPE_F32: { float v; std::memcpy(&v, p + 4 * i, 4); return v; }
  case ATTNC_DTYPE_F64: { double v; std::memcpy(&v, p + 8 * i, 8); return v; }
  case ATTNC_DTYPE_I64: { int64_t v; std::memcpy(&v, p + 8 * i, 8); return (double)v; }
  case ATTNC_DTYPE_I32: { int32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
  case ATTNC_DTYPE_I16: { int16_t v; std::memcpy(&v, p + 2 * i, 2); return v; }
  case ATTNC_DTYPE_I8: return (int8_t)p[i];
  case ATTNC_DTYPE_U8:
  case ATTNC_DTYPE_I1: return p[i];
  case ATTNC_DTYPE_U16: { uint16_t v; std::memcpy(&v, p + 2 * i, 2); return v; }
  case ATTNC_DTYPE_U32: { uint32_t v; std::memcpy(&v, p + 4 * i, 4); return v; }
  case ATTNC_DTYPE_U64: { uint64_t v; std::memcpy(&v, p + 8 * i, 8); return (double)v; }
  case ATTNC_DTYPE_BF16: {
    uint16_t h; std::memcpy(&h, p + 2 * i, 2);
    uint32_t bits = uint32_t(h) << 16;
    float v; std::memcpy(&v, &bits, 4);
    return v;
  }
  case ATTNC_DTYPE_F16: {
    uint16_t h; std::memcpy(&h, p + 2 * i, 2);
    int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    double sign = (h & 0x8000) ? -1 : 1;
    if (exp == 0) return sign * std::ldexp(mant, -24);
    if (exp == 31) return mant ? NAN : sign * INFINITY;
    return sign * std::ldexp(mant + 1024, exp - 25);
  }
  default: return NAN;
  }
}

bool isIntegral(attnc_dtype_t dtype) {
  switch (dtype) {
  case ATTNC_DTYPE_I64: case ATTNC_DTYPE_I32: case ATTNC_DTYPE_I16: case ATTNC_DTYPE_I8:
  case ATTNC_DTYPE_U64: case ATTNC_DTYPE_U32: case ATTNC_DTYPE_U16: case ATTNC_DTYPE_U8:
  case ATTNC_DTYPE_I1:
    return true;
  default:
    return false;
  }
}

/// Element `i` of an integer tensor, exactly, as text.
std::string integerText(const io::Tensor &t, size_t i) {
  const uint8_t *p = t.bytes.data();
  if (t.dtype == ATTNC_DTYPE_U64) {
    uint64_t v;
    std::memcpy(&v, p + 8 * i, 8);
    return std::to_string(v);
  }
  if (t.dtype == ATTNC_DTYPE_I64) {
    int64_t v;
    std::memcpy(&v, p + 8 * i, 8);
    return std::to_string(v);
  }
  return std::to_string((int64_t)elementAt(t, i));
}

struct Errors {
  double maxAbs = 0, maxRel = 0;
};

/// Compares got against want; returns "" or the reason they differ.
std::string compare(const io::Tensor &got, const io::Tensor &want,
                    const std::string &name, const CheckOptions &options,
                    Errors &errors) {
  // A bf16 reference may be stored as its u16 bits (numpy has no bfloat16).
  bool bitsOfBf16 = got.dtype == ATTNC_DTYPE_BF16 && want.dtype == ATTNC_DTYPE_U16;
  if (got.shape != want.shape || (got.dtype != want.dtype && !bitsOfBf16))
    return "output '" + name + "': shape or dtype differs from the reference";
  if (bitsOfBf16) {
    io::Tensor asBf16 = want;
    asBf16.dtype = ATTNC_DTYPE_BF16;
    return compare(got, asBf16, name, options, errors);
  }
  size_t size = std::max<size_t>(1, attnc_dtype_size(got.dtype));
  size_t count = got.bytes.size() / size;
  for (size_t i = 0; i < count; ++i) {
    double a = elementAt(got, i), b = elementAt(want, i);
    // Integers and booleans must match exactly (a double would blur 64-bit
    // values past 2^53, and a tolerance means nothing for them).
    if (isIntegral(got.dtype)) {
      if (std::memcmp(got.bytes.data() + i * size, want.bytes.data() + i * size, size) != 0)
        return "output '" + name + "' element " + std::to_string(i) + ": got " +
               integerText(got, i) + ", want " + integerText(want, i);
      continue;
    }
    if (std::isnan(a) && std::isnan(b))
      continue;
    if (std::isinf(a) || std::isinf(b)) {
      if (a != b)
        return "output '" + name + "' element " + std::to_string(i) + ": got " +
               std::to_string(a) + ", want " + std::to_string(b);
      continue;
    }
    double abs = std::fabs(a - b);
    double rel = abs / std::max(std::fabs(b), 1e-30);
    errors.maxAbs = std::max(errors.maxAbs, abs);
    if (b != 0)
      errors.maxRel = std::max(errors.maxRel, rel);
    if (!(abs <= options.atol + options.rtol * std::fabs(b)))
      return "output '" + name + "' element " + std::to_string(i) + ": got " +
             std::to_string(a) + ", want " + std::to_string(b) + " (abs err " +
             std::to_string(abs) + ")";
  }
  return "";
}

/// The data-set tensor as an attribute of `context`, or null for a dtype
/// the compiler has no element type for.
mlir::DenseElementsAttr toAttribute(mlir::MLIRContext &context, const io::Tensor &t) {
  mlir::Type element;
  mlir::Builder b(&context);
  switch (t.dtype) {
  case ATTNC_DTYPE_F32: element = b.getF32Type(); break;
  case ATTNC_DTYPE_F64: element = b.getF64Type(); break;
  case ATTNC_DTYPE_F16: element = b.getF16Type(); break;
  case ATTNC_DTYPE_I64: element = b.getI64Type(); break;
  case ATTNC_DTYPE_I32: element = b.getI32Type(); break;
  case ATTNC_DTYPE_I16: element = b.getI16Type(); break;
  case ATTNC_DTYPE_I8: element = b.getI8Type(); break;
  case ATTNC_DTYPE_U8: element = b.getIntegerType(8, /*isSigned=*/false); break;
  case ATTNC_DTYPE_U16: element = b.getIntegerType(16, /*isSigned=*/false); break;
  case ATTNC_DTYPE_U32: element = b.getIntegerType(32, /*isSigned=*/false); break;
  case ATTNC_DTYPE_U64: element = b.getIntegerType(64, /*isSigned=*/false); break;
  case ATTNC_DTYPE_I1: {
    // i1 attributes are bit-packed; build them element by element.
    auto type = mlir::RankedTensorType::get(t.shape, b.getI1Type());
    llvm::SmallVector<bool> bits(t.bytes.begin(), t.bytes.end());
    return mlir::DenseElementsAttr::get(type, llvm::ArrayRef<bool>(bits));
  }
  default: return {};
  }
  auto type = mlir::RankedTensorType::get(t.shape, element);
  return mlir::DenseElementsAttr::getFromRawBuffer(
      type, llvm::ArrayRef<char>(reinterpret_cast<const char *>(t.bytes.data()),
                                 t.bytes.size()));
}

/// The compile options for one data set: its input shapes (and small
/// input values, which may fold in as constants), and `key`, what the
/// compiled model is specialized to. Returns "" or why not.
std::string compileOptionsFor(mlir::MLIRContext &context, const DataSet &set,
                              const CheckOptions &options, CompileOptions &compileOptions,
                              std::string &key) {
  compileOptions.pipeline = options.pipeline;
  compileOptions.tilingFlags = options.tilingFlags;
  compileOptions.target = options.target;
  for (const auto &bound : options.maxShapes)
    compileOptions.maxShapes[bound.getKey()] = bound.getValue();
  for (size_t i = 0; i < set.inputs.size(); ++i) {
    const io::Tensor &t = set.inputs[i];
    if (t.name.empty())
      return "input_" + std::to_string(i) + ".pb has no tensor name";
    // An input with run-time dims: one compiled model serves every data set.
    if (options.maxShapes.count(t.name))
      continue;
    compileOptions.inputShapes[t.name] =
        llvm::SmallVector<int64_t>(t.shape.begin(), t.shape.end());
    if (mlir::DenseElementsAttr value = toAttribute(context, t))
      compileOptions.inputValues[t.name] = value;
    key += t.name + ":";
    for (int64_t d : t.shape)
      key += std::to_string(d) + "x";
    // Small inputs may be folded in as constants (shapes, axes), so their
    // values are part of what a compiled model is specialized to.
    if (t.bytes.size() <= 256)
      key += std::string(t.bytes.begin(), t.bytes.end());
    key += ";";
  }
  return "";
}

/// Compares every output of a run with the data set's (the one of the
/// same name, else the one at the same place: a KV cache kept in place
/// comes after the outputs, as the present it stands for); returns "" or
/// why they differ. `ringTails` names the presents a ring holds only the
/// last positions of, by their axis: those are compared with the data
/// set's last positions.
std::string compareOutputs(const std::vector<io::Tensor> &results, const DataSet &set,
                           const CheckOptions &options, Errors &errors,
                           const std::map<std::string, size_t> &ringTails = {}) {
  if (set.outputs.size() != results.size())
    return "data set has " + std::to_string(set.outputs.size()) + " outputs, the model " +
           std::to_string(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    const io::Tensor &expected = set.outputs[i];
    auto named =
        llvm::find_if(results, [&](const io::Tensor &t) { return t.name == expected.name; });
    const io::Tensor &got = named != results.end() ? *named : results[i];
    auto tail = ringTails.find(got.name);
    io::Tensor cut;
    if (tail != ringTails.end() && tail->second < got.shape.size())
      cut = io::lastPositions(expected, tail->second, got.shape[tail->second]);
    const io::Tensor &want = tail != ringTails.end() ? cut : expected;
    std::string why = compare(got, want, got.name, options, errors);
    if (!why.empty())
      return why;
  }
  return "";
}

/// The diagnostics of a compile, for the check's one-line reason.
struct FirstError {
  explicit FirstError(mlir::MLIRContext &context)
      : handler(&context, [this](mlir::Diagnostic &diag) {
          if (diag.getSeverity() == mlir::DiagnosticSeverity::Error && message.empty())
            message = diag.str();
          return mlir::success();
        }) {}
  std::string message;
  mlir::ScopedDiagnosticHandler handler;
};

/// Compiles the model for the data set (compileOptionsFor) as `emit` says
/// into `path`, unless `alreadyBuilt(key)`: each specialization is compiled
/// once. Sets `key` and `built` (whether it compiled now); returns "" or
/// why it failed.
std::string buildForDataSet(const std::string &modelPath, const DataSet &set,
                            const CheckOptions &options, EmitKind emit,
                            llvm::function_ref<bool(const std::string &)> alreadyBuilt,
                            const std::string &path, std::string &key, bool &built) {
  mlir::MLIRContext context;
  prepareContext(context);
  FirstError diagnostics(context);
  CompileOptions compileOptions;
  compileOptions.emit = emit;
  built = false;
  std::string why = compileOptionsFor(context, set, options, compileOptions, key);
  if (!why.empty() || alreadyBuilt(key))
    return why;
  if (mlir::failed(compileModel(context, modelPath, path, compileOptions)))
    return "compile: " +
           (diagnostics.message.empty() ? std::string("failed") : diagnostics.message);
  built = true;
  return "";
}

/// Runs one data set in this process, through the runtime's C API on a
/// shared library compiled for the host; returns "" or why it failed.
std::string runDataSet(const std::string &modelPath, const DataSet &set,
                       const CheckOptions &options, const std::string &scratch,
                       std::map<std::string, ModelPtr> &compiled, Errors &errors) {
  std::string libPath = scratch + "/model-" + std::to_string(compiled.size()) + ".so";
  std::string shapeKey;
  bool built;
  std::string why = buildForDataSet(
      modelPath, set, options, EmitKind::Library,
      [&](const std::string &key) { return compiled.count(key) > 0; }, libPath, shapeKey, built);
  if (!why.empty())
    return why;
  if (built) {
    attnc_model_t *model = nullptr;
    if (attnc_status_t *status = attnc_model_load(libPath.c_str(), &model))
      return "load: " + takeMessage(status);
    compiled.emplace(shapeKey, ModelPtr(model));
  }
  attnc_model_t *model = compiled.at(shapeKey).get();

  size_t inputCount = attnc_model_input_count(model);
  size_t outputCount = attnc_model_output_count(model);
  std::vector<attnc_tensor_t> inputs(inputCount);
  // KV caches kept in place: the data set's past in a buffer with room for
  // the capacity, by input index.
  std::map<size_t, std::vector<uint8_t>> caches;
  for (size_t i = 0; i < inputCount; ++i) {
    attnc_tensor_info_t info;
    if (attnc_status_t *status = attnc_model_input_info(model, i, &info))
      return takeMessage(status);
    const io::Tensor *match = nullptr;
    for (const io::Tensor &t : set.inputs)
      if (t.name == info.name)
        match = &t;
    if (!match)
      return std::string("data set has no tensor for input '") + info.name + "'";
    inputs[i] = {const_cast<uint8_t *>(match->bytes.data()), match->dtype,
                 match->shape.size(), match->shape.data(), match->bytes.size()};
    if (info.cache_axis < 0 || match->shape.size() != info.rank ||
        match->shape[info.cache_axis] > info.cache_capacity)
      continue;
    std::vector<uint8_t> &buffer = caches[i];
    io::CacheLayout layout = io::CacheLayout::of(info);
    buffer.assign(io::cacheBufferBytes(match->shape, match->dtype, layout), 0);
    io::copyIntoCache(*match, layout, buffer.data());
    inputs[i].data = buffer.data();
    inputs[i].byte_size = buffer.size();
  }
  if (set.outputs.size() != outputCount + caches.size())
    return "data set has " + std::to_string(set.outputs.size()) + " outputs, the model " +
           std::to_string(outputCount) +
           (caches.empty() ? "" : " and " + std::to_string(caches.size()) + " KV caches");
  std::vector<io::Tensor> results(outputCount);
  std::vector<attnc_tensor_t> outputs(outputCount);
  for (size_t i = 0; i < outputCount; ++i) {
    attnc_tensor_info_t info;
    if (attnc_status_t *status = attnc_model_output_info(model, i, &info))
      return takeMessage(status);
    results[i].name = info.name;
    results[i].dtype = info.dtype;
    // The shape for these inputs (run-time dims take their values).
    results[i].shape.resize(info.rank);
    if (attnc_status_t *status = attnc_model_output_shape(model, inputs.data(), inputCount, i,
                                                          results[i].shape.data()))
      return "run: " + takeMessage(status);
    size_t elements = 1;
    for (int64_t d : results[i].shape)
      elements *= static_cast<size_t>(d);
    results[i].bytes.assign(elements * attnc_dtype_size(info.dtype), 0);
    outputs[i] = {results[i].bytes.data(), info.dtype, info.rank,
                  results[i].shape.data(), results[i].bytes.size()};
  }
  if (attnc_status_t *status = attnc_model_invoke(model, inputs.data(), inputCount,
                                                  outputs.data(), outputCount))
    return "run: " + takeMessage(status);
  // Each cache after the run, as the exported present it stands for (a
  // ring that has let positions go: its last positions).
  std::map<std::string, size_t> ringTails;
  for (const auto &cache : caches) {
    results.emplace_back();
    int64_t firstHeld = 0;
    if (attnc_status_t *status = io::readPresent(model, inputs.data(), inputCount, cache.first,
                                                 results.back(), firstHeld))
      return "run: " + takeMessage(status);
    attnc_tensor_info_t info;
    if (firstHeld > 0 && !attnc_model_input_info(model, cache.first, &info))
      ringTails[results.back().name] = (size_t)info.cache_axis;
  }
  return compareOutputs(results, set, options, errors, ringTails);
}

/// Runs one data set as an executable compiled for `options.target`,
/// started through `options.runWith` (an emulator such as qemu-aarch64,
/// or nothing): the executable reads the data set's input files and writes
/// its outputs into the scratch folder, which are read back and compared.
std::string runDataSetExecutable(const std::string &modelPath, const DataSet &set,
                                 const CheckOptions &options, const std::string &scratch,
                                 std::map<std::string, std::string> &compiled,
                                 Errors &errors) {
  std::string exePath = scratch + "/model-" + std::to_string(compiled.size());
  std::string shapeKey;
  bool built;
  std::string why = buildForDataSet(
      modelPath, set, options, EmitKind::Executable,
      [&](const std::string &key) { return compiled.count(key) > 0; }, exePath, shapeKey, built);
  if (!why.empty())
    return why;
  if (built)
    compiled.emplace(shapeKey, exePath);
  const std::string &executable = compiled.at(shapeKey);

  std::string outDir = scratch + "/outputs-" + llvm::sys::path::filename(set.dir).str();
  llvm::sys::fs::create_directories(outDir);
  llvm::SmallVector<llvm::StringRef> words;
  llvm::StringRef(options.runWith).split(words, ' ', -1, /*KeepEmpty=*/false);
  std::vector<std::string> argv(words.begin(), words.end());
  argv.push_back(executable);
  for (auto [tensor, file] : llvm::zip(set.inputs, set.inputFiles))
    argv.push_back("--input=" + tensor.name + "=" + file);
  argv.push_back("--output-dir=" + outDir);
  llvm::ErrorOr<std::string> program = llvm::sys::findProgramByName(argv.front());
  if (!program)
    return "run: cannot find '" + argv.front() + "'";
  std::vector<llvm::StringRef> args(argv.begin(), argv.end());
  std::string log = scratch + "/run.log", message;
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log),
                                                llvm::StringRef(log)};
  int rc = llvm::sys::ExecuteAndWait(*program, args, std::nullopt, redirects, 0, 0, &message);
  if (rc != 0) {
    auto buffer = llvm::MemoryBuffer::getFile(log);
    std::string output = buffer ? (*buffer)->getBuffer().trim().str() : message;
    return "run: exit status " + std::to_string(rc) + (output.empty() ? "" : ": " + output);
  }
  std::vector<io::Tensor> results;
  for (const io::Tensor &want : set.outputs) {
    std::string file = outDir + "/" + percentEncode(want.name, kFileNameSafe) +
                       io::extensionFor(io::formatForPath(set.inputFiles.empty()
                                                              ? std::string(".pb")
                                                              : set.inputFiles.front()));
    io::Result<io::Tensor> got = io::readTensorFile(file);
    if (!got.ok())
      return "run: no output '" + want.name + "': " + got.error();
    results.push_back(std::move(got.value()));
    results.back().name = want.name;
  }
  return compareOutputs(results, set, options, errors);
}

} // namespace

int checkDirectories(const std::vector<std::string> &dirs, const CheckOptions &options,
                     llvm::raw_ostream &os) {
  int passed = 0, failed = 0;
  for (const std::string &dir : dirs) {
    std::string why;
    Errors errors;
    llvm::SmallString<256> modelPath(dir);
    llvm::sys::path::append(modelPath, "model.onnx");
    std::vector<DataSet> sets;
    llvm::SmallString<128> scratch;
    if (!llvm::sys::fs::exists(modelPath))
      why = "no model.onnx";
    else
      why = readDataSets(dir, sets);
    if (why.empty() && llvm::sys::fs::createUniqueDirectory("attnc-check", scratch))
      why = "cannot create a scratch directory";
    {
      std::map<std::string, ModelPtr> compiled;
      std::map<std::string, std::string> executables;
      for (const DataSet &set : sets) {
        if (!why.empty())
          break;
        why = options.runsExecutables()
                  ? runDataSetExecutable(std::string(modelPath), set, options,
                                         std::string(scratch), executables, errors)
                  : runDataSet(std::string(modelPath), set, options, std::string(scratch),
                               compiled, errors);
        if (!why.empty())
          why = llvm::sys::path::filename(set.dir).str() + ": " + why;
      }
    }
    if (!scratch.empty())
      llvm::sys::fs::remove_directories(scratch);
    // Keep the line on one line even when a diagnostic spans several.
    std::replace(why.begin(), why.end(), '\n', ' ');
    if (why.empty()) {
      ++passed;
      os << "PASS " << dir << " (max abs err " << llvm::format("%.3g", errors.maxAbs)
         << ", max rel err " << llvm::format("%.3g", errors.maxRel) << ")\n";
    } else {
      ++failed;
      os << "FAIL " << dir << ": " << why << "\n";
    }
    os.flush();
  }
  os << passed << " passed, " << failed << " failed\n";
  return failed;
}

} // namespace attnc

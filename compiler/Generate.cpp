//===- Generate.cpp - `attnc generate`: the token loop from the CLI -------===//
//
// The loop itself is the runtime's (attnc/generation.h); this file gets a
// model to run it on and times it. An ONNX model is compiled once, into a
// scratch shared library, with every symbolic input dim a run-time dim: the
// batch fixed at 1 and the lengths bounded by --max-length, so one artifact
// serves the prefill and every decode step.
//
//===----------------------------------------------------------------------===//

#include "compiler/Generate.h"
#include "compiler/RuntimeHandles.h"
#include "llvm/BinaryFormat/Magic.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "mlir/IR/Diagnostics.h"

#include <chrono>
#include <cmath>
#include <memory>

namespace attnc {
namespace {

struct SessionDeleter {
  void operator()(attnc_generation_t *s) const { attnc_generation_free(s); }
};
using SessionPtr = std::unique_ptr<attnc_generation_t, SessionDeleter>;

/// A scratch directory removed with everything in it when this goes away.
struct ScratchDir {
  llvm::SmallString<128> path;
  ~ScratchDir() {
    if (!path.empty())
      llvm::sys::fs::remove_directories(path);
  }
};

bool isCompiledLibrary(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, 64, 0);
  return buffer && llvm::identify_magic((*buffer)->getBuffer()) ==
                       llvm::file_magic::elf_shared_object;
}

/// Compiles `modelPath` into `libPath`; "" or why not (the first error).
std::string compileDecoder(const std::string &modelPath, const std::string &libPath,
                           const GenerateOptions &options, int64_t maxLength) {
  mlir::MLIRContext context;
  prepareContext(context);
  std::string firstError;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error && firstError.empty())
      firstError = diag.str();
    return mlir::success();
  });
  CompileOptions compileOptions;
  compileOptions.emit = EmitKind::Library;
  compileOptions.boundSymbolicDims = maxLength;
  if (options.prefillChunk > 0)
    compileOptions.maxShapes["input_ids"] = {1, std::min(options.prefillChunk, maxLength)};
  compileOptions.pipeline = options.pipeline;
  // Each cache holds every position: the prompt and all it generates. A
  // model without caches compiles as it would without this.
  if (options.kvCacheInPlace)
    compileOptions.pipeline.kvCapacity = maxLength;
  compileOptions.requireKvCache = false;
  compileOptions.tilingFlags = options.tilingFlags;
  if (mlir::failed(compileModel(context, modelPath, libPath, compileOptions)))
    return firstError.empty() ? "compilation failed" : firstError;
  return "";
}

/// Loads the model to generate with: the library itself, or the ONNX model
/// compiled into `scratch`. "" or why not.
std::string loadModel(const std::string &modelPath, const GenerateOptions &options,
                      ScratchDir &scratch, ModelPtr &model) {
  std::string libPath = modelPath;
  if (!isCompiledLibrary(modelPath)) {
    if (llvm::sys::fs::createUniqueDirectory("attnc-generate", scratch.path))
      return "cannot create a scratch directory";
    libPath = (scratch.path + "/model.so").str();
    int64_t length = options.maxLength
                         ? options.maxLength
                         : std::max<int64_t>(1, (int64_t)(options.promptIds.size() +
                                                          options.maxNewTokens) - 1);
    if (std::string why = compileDecoder(modelPath, libPath, options, length); !why.empty())
      return modelPath + ": " + why;
  }
  attnc_model_t *loaded = nullptr;
  if (attnc_status_t *status = attnc_model_load(libPath.c_str(), &loaded))
    return takeMessage(status);
  model.reset(loaded);
  return "";
}

/// One line on the model's KV caches kept in place: how many, their bytes
/// (allocated once by the session) and their room; nothing without any.
void reportCaches(const attnc_model_t *model, llvm::raw_ostream &report) {
  size_t count = 0, bytes = 0;
  int64_t capacity = 0, ring = 0;
  for (size_t i = 0; i < attnc_model_input_count(model); ++i) {
    attnc_tensor_info_t info{};
    if (attnc_status_t *status = attnc_model_input_info(model, i, &info)) {
      attnc_status_free(status);
      continue;
    }
    if (info.cache_axis < 0)
      continue;
    ++count;
    bytes += info.byte_size;
    capacity = info.cache_capacity;
    ring = info.cache_ring;
  }
  if (!count)
    return;
  bool large = bytes >= 1024 * 1024;
  report << "kv caches: " << count << " kept in place, "
         << llvm::format("%.1f", bytes / (large ? 1024.0 * 1024.0 : 1024.0))
         << (large ? " MiB" : " KiB") << " for " << capacity << " positions";
  if (ring)
    report << " (rings of the last " << ring << ": the window and a run's tokens)";
  report << "\n";
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

int generate(const std::string &modelPath, const GenerateOptions &options,
             llvm::raw_ostream &tokens, llvm::raw_ostream &report, llvm::raw_ostream &errors) {
  auto fail = [&](const std::string &message) {
    llvm::WithColor::error(errors, "attnc") << message << "\n";
    return 1;
  };
  if (options.promptIds.empty())
    return fail("--prompt-ids is empty: give the prompt's token ids, e.g. 464,3290,318");
  if (options.maxNewTokens == 0)
    return fail("--max-new-tokens must be at least 1");
  float temperature = options.sampling.temperature;
  if (!std::isfinite(temperature) || temperature < 0)
    return fail("--temperature must be 0 (greedy) or above, got " +
                llvm::formatv("{0}", temperature).str());
  ScratchDir scratch;
  ModelPtr model;
  if (std::string why = loadModel(modelPath, options, scratch, model); !why.empty())
    return fail(why);
  attnc_generation_t *created = nullptr;
  if (attnc_status_t *status = attnc_generation_create(model.get(), &options.sampling, &created))
    return fail(modelPath + ": " + takeMessage(status));
  SessionPtr session(created);
  // The last new token is never read back, so the model holds one fewer.
  size_t needed = options.promptIds.size() + options.maxNewTokens - 1;
  size_t capacity = attnc_generation_capacity(session.get());
  if (needed > capacity)
    return fail("the prompt (" + std::to_string(options.promptIds.size()) +
                " tokens) and --max-new-tokens " + std::to_string(options.maxNewTokens) +
                " need " + std::to_string(needed) + " positions, more than the model's capacity "
                "of " + std::to_string(capacity) +
                (isCompiledLibrary(modelPath) ? " (compile it with larger bounds)"
                                              : " (raise --max-length)"));

  int64_t token = 0;
  auto start = std::chrono::steady_clock::now();
  if (attnc_status_t *status = attnc_generation_prefill(
          session.get(), options.promptIds.data(), options.promptIds.size(), &token))
    return fail(takeMessage(status));
  double prefillMs = millisecondsSince(start);
  tokens << token;
  tokens.flush();
  auto stops = [&](int64_t id) { return llvm::is_contained(options.stopIds, id); };
  start = std::chrono::steady_clock::now();
  size_t steps = 0;
  for (bool stopped = stops(token); !stopped && steps + 1 < options.maxNewTokens; ++steps) {
    if (attnc_status_t *status = attnc_generation_step(session.get(), &token)) {
      tokens << "\n";
      return fail(takeMessage(status));
    }
    tokens << " " << token;
    tokens.flush();
    stopped = stops(token);
  }
  double decodeMs = millisecondsSince(start);
  tokens << "\n";
  tokens.flush();
  report << "prefill: " << options.promptIds.size() << " tokens in "
         << llvm::format("%.2f", prefillMs) << " ms\n";
  if (steps)
    report << "decode: " << steps << " tokens in " << llvm::format("%.2f", decodeMs) << " ms, "
           << llvm::format("%.3f", decodeMs / steps) << " ms/token, "
           << llvm::format("%.1f", steps * 1000.0 / decodeMs) << " tokens/s\n";
  reportCaches(model.get(), report);
  return 0;
}

} // namespace attnc

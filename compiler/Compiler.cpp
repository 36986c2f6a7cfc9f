//===- Compiler.cpp - ONNX (or attn IR) to a native artifact ------------===//

#include "compiler/Compiler.h"
#include "compiler/Linker.h"
#include "compiler/ModelInfo.h"
#include "compiler/ModelSignature.h"
#include "compiler/ReleaseBlobs.h"
#include "compiler/StaticLibrary.h"
#include "compiler/Target.h"
#include "compiler/TargetDescription.h"
#include "compiler/cpu/EntryPoint.h"
#include "compiler/cpu/ObjectEmitter.h"
#include "frontends/onnx/Importer.h"
#include "passes/Transforms.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include <thread>

using namespace mlir;

namespace attnc {

void prepareContext(MLIRContext &context) {
  DialectRegistry registry;
  registerPipelineDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
}

OwningOpRef<ModuleOp> loadModel(MLIRContext &context, llvm::StringRef inputPath,
                                const CompileOptions &options) {
  if (inputPath.ends_with(".mlir")) {
    llvm::SourceMgr sourceMgr;
    std::string error;
    auto file = openInputFile(inputPath, &error);
    if (!file) {
      emitError(UnknownLoc::get(&context)) << error;
      return nullptr;
    }
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    return parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  attn::onnx_frontend::ImportOptions importOptions;
  for (const auto &entry : options.inputShapes)
    importOptions.inputShapes[entry.getKey()] = entry.getValue();
  for (const auto &entry : options.maxShapes)
    importOptions.maxShapes[entry.getKey()] = entry.getValue();
  for (const auto &entry : options.inputValues)
    importOptions.inputValues[entry.getKey()] = entry.getValue();
  importOptions.boundSymbolicDims = options.boundSymbolicDims;
  return attn::onnx_frontend::importOnnxFile(context, inputPath, importOptions);
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a
/// failure never leaves a partial file.
static LogicalResult writeAtomically(MLIRContext &context, llvm::StringRef path,
                                     llvm::StringRef bytes) {
  llvm::SmallString<256> temp;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", fd, temp))
    return emitError(UnknownLoc::get(&context))
           << "cannot write '" << path << "': " << ec.message();
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << bytes;
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return emitError(UnknownLoc::get(&context))
           << "cannot write '" << path << "': " << ec.message();
  }
  return success();
}

/// Text output: to standard output for `-o -`, else written atomically.
static LogicalResult writeText(MLIRContext &context, llvm::StringRef path,
                               llvm::StringRef text) {
  if (path != "-")
    return writeAtomically(context, path, text);
  llvm::outs() << text;
  llvm::outs().flush();
  return success();
}

/// --emit=staticlib: the archive at `outputPath` (the code's objects
/// `model.o`, `model-1.o`, ..., and `weights.o` unless `weights` is empty)
/// and its header beside it (NAME.a -> NAME.h), both written atomically.
static LogicalResult writeStaticLibrary(MLIRContext &context, Location fileLoc,
                                        llvm::StringRef outputPath,
                                        llvm::ArrayRef<llvm::StringRef> code,
                                        llvm::StringRef weights, const ModelSignature &signature,
                                        const CompileOptions &options) {
  std::vector<std::string> names;
  for (size_t i = 0; i < code.size(); ++i)
    names.push_back(i == 0 ? "model.o" : "model-" + std::to_string(i) + ".o");
  std::vector<llvm::MemoryBufferRef> objects;
  for (auto [bytes, name] : llvm::zip(code, names))
    objects.emplace_back(bytes, name);
  if (!weights.empty())
    objects.emplace_back(weights, "weights.o");
  std::string archive, error;
  if (!buildStaticLibrary(objects, options.target, archive, error))
    return emitError(fileLoc) << error;
  llvm::SmallString<256> headerPath(outputPath);
  llvm::sys::path::replace_extension(headerPath, "h");
  if (headerPath == outputPath)
    return emitError(fileLoc) << "--emit=staticlib needs an output name whose header differs "
                                 "from it (e.g. model.a), got '"
                              << outputPath << "'";
  // The archive itself needs no libomp: without the target's beside its
  // runtime, the header names the library alone.
  std::vector<std::string> openmp;
  if (options.pipeline.threads) {
    openmp = openmpLinkArgs(options.target, error);
    if (openmp.empty())
      openmp = {"-lomp"};
  }
  std::string header = buildModelHeader(signature, cPrefixFor(outputPath), openmp);
  if (failed(writeAtomically(context, headerPath, header)))
    return failure();
  return writeAtomically(context, outputPath, archive);
}

/// Removes its files when it goes out of scope.
struct TemporaryFiles {
  std::vector<std::string> paths;
  ~TemporaryFiles() {
    for (const std::string &path : paths)
      llvm::sys::fs::remove(path);
  }
  /// A new temporary file `attnc-NAME-*.o` written by `write`.
  bool add(llvm::StringRef name, llvm::function_ref<void(llvm::raw_ostream &)> write) {
    llvm::SmallString<256> path;
    int fd;
    if (llvm::sys::fs::createTemporaryFile("attnc-" + name, "o", fd, path))
      return false;
    paths.push_back(std::string(path));
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    write(os);
    return !os.has_error();
  }
};

/// Links the model's code (and, when given, its weights' own object) into
/// the executable, shared library or single object at `outputPath`:
/// through temporary objects into a temporary output beside the final
/// path, then renamed, so that nothing half-written survives a failure.
static LogicalResult linkObjects(MLIRContext &context, Location fileLoc,
                                 llvm::StringRef outputPath, llvm::ArrayRef<llvm::StringRef> code,
                                 const std::vector<DetachedWeight> *weights,
                                 llvm::TargetMachine &machine, const CompileOptions &options,
                                 TimingScope &total) {
  TimingScope phase = total.nest("link");
  TemporaryFiles objects;
  bool written = llvm::all_of(code, [&](llvm::StringRef bytes) {
    return objects.add("model", [&](llvm::raw_ostream &os) { os << bytes; });
  });
  if (!written || (weights && !objects.add("weights", [&](llvm::raw_ostream &os) {
        writeWeightsObject(*weights, machine.getTargetTriple(), os);
      })))
    return emitError(fileLoc) << "cannot write a temporary object file";
  llvm::SmallString<256> pattern(outputPath), linkedPath;
  pattern += ".tmp-%%%%%%";
  llvm::sys::fs::createUniquePath(pattern, linkedPath, /*MakeAbsolute=*/false);
  LinkKind kind = options.emit == EmitKind::Library  ? LinkKind::SharedLibrary
                  : options.emit == EmitKind::Object ? LinkKind::Relocatable
                                                     : LinkKind::Executable;
  std::string error;
  bool linked = linkModel(objects.paths, std::string(linkedPath), kind, options.target,
                          options.pipeline.threads,
                          options.pipeline.gpu.enabled() && !options.pipeline.gpu.emulated, error);
  if (!linked) {
    llvm::sys::fs::remove(linkedPath);
    return emitError(fileLoc) << error;
  }
  if (std::error_code ec = llvm::sys::fs::rename(linkedPath, outputPath)) {
    llvm::sys::fs::remove(linkedPath);
    return emitError(fileLoc) << "cannot write '" << outputPath << "': " << ec.message();
  }
  return success();
}

/// Runs the passes `build` adds on `module`, with the MLIR pass-manager
/// options the user gave (--mlir-print-ir-after, ...); with --mlir-timing
/// each pass's time is reported under `phase`.
static LogicalResult runPipeline(MLIRContext &context, ModuleOp module, TimingScope &phase,
                                 function_ref<void(OpPassManager &)> build) {
  PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  pm.enableTiming(phase);
  build(pm);
  return pm.run(module);
}

static std::string printed(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os, OpPrintingFlags().elideLargeResourceString(64));
  return text;
}

/// Fails early, naming the folder, when `outputPath` cannot be written
/// because its folder is missing or is not a folder.
static LogicalResult checkOutputFolder(MLIRContext &context, llvm::StringRef outputPath) {
  llvm::StringRef folder = llvm::sys::path::parent_path(outputPath);
  if (folder.empty() || llvm::sys::fs::is_directory(folder))
    return success();
  return emitError(UnknownLoc::get(&context))
         << "cannot write '" << outputPath << "': folder '" << folder << "' "
         << (llvm::sys::fs::exists(folder) ? "is not a folder" : "does not exist");
}

/// Fails, naming the weight, when the weights lie past what code for
/// `triple` reaches (WeightsObject.h).
static LogicalResult checkWeightsReach(Location fileLoc, const std::vector<DetachedWeight> &weights,
                                       const llvm::Triple &triple) {
  uint64_t end = 0;
  const DetachedWeight *far = firstWeightOutOfReach(weights, triple, end);
  if (!far)
    return success();
  InFlightDiagnostic diag = emitError(fileLoc) << "the model's weights are too large for "
                                               << triple.getArchName() << ": weight ";
  if (!far->tensor.empty())
    diag << "'" << far->tensor << "' (" << far->name << ")";
  else
    diag << "'" << far->name << "'";
  return diag << " ends " << llvm::formatv("{0:F2}", end / double(1 << 30)).str()
              << " GiB into them, past what this target's code reaches PC-relatively ("
              << (weightsReach(triple) >> 30) << " GiB, less 64 MiB for the code); on x86-64 the weights may take any size";
}

/// The model's runtime signature (its inputs and outputs, what
/// `attnc inspect` prints), read from `func.func @main` after the graph
/// passes; fails where --kv-capacity asks for a cache the model lacks.
static FailureOr<ModelSignature> modelSignature(ModuleOp module, Location fileLoc,
                                                llvm::StringRef inputPath,
                                                const CompileOptions &options) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return emitError(fileLoc) << "expected a 'func.func @main' in '" << inputPath << "'";
  FailureOr<ModelSignature> signature = readSignature(main);
  if (failed(signature))
    return failure();
  if (options.pipeline.kvCapacity > 0 && options.requireKvCache &&
      llvm::none_of(signature->inputs, [](const TensorSignature &t) { return t.cacheAxis >= 0; }))
    return emitError(fileLoc)
           << "--kv-capacity: the model has no KV cache to keep in place (an output that is "
              "Concat(past input, new rows) along the past's run-time length; "
              "--attn-explain says why each concat of an input is not)";
  signature->description =
      describeModel(module, *signature, llvm::sys::path::filename(inputPath), options.target,
                    options.pipeline.threads);
  return signature;
}

/// Generates `llvmModule`'s code and writes the artifact `options.emit`
/// asks for: a single object, a static library, or a link (executable,
/// shared library, object with the weights merged in). `weights`, when
/// given, get an object of their own; `noWeights` says the model has none
/// at all (so that code generation may run in parts either way).
static LogicalResult writeNativeArtifact(MLIRContext &context, Location fileLoc,
                                         llvm::StringRef outputPath, llvm::Module &llvmModule,
                                         llvm::TargetMachine &machine,
                                         const std::vector<DetachedWeight> *weights,
                                         bool noWeights, const ModelSignature &signature,
                                         const CompileOptions &options, TimingScope &total) {
  // Code generation on every core, in parts (the weights, when they stay
  // in the module, would go through bitcode with each: then in one piece).
  TimingScope phase = total.nest("code generation");
  unsigned partitions =
      weights || noWeights ? std::min(std::thread::hardware_concurrency(), 8u) : 1;
  std::vector<llvm::SmallVector<char, 0>> code;
  std::string error;
  if (!emitObjects(llvmModule, machine, options.target, partitions, code, error))
    return emitError(fileLoc) << error;
  phase.stop();
  std::vector<llvm::StringRef> codeBytes;
  for (const llvm::SmallVector<char, 0> &object : code)
    codeBytes.emplace_back(object.data(), object.size());
  if (options.emit == EmitKind::Object && !weights && codeBytes.size() == 1)
    return writeAtomically(context, outputPath, codeBytes.front());
  if (options.emit == EmitKind::StaticLibrary) {
    std::string weightBytes;
    if (weights) {
      llvm::raw_string_ostream os(weightBytes);
      writeWeightsObject(*weights, machine.getTargetTriple(), os);
    }
    return writeStaticLibrary(context, fileLoc, outputPath, codeBytes, weightBytes, signature,
                              options);
  }
  return linkObjects(context, fileLoc, outputPath, codeBytes, weights, machine, options, total);
}

LogicalResult compileModel(MLIRContext &context, llvm::StringRef inputPath,
                           llvm::StringRef outputPath, const CompileOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, inputPath, 0, 0);
  // `-o -` prints text to standard output; a binary there would be noise.
  bool toStdout = outputPath == "-";
  if (toStdout && options.emit != EmitKind::Mlir && options.emit != EmitKind::Llvm)
    return emitError(UnknownLoc::get(&context))
           << "'-o -' (standard output) is only for --emit=mlir and --emit=llvm; name an "
              "output file";
  if (!toStdout && failed(checkOutputFolder(context, outputPath)))
    return failure();
  // --mlir-timing reports every phase, the passes nested in theirs.
  DefaultTimingManager timing;
  applyDefaultTimingManagerCLOptions(timing);
  TimingScope total = timing.getRootScope();
  TimingScope phase = total.nest("import");
  OwningOpRef<ModuleOp> module = loadModel(context, inputPath, options);
  if (!module)
    return failure();
  phase = total.nest("graph passes");

  if (failed(runPipeline(context, *module, phase, [&](OpPassManager &pm) {
        buildAttnGraphPipeline(pm, options.pipeline);
      })))
    return failure();
  // The weights that merged projections replaced.
  releaseUnreferencedBlobs(*module);
  PipelineOptions pipeline = options.pipeline;
  pipeline.target = options.target;
  pipeline.tilingFlags = options.tilingFlags;
  pipeline.tilingLog = options.tilingLog;
  // An unknown target is the user's error, named at the model's file.
  std::string error;
  if (!describeTarget(options.target, error))
    return emitError(fileLoc) << error;
  if (options.emit == EmitKind::Mlir && pipeline.gpu.enabled())
    return writeText(context, outputPath, printed(*module));
  if (options.emit == EmitKind::Mlir) {
    // The graph with the backend's decisions recorded on it.
    phase = total.nest("backend decisions");
    if (failed(runPipeline(context, *module, phase, [&](OpPassManager &pm) {
          buildCpuDecisionPipeline(pm, pipeline);
        })))
      return failure();
    return writeText(context, outputPath, printed(*module));
  }

  FailureOr<ModelSignature> signature = modelSignature(*module, fileLoc, inputPath, options);
  if (failed(signature))
    return failure();

  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(options.target, error);
  if (!machine)
    return emitError(fileLoc) << error;

  phase = total.nest("lowering to LLVM dialect");
  if (failed(runPipeline(context, *module, phase, [&](OpPassManager &pm) {
        if (pipeline.gpu.enabled())
          buildGpuLoweringPipeline(pm, pipeline);
        else
          buildCpuLoweringPipeline(pm, pipeline);
      })))
    return failure();
  signature->workspaceBytes = entryWorkspaceBytes(*module);
  // The weights in the layouts they had before packing.
  releaseUnreferencedBlobs(*module);

  phase.stop(); // translateToLLVMIR times its own phases
  llvm::LLVMContext llvmContext;
  std::vector<DetachedWeight> weights;
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(*module, *signature, *machine, llvmContext, total, weights, error);
  if (!llvmModule)
    return emitError(fileLoc) << error;
  if (failed(checkWeightsReach(fileLoc, weights, machine->getTargetTriple())))
    return failure();
  // The weights get an object of their own where attnc can write one
  // (64-bit little-endian ELF), else they go into the code's.
  bool weightsObject = !weights.empty() && canWriteWeightsObject(machine->getTargetTriple());
  if (options.emit == EmitKind::Llvm || !weightsObject)
    attachWeights(*llvmModule, weights);
  if (options.emit == EmitKind::Llvm) {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    return writeText(context, outputPath, text);
  }

  return writeNativeArtifact(context, fileLoc, outputPath, *llvmModule, *machine,
                             weightsObject ? &weights : nullptr, weights.empty(), *signature,
                             options, total);
}

LogicalResult inspectModel(MLIRContext &context, llvm::StringRef inputPath,
                           const CompileOptions &options, llvm::raw_ostream &os) {
  OwningOpRef<ModuleOp> module = loadModel(context, inputPath, options);
  if (!module)
    return failure();
  PassManager pm(&context);
  buildAttnGraphPipeline(pm, options.pipeline);
  if (failed(pm.run(*module)))
    return failure();
  auto main = module->lookupSymbol<func::FuncOp>("main");
  if (!main)
    return emitError(FileLineColLoc::get(&context, inputPath, 0, 0))
           << "expected a 'func.func @main' in '" << inputPath << "'";
  FailureOr<ModelSignature> signature = readSignature(main);
  if (failed(signature))
    return failure();
  os << describeModel(*module, *signature, llvm::sys::path::filename(inputPath),
                      options.target, options.pipeline.threads);
  return success();
}

} // namespace attnc

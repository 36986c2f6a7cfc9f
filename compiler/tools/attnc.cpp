//===- attnc.cpp - The attnc compiler driver ------------------------------===//
//
//   attnc compile MODEL.onnx -o OUT [--emit=exe|lib|obj|mlir|llvm]
//         [--input-shape NAME=DxD...]... [--max-shape NAME=DxD...]...
//         [--target TRIPLE] [--mcpu CPU]
//         [--q-block N] [--kv-block N] [--attention-kernel=auto|vector|portable]
//         [--decompose-attention] [--print-tiling] [--kv-capacity N] [--kv-rings=false]
//         [--device=cpu|cuda|cuda-emulated] [--gpu=sm_80|sm_90|sm_90a] [--precision=fp32|fp16|bf16]
//   attnc check DIR... [--rtol R] [--atol A] [--max-shape NAME=DxD...]... [--kv-capacity N]
//         [--kv-rings=false] [--device=...] [--gpu=...] [--precision=...]
//   attnc report MODEL.onnx [--input-shape NAME=DxD...]... [--json]
//   attnc generate MODEL.onnx|MODEL.so --prompt-ids ID,ID,... [--max-new-tokens N]
//         [--max-length L] [--prefill-chunk N] [--temperature T] [--top-k K] [--seed S] [--stop-id ID,...]
//         [--kv-cache=in-place|copy] [--kv-rings=false] [--device=...] [--gpu=...] [--precision=...]
//
//===----------------------------------------------------------------------===//

#include "compiler/Check.h"
#include "compiler/Compiler.h"
#include "compiler/Generate.h"
#include "compiler/ModelInfo.h"
#include "compiler/Report.h"
#include "compiler/Target.h"
#include "compiler/cpu/Passes.h"
#include "compiler/gpu/GpuTarget.h"
#include "compiler/gpu/Passes.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Transforms/Passes.h"
#include "passes/Passes.h"
#include "llvm/BinaryFormat/Magic.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/ManagedStatic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <unistd.h>

using namespace llvm;

static cl::SubCommand compileCommand("compile", "Compile an ONNX model");
static cl::SubCommand checkCommand(
    "check", "Compile ONNX test directories, run them and compare outputs");

static cl::SubCommand reportCommand(
    "report", "Show each attention site: fused or not, and the mask found");
static cl::SubCommand inspectCommand(
    "inspect", "Show what a compiled model (executable, library, object) or an ONNX model "
               "holds: version, target, inputs, outputs, attention ops");

static cl::SubCommand generateCommand(
    "generate", "Generate tokens with a decoder-only model (GPT-2, LLaMA-style), compiled once "
                "for every length");

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("MODEL.onnx"),
                                      cl::sub(compileCommand), cl::sub(reportCommand),
                                      cl::sub(inspectCommand), cl::sub(generateCommand),
                                      cl::Required);
static cl::list<int64_t> promptIds("prompt-ids", cl::desc("The prompt's token ids"),
                                   cl::value_desc("ID,ID,..."), cl::CommaSeparated,
                                   cl::sub(generateCommand), cl::OneOrMore);
static cl::opt<unsigned> maxNewTokens("max-new-tokens", cl::desc("Tokens to generate"),
                                      cl::init(16), cl::sub(generateCommand));
static cl::opt<int64_t> maxLength(
    "max-length",
    cl::desc("Most tokens (prompt and generated) the compiled model holds (default: the "
             "prompt's plus --max-new-tokens)"),
    cl::init(0), cl::sub(generateCommand));
static cl::opt<int64_t> prefillChunk(
    "prefill-chunk",
    cl::desc("Read the prompt in runs of at most N tokens (default: all at once); a "
             "sliding-window model's KV caches then take a ring of its window plus N "
             "positions"),
    cl::value_desc("N"), cl::init(0), cl::sub(generateCommand));
static cl::opt<float> temperature(
    "temperature", cl::desc("Divide the logits by T and draw the token (default 0: greedy; "
                            "1 when only --top-k is given)"),
    cl::init(0), cl::sub(generateCommand));
static cl::opt<unsigned> topK("top-k",
                              cl::desc("Draw among the K most likely tokens (0: all of them)"),
                              cl::init(0), cl::sub(generateCommand));
static cl::opt<uint64_t> seed("seed", cl::desc("Seed of the sampling generator"), cl::init(0),
                              cl::sub(generateCommand));
static cl::list<int64_t> stopIds("stop-id",
                                 cl::desc("Stop after generating one of these ids (an "
                                          "end-of-sequence id; printed)"),
                                 cl::value_desc("ID,ID,..."), cl::CommaSeparated,
                                 cl::sub(generateCommand));
static cl::opt<bool> reportJson("json", cl::desc("Print JSON"), cl::sub(reportCommand));
static cl::opt<std::string> outputPath("o", cl::desc("Output file ('-': standard output, for --emit=mlir|llvm)"),
                                       cl::value_desc("OUT"), cl::sub(compileCommand),
                                       cl::Required);
static cl::opt<attnc::EmitKind> emitKind(
    "emit", cl::desc("What to produce"), cl::sub(compileCommand),
    cl::init(attnc::EmitKind::Executable),
    cl::values(clEnumValN(attnc::EmitKind::Executable, "exe", "native executable"),
               clEnumValN(attnc::EmitKind::Library, "lib", "shared library"),
               clEnumValN(attnc::EmitKind::StaticLibrary, "staticlib",
                          "static library (with the runtime) and a C header NAME.h beside it"),
               clEnumValN(attnc::EmitKind::Object, "obj", "object file"),
               clEnumValN(attnc::EmitKind::Mlir, "mlir", "attn IR after graph passes"),
               clEnumValN(attnc::EmitKind::Llvm, "llvm", "optimized LLVM IR")));
static cl::list<std::string> inputShapes(
    "input-shape", cl::desc("Static shape of a graph input"),
    cl::value_desc("NAME=DxD..."), cl::sub(compileCommand), cl::sub(reportCommand),
    cl::sub(inspectCommand));
static cl::list<std::string> maxShapes(
    "max-shape",
    cl::desc("Upper bound of a graph input whose symbolic dims stay run-time dims"),
    cl::value_desc("NAME=DxD..."), cl::sub(compileCommand), cl::sub(inspectCommand),
    cl::sub(checkCommand));
static cl::opt<std::string> targetTriple("target", cl::desc("Target triple (default: host)"),
                                         cl::sub(compileCommand), cl::sub(checkCommand));
static cl::opt<std::string> targetCpu("mcpu", cl::desc("Target CPU (default: host CPU)"),
                                      cl::sub(compileCommand), cl::sub(checkCommand));

static cl::opt<std::string> device(
    "device",
    cl::desc("Where the model runs: cpu (default), cuda (an NVIDIA GPU) or cuda-emulated (the "
             "CUDA kernels on CPU threads, slowly: for testing them without a GPU)"),
    cl::init("cpu"), cl::sub(compileCommand), cl::sub(checkCommand), cl::sub(generateCommand));
static cl::opt<std::string> gpuChip(
    "gpu", cl::desc("With --device=cuda: the GPU architecture, sm_80 (default), sm_90 or sm_90a"),
    cl::init("sm_80"), cl::sub(compileCommand), cl::sub(checkCommand), cl::sub(generateCommand));

static cl::opt<std::string> precision(
    "precision",
    cl::desc("With --device=cuda or cuda-emulated: fp32 (default), or fp16 / bf16: weights "
             "stored in that type (converted at compile time), products with them and attention "
             "on the tensor cores in it, accumulating in fp32"),
    cl::init("fp32"), cl::sub(compileCommand), cl::sub(checkCommand), cl::sub(generateCommand));

static cl::opt<int64_t> qBlock("q-block",
                               cl::desc("Queries per attention block (default: the cost model's)"),
                               cl::init(64), cl::sub(compileCommand), cl::sub(checkCommand));
static cl::opt<int64_t> kvBlock("kv-block",
                                cl::desc("Keys per attention block (default: the cost model's)"),
                                cl::init(64), cl::sub(compileCommand), cl::sub(checkCommand));
static cl::opt<attnc::AttentionKernel> attentionKernel(
    "attention-kernel", cl::desc("Kernel of the tiled attention loop"),
    cl::init(attnc::AttentionKernel::Auto), cl::sub(compileCommand), cl::sub(checkCommand),
    cl::values(clEnumValN(attnc::AttentionKernel::Auto, "auto", "the cost model's choice"),
               clEnumValN(attnc::AttentionKernel::Vector, "vector",
                          "the register-tiled vector kernel (an error where it cannot run)"),
               clEnumValN(attnc::AttentionKernel::Portable, "portable",
                          "the portable kernel (linalg loops, auto-vectorized)")));
static cl::opt<bool> printTilingFlag(
    "print-tiling", cl::desc("Print the attention tiling chosen for each attn.sdpa"),
    cl::init(false), cl::sub(compileCommand));
static cl::opt<bool> singleThread(
    "single-thread",
    cl::desc("Run the parallel loops on the calling thread: no OpenMP runtime (libomp) needed, "
             "for targets without one"),
    cl::init(false), cl::sub(compileCommand), cl::sub(checkCommand));
static cl::opt<bool> attnExplain(
    "attn-explain",
    cl::desc("Report, as a remark at each op, why each attn graph pattern (attention fusion, "
             "mask inference, head layout, projection merging) does not match it"),
    cl::init(false), cl::sub(compileCommand));
static cl::opt<bool> mergeProjections(
    "merge-projections",
    cl::desc("Merge products of one input by constant weights (q/k/v, gate/up) into one "
             "(default on; =false to compare)"),
    cl::init(true), cl::sub(compileCommand), cl::sub(checkCommand));
static cl::opt<int64_t> kvCapacity(
    "kv-capacity",
    cl::desc("Keep each KV cache (a present output that is Concat(past input, new rows)) in a "
             "caller buffer with room for N positions, appending each run's rows in place, "
             "instead of copying past to present every run"),
    cl::value_desc("N"), cl::init(0), cl::sub(compileCommand), cl::sub(checkCommand));
static cl::opt<bool> kvRings(
    "kv-rings",
    cl::desc("With --kv-capacity, keep a sliding-window model's caches as rings of its window "
             "plus a run's tokens where that takes less memory (default on; =false keeps "
             "every position)"),
    cl::init(true), cl::sub(compileCommand), cl::sub(checkCommand), cl::sub(generateCommand));
static cl::opt<std::string> kvCacheMode(
    "kv-cache",
    cl::desc("How an ONNX model's KV caches are kept: in-place (default; in buffers of "
             "--max-length positions) or copy (past in, present out, as exported)"),
    cl::value_desc("in-place|copy"), cl::init("in-place"), cl::sub(generateCommand));
static cl::opt<bool> decomposeAttention(
    "decompose-attention",
    cl::desc("Run attn.sdpa unfused (the reference) instead of the tiled loop"),
    cl::init(false), cl::sub(compileCommand), cl::sub(checkCommand));

/// Reads the attention lowering flags; false after an error.
static bool readAttentionOptions(attnc::PipelineOptions &pipeline, attnc::TilingFlags &flags) {
  if (qBlock < 1 || kvBlock < 1) {
    WithColor::error(errs(), "attnc") << "--q-block and --kv-block must be at least 1, got "
                                      << qBlock << " and " << kvBlock << "\n";
    return false;
  }
  pipeline.qBlock = qBlock;
  pipeline.kvBlock = kvBlock;
  pipeline.tileAttention = !decomposeAttention;
  pipeline.threads = !singleThread;
  pipeline.explain = attnExplain;
  pipeline.mergeProjections = mergeProjections;
  if (qBlock.getNumOccurrences())
    flags.qBlock = qBlock;
  if (kvBlock.getNumOccurrences())
    flags.kvBlock = kvBlock;
  flags.kernel = attentionKernel;
  return true;
}

static cl::list<std::string> checkDirs(cl::Positional, cl::desc("DIR..."),
                                       cl::sub(checkCommand), cl::OneOrMore);
static cl::opt<double> relativeTolerance("rtol", cl::desc("Relative tolerance"), cl::init(1e-4),
                            cl::sub(checkCommand));
static cl::opt<std::string> runWith(
    "run-with",
    cl::desc("check: run each model as an executable through this command (split at "
             "spaces), e.g. an emulator for --target: \"qemu-aarch64 -L /usr/aarch64-linux-gnu\""),
    cl::value_desc("COMMAND"), cl::sub(checkCommand));
static cl::opt<double> absoluteTolerance("atol", cl::desc("Absolute tolerance"), cl::init(1e-5),
                            cl::sub(checkCommand));

/// Parses NAME=1x128 (dims may be 0) into `into`; false on bad syntax.
static bool parseShapeFlag(StringRef spec, llvm::StringMap<SmallVector<int64_t>> &into) {
  auto [name, dims] = spec.rsplit('=');
  if (name.empty() || dims.empty() || spec.count('=') == 0)
    return false;
  SmallVector<int64_t> shape;
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef part : parts) {
    int64_t dim;
    if (part.getAsInteger(10, dim) || dim < 0)
      return false;
    shape.push_back(dim);
  }
  into[name] = shape;
  return true;
}

/// `file:line:col`, `node 'name' (file)` or "" for an unknown location.
static std::string formatLocation(mlir::Location loc) {
  if (auto file = dyn_cast<mlir::FileLineColLoc>(loc)) {
    std::string text = file.getFilename().str();
    if (file.getLine() != 0)
      text += ":" + std::to_string(file.getLine()) + ":" + std::to_string(file.getColumn());
    return text;
  }
  if (auto name = dyn_cast<mlir::NameLoc>(loc)) {
    std::string child = formatLocation(name.getChildLoc());
    return "node '" + name.getName().str() + "'" + (child.empty() ? "" : " (" + child + ")");
  }
  if (auto fused = dyn_cast<mlir::FusedLoc>(loc))
    return fused.getLocations().empty() ? "" : formatLocation(fused.getLocations().front());
  if (auto call = dyn_cast<mlir::CallSiteLoc>(loc))
    return formatLocation(call.getCallee());
  return "";
}

/// Reads --kv-capacity into `pipeline`; false after an error.
static bool readKvCapacity(attnc::PipelineOptions &pipeline) {
  if (kvCapacity < 0 || (kvCapacity.getNumOccurrences() && kvCapacity == 0)) {
    WithColor::error(errs(), "attnc") << "--kv-capacity must be at least 1, got " << kvCapacity
                                      << "\n";
    return false;
  }
  pipeline.kvCapacity = kvCapacity;
  pipeline.kvRings = kvRings;
  return true;
}

/// --device, --gpu and --precision into `pipeline`; false after an error.
static bool readDevice(attnc::PipelineOptions &pipeline) {
  if (precision != "fp32" && precision != "fp16" && precision != "bf16") {
    WithColor::error(errs(), "attnc") << "unknown --precision '" << precision
                                      << "': expected fp32, fp16 or bf16\n";
    return false;
  }
  pipeline.gpuPrecision = precision;
  if (device == "cpu") {
    if (precision == "fp32")
      return true;
    WithColor::error(errs(), "attnc") << "--precision=" << precision
                                      << " needs --device=cuda or cuda-emulated (the CPU "
                                         "backend computes in fp32)\n";
    return false;
  }
  if (device == "cuda-emulated") {
    pipeline.gpu.emulated = true;
    return true;
  }
  if (device != "cuda") {
    WithColor::error(errs(), "attnc") << "unknown --device '" << device
                                      << "': expected cpu, cuda or cuda-emulated\n";
    return false;
  }
  std::string error;
  std::optional<attnc::GpuTarget> gpu = attnc::describeGpu(gpuChip, error);
  if (!gpu) {
    WithColor::error(errs(), "attnc") << error << "\n";
    return false;
  }
  pipeline.gpu = *gpu;
  // The host side only copies and launches: no OpenMP, no libomp to ship.
  pipeline.threads = false;
  return true;
}

/// Parses the options shared by compile and report; false after an error.
static bool readCompileOptions(attnc::CompileOptions &options) {
  if (!readAttentionOptions(options.pipeline, options.tilingFlags) ||
      !readKvCapacity(options.pipeline))
    return false;
  if (printTilingFlag)
    options.tilingLog = &outs();
  options.emit = emitKind;
  options.target = {targetTriple, targetCpu};
  if (!readDevice(options.pipeline))
    return false;
  for (const std::string &spec : inputShapes)
    if (!parseShapeFlag(spec, options.inputShapes)) {
      WithColor::error(errs(), "attnc")
          << "bad --input-shape '" << spec << "': expected NAME=DxDx... (e.g. input_ids=1x128)\n";
      return false;
    }
  for (const std::string &spec : maxShapes)
    if (!parseShapeFlag(spec, options.maxShapes)) {
      WithColor::error(errs(), "attnc")
          << "bad --max-shape '" << spec << "': expected NAME=DxDx... (e.g. input_ids=1x1024)\n";
      return false;
    }
  return true;
}

enum class Mode { Compile, Report, Inspect };

/// `attnc inspect` of a compiled file: its .attnc_info text.
static int inspectArtifact(StringRef path) {
  std::string error;
  std::optional<std::string> info = attnc::readModelInfo(path, error);
  if (!info) {
    WithColor::error(errs(), "attnc") << error << "\n";
    return 1;
  }
  outs() << *info;
  return 0;
}

static int runCompile(Mode mode) {
  // A compiled file (ELF or archive) carries its description; a model
  // source is imported.
  if (mode == Mode::Inspect) {
    auto buffer = MemoryBuffer::getFileSlice(modelPath, 64, 0);
    if (buffer) {
      file_magic magic = identify_magic((*buffer)->getBuffer());
      if (magic.is_object() || magic == file_magic::archive)
        return inspectArtifact(modelPath);
    }
  }
  attnc::CompileOptions options;
  if (!readCompileOptions(options))
    return 1;
  mlir::MLIRContext context;
  attnc::prepareContext(context);
  // One line per error: location, then message. Type inference repeats a
  // verifier failure as "failed to infer returned types" at the same place;
  // the first message is the useful one.
  std::optional<mlir::Location> lastErrorLoc;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Warning) {
      std::string loc = formatLocation(diag.getLocation());
      WithColor::warning(errs(), "attnc") << (loc.empty() ? "" : loc + ": ") << diag.str() << "\n";
      return mlir::success();
    }
    // --attn-explain's reasons, one line each.
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Remark) {
      std::string loc = formatLocation(diag.getLocation());
      WithColor::remark(errs(), "attnc") << (loc.empty() ? "" : loc + ": ") << diag.str() << "\n";
      return mlir::success();
    }
    if (diag.getSeverity() != mlir::DiagnosticSeverity::Error)
      return mlir::success();
    if (lastErrorLoc && *lastErrorLoc == diag.getLocation())
      return mlir::success();
    lastErrorLoc = diag.getLocation();
    std::string loc = formatLocation(diag.getLocation());
    // Frontend messages already name their node; say it once.
    if (auto name = dyn_cast<mlir::NameLoc>(diag.getLocation()))
      if (StringRef(diag.str()).contains("node '" + name.getName().str() + "'"))
        loc = formatLocation(name.getChildLoc());
    WithColor::error(errs(), "attnc") << (loc.empty() ? "" : loc + ": ") << diag.str() << "\n";
    return mlir::success();
  });
  if (mode == Mode::Report)
    return mlir::failed(attnc::reportModel(context, modelPath, options, reportJson, outs()))
               ? 1
               : 0;
  if (mode == Mode::Inspect)
    return mlir::failed(attnc::inspectModel(context, modelPath, options, outs())) ? 1 : 0;
  return mlir::failed(attnc::compileModel(context, modelPath, outputPath, options)) ? 1 : 0;
}

static int runGenerate() {
  attnc::GenerateOptions options;
  if (!readAttentionOptions(options.pipeline, options.tilingFlags) ||
      !readDevice(options.pipeline))
    return 1;
  options.pipeline.kvRings = kvRings;
  if (maxLength < 0) {
    WithColor::error(errs(), "attnc") << "--max-length must be at least 1, got " << maxLength
                                      << "\n";
    return 1;
  }
  if (kvCacheMode != "in-place" && kvCacheMode != "copy") {
    WithColor::error(errs(), "attnc") << "--kv-cache must be in-place or copy, got '"
                                      << kvCacheMode << "'\n";
    return 1;
  }
  options.kvCacheInPlace = kvCacheMode == "in-place";
  options.promptIds.assign(promptIds.begin(), promptIds.end());
  options.maxNewTokens = maxNewTokens;
  options.maxLength = maxLength;
  if (prefillChunk < 0) {
    WithColor::error(errs(), "attnc") << "--prefill-chunk must be at least 1, got "
                                      << prefillChunk << "\n";
    return 1;
  }
  options.prefillChunk = prefillChunk;
  options.stopIds.assign(stopIds.begin(), stopIds.end());
  options.sampling.temperature = temperature;
  // --top-k alone samples at temperature 1.
  if (topK > 1 && !temperature.getNumOccurrences())
    options.sampling.temperature = 1;
  options.sampling.top_k = topK;
  options.sampling.seed = seed;
  return attnc::generate(modelPath, options, outs(), errs(), errs());
}

/// A crash is attnc's bug: one line that says so, instead of LLVM's stack
/// dump and its invitation to report the bug to LLVM. Runs in the signal
/// handler, so it only writes; the signal then ends the process as usual.
static void reportCrash(void *) {
  static const char message[] =
      "attnc: internal error: attnc crashed; this is a bug in attnc, please report it with "
      "the command line and the model\n";
  ssize_t ignored = ::write(2, message, sizeof(message) - 1);
  (void)ignored;
}

/// LLVM's fatal errors (report_fatal_error) as one attnc error line.
static void reportFatalError(void *, const char *reason, bool) {
  WithColor::error(errs(), "attnc") << "internal error: " << reason << "\n";
  std::exit(1);
}

int main(int argc, char **argv) {
  // Not InitLLVM: it installs the stack dump that reportCrash replaces.
  llvm_shutdown_obj shutdown;
  sys::AddSignalHandler(reportCrash, nullptr);
  install_fatal_error_handler(reportFatalError, nullptr);
  // MLIR's pass-manager options (--mlir-print-ir-after-all, --mlir-timing,
  // ...) for whoever debugs or times a pipeline.
  // --mlir-print-ir-after=PASS names passes by their flags: registered
  // before the option that lists them.
  mlir::attn::registerAttnPasses();
  attnc::cpu::registerCpuPasses();
  attnc::gpu::registerGpuPasses();
  mlir::registerTransformsPasses();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  // They are registered without a subcommand; `attnc compile` and
  // `attnc report` run the pipelines, so they take them there.
  std::vector<cl::Option *> mlirOptions;
  for (auto &entry : cl::getRegisteredOptions(cl::SubCommand::getTopLevel()))
    if (entry.first.starts_with("mlir-"))
      mlirOptions.push_back(entry.second);
  for (cl::Option *option : mlirOptions) {
    option->removeArgument();
    option->addSubCommand(compileCommand);
    option->addSubCommand(reportCommand);
    option->addArgument();
  }
  cl::ParseCommandLineOptions(argc, argv, "attnc: ahead-of-time compiler for transformer models\n");
  if (compileCommand)
    return runCompile(Mode::Compile);
  if (reportCommand)
    return runCompile(Mode::Report);
  if (inspectCommand)
    return runCompile(Mode::Inspect);
  if (generateCommand)
    return runGenerate();
  if (checkCommand) {
    attnc::CheckOptions options;
    if (!readAttentionOptions(options.pipeline, options.tilingFlags) ||
        !readKvCapacity(options.pipeline) || !readDevice(options.pipeline))
      return 1;
    // The compiled code runs here: a CPU whose instructions the host lacks
    // would crash it, not fail the check (an emulator may run it).
    attnc::TargetOptions target{targetTriple, targetCpu};
    if (!attnc::isHostTarget(target) && runWith.empty()) {
      WithColor::error(errs(), "attnc")
          << "check --target " << targetTriple
          << ": this host cannot run that target's code; give --run-with an emulator "
             "(e.g. \"qemu-aarch64 -L /usr/aarch64-linux-gnu\")\n";
      return 1;
    }
    if (std::string missing = attnc::featuresHostLacks(targetCpu);
        attnc::isHostTarget(target) && !missing.empty()) {
      WithColor::error(errs(), "attnc")
          << "check --mcpu " << targetCpu << ": this host lacks " << missing
          << ", so it cannot run that CPU's code\n";
      return 1;
    }
    options.target = target;
    options.runWith = runWith;
    for (const std::string &spec : maxShapes)
      if (!parseShapeFlag(spec, options.maxShapes)) {
        WithColor::error(errs(), "attnc")
            << "bad --max-shape '" << spec << "': expected NAME=DxDx... (e.g. input_ids=1x1024)\n";
        return 1;
      }
    options.rtol = relativeTolerance;
    options.atol = absoluteTolerance;
    std::vector<std::string> dirs(checkDirs.begin(), checkDirs.end());
    return attnc::checkDirectories(dirs, options, outs()) == 0 ? 0 : 1;
  }
  WithColor::error(errs(), "attnc") << "expected a subcommand: compile, check, report, inspect or generate (see --help)\n";
  return 1;
}

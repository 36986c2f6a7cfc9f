//===- Compiler.cpp - ONNX (or attn IR) to a native artifact ------------===//

#include "compiler/Compiler.h"
#include "compiler/Linker.h"
#include "compiler/ModelSignature.h"
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
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

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
  for (const auto &entry : options.inputValues)
    importOptions.inputValues[entry.getKey()] = entry.getValue();
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

/// Prints `op`'s shapes and window: the start of its --print-tiling line.
static void printSdpa(attn::SdpaOp op, llvm::raw_ostream &os) {
  os << "tiling: attn.sdpa q " << op.getQuery().getType() << " k " << op.getKey().getType();
  if (attn::WindowAttr window = op.getMaskAttr())
    os << " " << window;
  if (attn::LayoutAttr layout = op.getLayoutAttr())
    os << " " << layout;
}

/// The rest of a --print-tiling line for a tiled op: the tiling, how much
/// of the block grid the window lets it visit, and why.
static void printTiling(attn::SdpaOp op, const attn::SdpaTiling &tiling,
                        llvm::StringRef reason, llvm::raw_ostream &os) {
  os << ": q-block " << tiling.qBlock << ", kv-block " << tiling.kvBlock;
  if (tiling.vectorWidth > 0)
    os << ", vector width " << tiling.vectorWidth << ", register tile " << tiling.registerRows
       << "x" << tiling.registerColumnVectors;
  else
    os << ", vector width 0 (portable kernel)";
  os << ", kv splits " << tiling.kvSplits << "; per (batch, head) visits ";
  attn::SdpaTilingPlan plan = attn::planSdpaTiling(op, tiling.qBlock, tiling.kvBlock);
  if (plan.visitedBlocks)
    os << *plan.visitedBlocks;
  else
    os << "an offset-dependent number";
  os << " of " << plan.qBlocks * plan.kvBlocks << " block pairs; " << reason << "\n";
}

/// Decides how every static-shaped attn.sdpa runs: records the cost
/// model's tiling (with the flags' overrides) as its `attn.tiling`, or adds
/// it to `unfused` where the unfused path is faster. An op that already
/// carries `attn.tiling` keeps it unless flags set the blocks.
static LogicalResult chooseTilings(ModuleOp module, const CompileOptions &options,
                                   function_ref<const TargetDescription *()> describe,
                                   SmallVectorImpl<attn::SdpaOp> &unfused) {
  const PipelineOptions &p = options.pipeline;
  llvm::raw_ostream *log = options.tilingLog;
  SmallVector<attn::SdpaOp> ops;
  module.walk([&](attn::SdpaOp op) { ops.push_back(op); });
  if (ops.empty())
    return success();
  const TargetDescription *target = nullptr;
  if (p.tileAttention && !(target = describe()))
    return failure();
  TilingRequest request;
  request.flags = options.tilingFlags;
  request.vectorKernelAvailable = p.vectorKernelAvailable;
  request.kvSplitsAvailable = p.kvSplitsAvailable;
  for (attn::SdpaOp op : ops) {
    if (log)
      printSdpa(op, *log);
    if (!p.tileAttention) {
      if (log)
        *log << ": unfused (--decompose-attention)\n";
      continue;
    }
    if (!llvm::all_of(op->getOperandTypes(), [](Type type) {
          return cast<RankedTensorType>(type).hasStaticShape();
        })) {
      if (log)
        *log << ": unfused (dynamic shapes)\n";
      continue;
    }
    FailureOr<std::optional<attn::SdpaTiling>> recorded = attn::getSdpaTiling(op);
    if (failed(recorded))
      return failure();
    if (*recorded && !options.tilingFlags.setsBlocks() &&
        options.tilingFlags.kernel == AttentionKernel::Auto) {
      if (log)
        printTiling(op, **recorded, "from its attn.tiling attribute", *log);
      continue;
    }
    TilingChoice choice = chooseSdpaTiling(op, *target, request);
    if (!choice.error.empty())
      return op.emitError(choice.error);
    for (const std::string &warning : choice.warnings)
      op.emitWarning(warning);
    if (choice.decompose) {
      if (log)
        *log << ": unfused (" << choice.reason << ")\n";
      unfused.push_back(op);
      continue;
    }
    std::string problem = attn::validateSdpaTiling(op, choice.tiling);
    assert(problem.empty() && "the cost model chose a tiling attn-tile-sdpa rejects");
    (void)problem;
    attn::setSdpaTiling(op, choice.tiling);
    if (log)
      printTiling(op, choice.tiling, choice.reason, *log);
  }
  return success();
}

static std::string printed(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os, OpPrintingFlags().elideLargeResourceString(64));
  return text;
}

LogicalResult compileModel(MLIRContext &context, llvm::StringRef inputPath,
                           llvm::StringRef outputPath, const CompileOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, inputPath, 0, 0);
  OwningOpRef<ModuleOp> module = loadModel(context, inputPath, options);
  if (!module)
    return failure();

  PassManager graph(&context);
  if (failed(applyPassManagerCLOptions(graph)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(graph);
  buildAttnGraphPipeline(graph, options.pipeline);
  if (failed(graph.run(*module)))
    return failure();
  // The target is read once, by whichever decision needs it first.
  std::optional<TargetDescription> target;
  auto describe = [&]() -> const TargetDescription * {
    if (!target) {
      std::string error;
      target = describeTarget(options.target, error);
      if (!target) {
        emitError(fileLoc) << error;
        return nullptr;
      }
    }
    return &*target;
  };
  SmallVector<attn::SdpaOp> unfused;
  if (failed(chooseTilings(*module, options, describe, unfused)))
    return failure();
  if (options.emit == EmitKind::Mlir)
    return writeAtomically(context, outputPath, printed(*module));
  // Ops the cost model runs unfused; attn-tile-sdpa tiles the rest.
  IRRewriter rewriter(&context);
  for (attn::SdpaOp op : unfused) {
    rewriter.setInsertionPoint(op);
    attn::decomposeSdpa(rewriter, op);
  }

  auto main = module->lookupSymbol<func::FuncOp>("main");
  if (!main)
    return emitError(fileLoc) << "expected a 'func.func @main' in '" << inputPath << "'";
  FailureOr<ModelSignature> signature = readSignature(main);
  if (failed(signature))
    return failure();

  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(options.target, error);
  if (!machine)
    return emitError(fileLoc) << error;

  PipelineOptions pipeline = options.pipeline;
  const TargetDescription *description = describe();
  if (!description)
    return failure();
  pipeline.matmulKernel = chooseMatmulKernel(*description);

  PassManager lowering(&context);
  if (failed(applyPassManagerCLOptions(lowering)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(lowering);
  buildCpuLoweringPipeline(lowering, pipeline);
  if (failed(lowering.run(*module)))
    return failure();
  signature->workspaceBytes = entryWorkspaceBytes(*module);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(*module, *signature, *machine, llvmContext, error);
  if (!llvmModule)
    return emitError(fileLoc) << error;
  if (options.emit == EmitKind::Llvm) {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    return writeAtomically(context, outputPath, text);
  }

  llvm::SmallVector<char, 0> object;
  if (!emitObject(*llvmModule, *machine, object, error))
    return emitError(fileLoc) << error;
  llvm::StringRef objectBytes(object.data(), object.size());
  if (options.emit == EmitKind::Object)
    return writeAtomically(context, outputPath, objectBytes);

  // Link from a temporary object into a temporary output beside the final
  // path, then rename: nothing half-written survives a failure.
  llvm::SmallString<256> objectPath, linkedPath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("attnc-model", "o", fd, objectPath))
    return emitError(fileLoc) << "cannot create a temporary object file";
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << objectBytes;
  }
  llvm::SmallString<256> pattern(outputPath);
  pattern += ".tmp-%%%%%%";
  llvm::sys::fs::createUniquePath(pattern, linkedPath, /*MakeAbsolute=*/false);
  LinkKind kind = options.emit == EmitKind::Library ? LinkKind::SharedLibrary
                                                    : LinkKind::Executable;
  bool linked = linkModel(std::string(objectPath), std::string(linkedPath), kind,
                          options.target, error);
  llvm::sys::fs::remove(objectPath);
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

} // namespace attnc

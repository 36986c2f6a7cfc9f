//===- Compiler.cpp - ONNX (or attn IR) to a native artifact ------------===//

#include "compiler/Compiler.h"
#include "compiler/Linker.h"
#include "compiler/ModelSignature.h"
#include "compiler/cpu/ObjectEmitter.h"
#include "frontends/onnx/Importer.h"
#include "passes/Transforms.h"
#include "mlir/IR/Diagnostics.h"
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

/// One line per attn.sdpa: the blocks attn-tile-sdpa will use and why, and
/// how much of the block grid the window lets it skip.
static void printTiling(ModuleOp module, const CompileOptions &options,
                        llvm::raw_ostream &os) {
  const PipelineOptions &p = options.pipeline;
  module.walk([&](attn::SdpaOp op) {
    RankedTensorType q = op.getQuery().getType(), k = op.getKey().getType();
    os << "tiling: attn.sdpa q " << q << " k " << k;
    if (attn::WindowAttr window = op.getMaskAttr())
      os << " " << window;
    if (!p.tileAttention) {
      os << ": unfused (--decompose-attention)\n";
      return;
    }
    if (!q.hasStaticShape() || !k.hasStaticShape()) {
      os << ": unfused (dynamic shapes)\n";
      return;
    }
    attn::SdpaTilingPlan plan = attn::planSdpaTiling(op, p.qBlock, p.kvBlock);
    os << ": q-block " << plan.qBlock << ", kv-block " << plan.kvBlock << " ("
       << (options.blocksFromFlags ? "from --q-block/--kv-block"
                                   : "default; no cost model yet")
       << "); per (batch, head) visits ";
    if (plan.visitedBlocks)
      os << *plan.visitedBlocks;
    else
      os << "an offset-dependent number";
    os << " of " << plan.qBlocks * plan.kvBlocks << " block pairs\n";
  });
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
  buildAttnGraphPipeline(graph, options.pipeline);
  if (failed(graph.run(*module)))
    return failure();
  if (options.tilingLog)
    printTiling(*module, options, *options.tilingLog);
  if (options.emit == EmitKind::Mlir)
    return writeAtomically(context, outputPath, printed(*module));

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

  PassManager lowering(&context);
  buildCpuLoweringPipeline(lowering, options.pipeline);
  if (failed(lowering.run(*module)))
    return failure();

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

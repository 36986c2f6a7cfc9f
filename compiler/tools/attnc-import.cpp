//===- attnc-import.cpp - Print the attn IR of an ONNX model --------------===//
//
// The frontend on its own, for developers and lit tests:
//   attnc-import model.onnx --input-shape input_ids=1x8 [-o out.mlir]
// A `.onnxtxt` file, or one starting with `<` (after `#` comments), is ONNX
// text syntax. Errors
// print one diagnostic and exit 1 without writing the output file.
//
//===----------------------------------------------------------------------===//

#include "dialects/attn/AttnOps.h"
#include "frontends/onnx/Importer.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;
namespace onnx_frontend = mlir::attn::onnx_frontend;

static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx | model.onnxtxt>"));
static cl::list<std::string>
    inputShapes("input-shape", cl::desc("Static shape of a graph input"),
                cl::value_desc("NAME=1x128"));
static cl::opt<std::string> outputPath("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::init("-"));
static cl::opt<bool>
    printResources("print-resources",
                   cl::desc("Print weight blobs in full instead of eliding "
                            "those over 64 bytes"));

/// "file:line:col: " or "file: " for the file location inside `loc`.
static std::string locationPrefix(Location loc) {
  std::string prefix;
  loc->walk([&](Location inner) {
    if (auto file = dyn_cast<FileLineColLoc>(inner)) {
      prefix = file.getFilename().str();
      if (file.getLine() != 0)
        prefix += ":" + std::to_string(file.getLine()) + ":" +
                  std::to_string(file.getColumn());
      prefix += ": ";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return prefix;
}

/// Parses NAME=1x8 (NAME= is a scalar) into `options`.
static LogicalResult parseInputShape(StringRef flag,
                                     onnx_frontend::ImportOptions &options) {
  auto [name, dims] = flag.split('=');
  SmallVector<int64_t> shape;
  bool valid = !name.empty() && flag.contains('=');
  if (valid && !dims.empty()) {
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    for (StringRef part : parts) {
      int64_t dim;
      if (part.getAsInteger(10, dim) || dim < 0) {
        valid = false;
        break;
      }
      shape.push_back(dim);
    }
  }
  if (!valid) {
    llvm::errs() << "error: invalid --input-shape '" << flag
                 << "': expected NAME=DIMxDIMx... (e.g. input_ids=1x128)\n";
    return failure();
  }
  options.inputShapes[name] = std::move(shape);
  return success();
}

/// Writes `module` to `path` through a temporary file, so a failed run
/// never leaves a partial output behind.
static LogicalResult writeModule(ModuleOp module, StringRef path,
                                 const OpPrintingFlags &flags) {
  if (path == "-") {
    module->print(llvm::outs(), flags);
    llvm::outs() << "\n";
    return success();
  }
  SmallString<256> temp;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(
          path + ".tmp-%%%%%%", fd, temp)) {
    llvm::errs() << "error: cannot write '" << path << "': " << ec.message()
                 << "\n";
    return failure();
  }
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    module->print(os, flags);
    os << "\n";
    if (os.has_error()) {
      llvm::errs() << "error: cannot write '" << path
                   << "': " << os.error().message() << "\n";
      os.clear_error();
      llvm::sys::fs::remove(temp);
      return failure();
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    llvm::errs() << "error: cannot write '" << path << "': " << ec.message()
                 << "\n";
    llvm::sys::fs::remove(temp);
    return failure();
  }
  return success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(argc, argv,
                              "attnc-import: ONNX model -> attn graph IR\n");

  onnx_frontend::ImportOptions options;
  for (const std::string &flag : inputShapes)
    if (failed(parseInputShape(flag, options)))
      return 1;

  DialectRegistry registry;
  registry.insert<attn::AttnDialect, func::FuncDialect>();
  MLIRContext context(registry);
  context.getDiagEngine().registerHandler([](Diagnostic &diag) {
    llvm::errs() << locationPrefix(diag.getLocation())
                 << (diag.getSeverity() == DiagnosticSeverity::Error
                         ? "error: "
                         : "note: ")
                 << diag.str() << "\n";
    return success();
  });

  auto file = llvm::MemoryBuffer::getFile(inputPath, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) {
    llvm::errs() << inputPath << ": error: cannot open ONNX model '"
                 << inputPath << "': " << file.getError().message() << "\n";
    return 1;
  }
  StringRef contents = (*file)->getBuffer();
  bool isText = StringRef(inputPath).ends_with(".onnxtxt") ||
                onnx_frontend::looksLikeOnnxText(contents);
  OwningOpRef<ModuleOp> module =
      isText ? onnx_frontend::importOnnxText(context, contents, inputPath,
                                             options)
             : onnx_frontend::importOnnxFile(context, inputPath, options);
  if (!module)
    return 1;

  OpPrintingFlags flags;
  if (!printResources)
    flags.elideLargeResourceString(64);
  return failed(writeModule(*module, outputPath, flags)) ? 1 : 0;
}

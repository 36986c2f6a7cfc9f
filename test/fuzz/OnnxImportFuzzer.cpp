//===- OnnxImportFuzzer.cpp - libFuzzer target: the ONNX importer --------===//
//
// Model bytes (a ModelProto, or the ONNX text form when they start with
// '<') go through the importer, the verifier, and then attnc's graph
// passes (fusion, mask inference, layout), as `attnc compile` runs them.
// Bad input must end in a diagnostic, never a crash, a hang or an
// assertion. The binary form is read from a file (the importer resolves
// external data next to it), written to the fuzzer's working directory.
//
//===----------------------------------------------------------------------===//

#include "compiler/Compiler.h"
#include "compiler/Pipeline.h"
#include "frontends/onnx/Importer.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include <cstdio>
#include <memory>
#include <string>
#include <unistd.h>

using namespace mlir;

namespace {

/// Inputs one context serves before a fresh one replaces it: loading the
/// pipeline's dialects was most of an input's time (80 inputs/s with a
/// context each), and a fresh context now and then bounds what one
/// accumulates (uniqued types and attributes, resource blobs). A crash that
/// needs an earlier input's state shows as one that does not reproduce
/// alone; none has so far.
constexpr unsigned kInputsPerContext = 256;

MLIRContext &contextForNextInput() {
  static std::unique_ptr<MLIRContext> context;
  static unsigned served = 0;
  if (!context || served++ == kInputsPerContext) {
    // One thread: the passes' thread pool would be started per context.
    context = std::make_unique<MLIRContext>(MLIRContext::Threading::DISABLED);
    attnc::prepareContext(*context);
    served = 1;
  }
  return *context;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &context = contextForNextInput();
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });
  attn::onnx_frontend::ImportOptions options;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module;
  if (bytes.ltrim().starts_with("<")) {
    module = attn::onnx_frontend::importOnnxText(context, bytes, "fuzz.onnxtxt", options);
  } else {
    static const std::string path = "attnc-fuzz-" + std::to_string(getpid()) + ".onnx";
    if (FILE *file = std::fopen(path.c_str(), "wb")) {
      std::fwrite(data, 1, size, file);
      std::fclose(file);
      module = attn::onnx_frontend::importOnnxFile(context, path, options);
      std::remove(path.c_str());
    }
  }
  if (!module || failed(verify(*module)))
    return 0;
  PassManager pm(&context);
  attnc::PipelineOptions pipeline;
  attnc::buildAttnGraphPipeline(pm, pipeline);
  (void)pm.run(*module);
  return 0;
}

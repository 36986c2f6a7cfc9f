//===- attnc-opt.cpp - mlir-opt for the attn dialect and passes -----------===//
//
// Registers exactly what attnc's pipelines use: the attn dialect and passes
// and the upstream dialects (with their interfaces) that the pipelines
// produce, so that any stage's IR can be fed back in. No registerAll*().
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipeline.h"
#include "passes/Passes.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  attnc::registerPipelineDialects(registry);
  mlir::attn::registerAttnPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "attnc optimizer driver: attn dialect and passes\n", registry));
}

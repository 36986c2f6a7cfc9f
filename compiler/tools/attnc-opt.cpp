//===- attnc-opt.cpp - mlir-opt for the attn dialect and passes -----------===//
//
// Registers exactly what attnc's pipelines use: the attn dialect and passes
// and the upstream dialects (with their interfaces) that the pipelines
// produce, so that any stage's IR can be fed back in. No registerAll*().
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipeline.h"
#include "compiler/cpu/Passes.h"
#include "compiler/gpu/Passes.h"
#include "passes/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  attnc::registerPipelineDialects(registry);
  mlir::attn::registerAttnPasses();
  attnc::cpu::registerCpuPasses();
  attnc::gpu::registerGpuPasses();
  // The upstream passes the pipelines run (canonicalize, cse,
  // linalg-fuse-elementwise-ops, ...), and the pipelines themselves with
  // attnc compile's defaults, so a stage can be replayed from its input.
  mlir::registerTransformsPasses();
  mlir::registerLinalgPasses();
  mlir::PassPipelineRegistration<>(
      "attnc-graph-pipeline", "attnc compile's attn graph passes (fusion, masks, layout)",
      [](mlir::OpPassManager &pm) { attnc::buildAttnGraphPipeline(pm, attnc::PipelineOptions()); });
  mlir::PassPipelineRegistration<>(
      "attnc-cpu-pipeline",
      "attnc compile's CPU lowering (attn IR to the LLVM dialect) with the default options",
      [](mlir::OpPassManager &pm) { attnc::buildCpuLoweringPipeline(pm, attnc::PipelineOptions()); });
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "attnc optimizer driver: attn dialect and passes\n", registry));
}

//===- Pipeline.cpp - attn graph and CPU lowering pipelines -------------===//

#include "compiler/Pipeline.h"
#include "compiler/cpu/Passes.h"
#include "dialects/attn/AttnOps.h"
#include "passes/Passes.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Linalg/Transforms/TilingInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Dialect/Func/Extensions/AllExtensions.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace attnc {

/// attn-fuse-sdpa and the passes that refine what it fused, then
/// attn-merge-projections, as `options` enable them.
static void buildFusionPipeline(OpPassManager &funcPm, const PipelineOptions &options) {
  if (!options.fuseAttention && !options.mergeProjections)
    return;
  if (options.fuseAttention) {
    mlir::attn::AttnFuseSdpaPassOptions fuse;
    fuse.explain = options.explain;
    funcPm.addPass(mlir::attn::createAttnFuseSdpaPass(fuse));
    // Folds the fused masks to constants where their inputs are constant.
    funcPm.addPass(createCanonicalizerPass());
    mlir::attn::AttnInferMasksPassOptions masks;
    masks.explain = options.explain;
    funcPm.addPass(mlir::attn::createAttnInferMasksPass(masks));
    mlir::attn::AttnAbsorbHeadLayoutPassOptions layout;
    layout.explain = options.explain;
    funcPm.addPass(mlir::attn::createAttnAbsorbHeadLayoutPass(layout));
  }
  // After fusion, so that the attention matchers see each projection as
  // the exporter wrote it.
  if (options.mergeProjections) {
    mlir::attn::AttnMergeProjectionsPassOptions merge;
    merge.explain = options.explain;
    funcPm.addPass(mlir::attn::createAttnMergeProjectionsPass(merge));
  }
  funcPm.addPass(createCanonicalizerPass());
  funcPm.addPass(createCSEPass());
}

void buildAttnGraphPipeline(OpPassManager &pm, const PipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  // One activation op, which attn-tile-matmul can apply in a projection's
  // epilogue.
  funcPm.addPass(mlir::attn::createAttnFuseGeluPass());
  buildFusionPipeline(funcPm, options);
  // Last: the fusions above see each cache as the exported concat.
  if (options.kvCapacity > 0) {
    mlir::attn::AttnKvCacheInPlacePassOptions caches;
    caches.capacity = options.kvCapacity;
    caches.rings = options.kvRings;
    caches.explain = options.explain;
    funcPm.addPass(mlir::attn::createAttnKvCacheInPlacePass(caches));
  }
}

void buildCpuDecisionPipeline(OpPassManager &pm, const PipelineOptions &options) {
  cpu::CpuChooseTilingsPassOptions choose;
  choose.triple = options.target.triple;
  choose.cpu = options.target.cpu;
  const TilingFlags &flags = options.tilingFlags;
  choose.attentionKernel = flags.kernel == AttentionKernel::Vector     ? "vector"
                           : flags.kernel == AttentionKernel::Portable ? "portable"
                                                                       : "auto";
  choose.qBlock = flags.qBlock.value_or(0);
  choose.kvBlock = flags.kvBlock.value_or(0);
  choose.tileAttention = options.tileAttention;
  pm.addPass(cpu::createCpuChooseTilingsPass(choose, options.tilingLog));
}

void buildCpuLoweringPipeline(OpPassManager &pm, const PipelineOptions &options) {
  buildCpuDecisionPipeline(pm, options);
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  if (options.tileAttention) {
    mlir::attn::AttnTileSdpaPassOptions tiling;
    tiling.qBlock = options.qBlock;
    tiling.kvBlock = options.kvBlock;
    funcPm.addPass(mlir::attn::createAttnTileSdpaPass(tiling));
  }
  // Whatever the tiler left (dynamic shapes, or tiling off) runs unfused.
  funcPm.addPass(mlir::attn::createAttnDecomposeSdpaPass());
  // Each matmul's kernel comes from its attn.tiling (cpu-choose-tilings).
  funcPm.addPass(mlir::attn::createAttnTileMatmulPass());
  funcPm.addPass(mlir::attn::createAttnToLinalgPass());
  funcPm.addPass(createCanonicalizerPass());
  if (options.fuseElementwise)
    funcPm.addPass(createLinalgElementwiseOpFusionPass());
  funcPm.addPass(createCSEPass());
  // Everything outside the kernels on all cores too.
  if (options.threads)
    funcPm.addPass(mlir::attn::createAttnParallelizeLinalgPass());

  pm.addPass(cpu::createCpuEntryPointPass());
  // Results, concat parts and cache rows computed where they are stored.
  pm.addNestedPass<func::FuncOp>(cpu::createCpuReuseDestinationsPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  // The online-softmax loop carries new row statistics each iteration.
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // Each parallel task's small tiles on its stack, not the heap; only for
  // OpenMP, whose lowering scopes each task's stack (a sequential loop
  // would grow the stack by every iteration's buffers).
  if (options.threads)
    pm.addPass(cpu::createCpuStackTaskBuffersPass());
  // The tiled attention's (batch, head, q-block) loop is an scf.forall.
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  // Every static intermediate in the runtime's per-model workspace.
  mlir::attn::AttnPlanMemoryPassOptions plan;
  plan.workspaceArgument = true;
  plan.sequentialTasks = !options.threads;
  pm.addNestedPass<func::FuncOp>(mlir::attn::createAttnPlanMemoryPass(plan));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createCanonicalizerPass());
  // Heap buffers (run-time dims) freed after their last use, not at the end.
  pm.addNestedPass<func::FuncOp>(cpu::createCpuFreeAfterLastUsePass());
  // Each repeated layer's loop nests compiled once (cpu-outline-kernels).
  pm.addPass(cpu::createCpuOutlineKernelsPass());

  // The parallel (batch, head, q-block) loop runs on OpenMP threads.
  if (options.threads) {
    pm.addPass(createConvertSCFToOpenMPPass());
    pm.addPass(cpu::createCpuLowerAllocaScopesPass());
  }

  buildLoopsToLlvmPipeline(pm, options.threads);
}

void buildLoopsToLlvmPipeline(OpPassManager &pm, bool openmp,
                              function_ref<void(OpPassManager &)> beforeReconcile) {
  OpPassManager &loops = pm.nest<func::FuncOp>();
  loops.addPass(cpu::createCpuCopyToLinalgPass());
  loops.addPass(cpu::createCpuReductionLoopsPass());
  loops.addPass(createConvertLinalgToLoopsPass());
  loops.addPass(cpu::createCpuApproximateMathPass());
  // The register-tiled attention kernel's vector ops.
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass());
  pm.addPass(createLowerAffinePass());
  // x86vector ops (the kernel's vscalefps on AVX-512) become LLVM intrinsics.
  ConvertVectorToLLVMPassOptions vectorToLlvm;
  vectorToLlvm.x86Vector = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLlvm));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  // Heap allocations through counting functions (ObjectEmitter.cpp).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLlvm;
  memrefToLlvm.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLlvm));
  pm.addPass(createConvertFuncToLLVMPass());
  if (openmp)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  // The poison that 2-D vectors are built from (vector.from_elements).
  pm.addPass(createUBToLLVMConversionPass());
  if (beforeReconcile)
    beforeReconcile(pm);
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void registerPipelineDialects(DialectRegistry &registry) {
  registry.insert<mlir::attn::AttnDialect, func::FuncDialect, arith::ArithDialect,
                  tensor::TensorDialect, linalg::LinalgDialect, math::MathDialect,
                  memref::MemRefDialect, scf::SCFDialect, cf::ControlFlowDialect,
                  affine::AffineDialect, bufferization::BufferizationDialect,
                  LLVM::LLVMDialect, omp::OpenMPDialect, vector::VectorDialect,
                  x86vector::X86VectorDialect>();
  vector::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  linalg::registerTilingInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  // The CUDA backend's: kernels, their NVVM target (ptxas through
  // gpu-module-to-binary) and the patterns its LLVM conversions look up.
  registry.insert<gpu::GPUDialect, NVVM::NVVMDialect, nvgpu::NVGPUDialect>();
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerConvertFuncToLLVMInterface(registry);
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  // Vector loads and stores in kernels (the tensor-core matmul's 16-byte
  // chunks into shared memory) lower with the kernel's address spaces.
  vector::registerConvertVectorToLLVMInterface(registry);
  func::registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
}

} // namespace attnc

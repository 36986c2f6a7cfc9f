//===- Pipeline.cpp - The CUDA lowering pipeline (attnc --device=cuda) ----===//
//
// attn IR after the graph passes, down to the LLVM dialect of a host
// program whose kernels are embedded as a CUDA binary: attn.sdpa, the
// norms and softmax become kernel launches (gpu-lower-sdpa,
// gpu-lower-norms), the entry point takes the runtime ABI's
// buffers as the CPU path's does (cpu-entry-point), bufferization, device
// memory for every buffer a kernel uses (gpu-device-buffers), then
// upstream's outlining, NVVM lowering and `gpu-module-to-binary`, which
// runs the toolkit's ptxas. The host side's `mgpu*` calls go to attnc's
// runtime (runtime/src/CudaDriver.cpp), which loads the CUDA driver when a
// model first runs.
//
//===----------------------------------------------------------------------===//

#include "compiler/Pipeline.h"
#include "compiler/cpu/Passes.h"
#include "compiler/gpu/Passes.h"
#include "passes/Passes.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace attnc {

void buildGpuLoweringPipeline(OpPassManager &pm, const PipelineOptions &options) {
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  // --precision fp16|bf16: attention on the tensor cores where it applies.
  gpu::GpuLowerSdpaPassOptions sdpa;
  sdpa.precision = options.gpuPrecision;
  funcPm.addPass(gpu::createGpuLowerSdpaPass(sdpa));
  // What the kernel does not take yet (dense masks, run-time dims) runs as
  // its matmuls and softmax.
  funcPm.addPass(mlir::attn::createAttnDecomposeSdpaPass());
  // LayerNorm / RMSNorm (exported decompositions recognized first) and
  // softmax: a warp per row, one launch each.
  funcPm.addPass(mlir::attn::createAttnFuseNormsPass());
  funcPm.addPass(gpu::createGpuLowerNormsPass());
  funcPm.addPass(mlir::attn::createAttnToLinalgPass());
  funcPm.addPass(createCanonicalizerPass());
  if (options.fuseElementwise)
    funcPm.addPass(gpu::createGpuFuseElementwisePass());
  funcPm.addPass(createCSEPass());
  // --precision fp16|bf16: the products' weights stored narrow.
  funcPm.addPass(gpu::createGpuCastWeightsPass({options.gpuPrecision}));

  pm.addPass(cpu::createCpuEntryPointPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createCanonicalizerPass());
  // Products as shared-memory tiled kernels; every other op, copies too,
  // as generic kernels: one thread per output element
  // (gpu-loops-to-kernels); loops nested in one run in its thread.
  pm.addNestedPass<func::FuncOp>(gpu::createGpuLowerContractionsPass());
  pm.addNestedPass<func::FuncOp>(cpu::createCpuCopyToLinalgPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(gpu::createGpuLoopsToKernelsPass());
  pm.addNestedPass<func::FuncOp>(createParallelForToNestedForsPass());
  pm.addPass(createCanonicalizerPass());

  if (options.gpu.emulated) {
    // The same kernels on CPU threads (tests without a GPU); the buffers
    // stay host allocations, freed as the CPU path frees them.
    pm.addNestedPass<func::FuncOp>(gpu::createGpuFreeHostBuffersPass());
    pm.addNestedPass<func::FuncOp>(gpu::createGpuEmulateLaunchesPass());
    buildLoopsToLlvmPipeline(pm, /*openmp=*/true);
    return;
  }
  pm.addNestedPass<func::FuncOp>(gpu::createGpuDeviceBuffersPass());
  // What stays on the host (a buffer whose run-time shape alone the
  // kernels' sizes read, a host-filled scalar) is freed at the returns;
  // the canonicalizer then drops the allocations nothing reads.
  pm.addNestedPass<func::FuncOp>(gpu::createGpuFreeHostBuffersPass());
  pm.addPass(createCanonicalizerPass());

  // Kernels: outlined into a gpu.module for the chip, lowered to NVVM.
  pm.addPass(createGpuKernelOutliningPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.gpu.chip;
  target.features = options.gpu.ptxFeatures;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  // Allocations, copies and launches in order on one stream
  // (gpu-to-llvm lowers only their async forms).
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  OpPassManager &kernels = pm.nest<mlir::gpu::GPUModuleOp>();
  // Views (a stage of a double-buffered shared tile) as offsets and strides
  // the NVVM conversions lower; the affine maps it leaves, as arithmetic.
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createSCFToControlFlowPass());
  // The tensor-core products (upstream's conversion takes fp16 only).
  kernels.addPass(gpu::createGpuLowerBf16MmaPass());
  kernels.addPass(createConvertNVGPUToNVVMPass());
  // Shared buffers 16-byte aligned: ldmatrix rows and 128-bit copies.
  kernels.addPass(gpu::createGpuAlignSharedPass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());

  // The host: the CPU path's lowering of what is left, and gpu-to-llvm for
  // the launches, allocations and copies (mgpu* runtime calls).
  buildLoopsToLlvmPipeline(pm, /*openmp=*/false, [](OpPassManager &host) {
    host.addPass(createGpuToLLVMConversionPass());
  });
  // ptxas checks and assembles every kernel here: a cubin for the chip.
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = options.gpu.toolkit;
  binary.compilationTarget = "bin";
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

} // namespace attnc

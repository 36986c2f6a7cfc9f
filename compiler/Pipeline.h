//===- Pipeline.h - attnc's pass pipelines ----------------------*- C++ -*-===//
//
// One options struct configures every pipeline; no global flags.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_PIPELINE_H
#define ATTNC_COMPILER_PIPELINE_H

#include "compiler/Target.h"
#include "compiler/cpu/TilingCostModel.h"
#include "mlir/Pass/PassManager.h"

namespace attnc {

/// The CUDA backend's target (`attnc compile --device=cuda --gpu=CHIP`).
struct GpuTarget {
  /// The SM architecture (sm_80, sm_90, sm_90a).
  std::string chip;
  /// PTX ISA features for the chip (NVVM's `features`, e.g. +ptx80).
  std::string ptxFeatures;
  /// The CUDA toolkit whose ptxas assembles the kernels.
  std::string toolkit;
  /// Run the kernels on CPU threads instead (`--device=cuda-emulated`, for
  /// tests; gpu-emulate-launches): no chip, no toolkit, no driver.
  bool emulated = false;
  /// Whether the model is compiled by the CUDA backend (else for the CPU).
  bool enabled() const { return emulated || !chip.empty(); }
};

struct PipelineOptions {
  /// Fuse attention into attn.sdpa and infer mask structure.
  bool fuseAttention = true;
  /// Merge projections of one input by constant weights (q/k/v, gate/up)
  /// into one product (attn-merge-projections).
  bool mergeProjections = true;
  /// The graph passes report why their patterns do not match, as remarks
  /// (their `explain` option; `attnc compile --attn-explain`).
  bool explain = false;
  /// Lower attn.sdpa with the FlashAttention-2 loop (else decompose it).
  bool tileAttention = true;
  /// attn-tile-sdpa's blocks for an attn.sdpa without an `attn.tiling`
  /// attribute (cpu-choose-tilings records one on every static-shaped op).
  int64_t qBlock = 64;
  int64_t kvBlock = 64;
  /// The machine the code is for (the host by default): cpu-choose-tilings
  /// decides every tiling from its description.
  TargetOptions target;
  /// Overrides of the tiling cost model (--attention-kernel, --q-block,
  /// --kv-block).
  TilingFlags tilingFlags;
  /// Where cpu-choose-tilings prints each attn.sdpa's tiling (null:
  /// nowhere).
  llvm::raw_ostream *tilingLog = nullptr;
  /// Run parallel loops on OpenMP threads (libomp; OMP_NUM_THREADS picks
  /// how many, all cores by default).
  bool threads = true;
  /// Fuse elementwise linalg ops before bufferization (fewer buffers).
  bool fuseElementwise = true;
  /// Positions of each KV cache kept in place (attn-kv-cache-in-place,
  /// `attnc compile --kv-capacity`); 0: caches stay past-in, present-out
  /// copies.
  int64_t kvCapacity = 0;
  /// Keep a sliding-window model's caches as rings of the window's
  /// positions where that takes less memory (`--kv-rings`).
  bool kvRings = true;
  /// Set: the model's kernels run on an NVIDIA GPU (buildGpuLoweringPipeline).
  GpuTarget gpu;
  /// What the CUDA backend multiplies in (`attnc compile --precision`):
  /// fp32, or fp16 / bf16: the contractions' weights stored in that type
  /// (gpu-cast-weights), products with them and attention on the tensor
  /// cores (gpu-lower-contractions, gpu-lower-sdpa). Products accumulate
  /// in fp32 either way.
  std::string gpuPrecision = "fp32";
};

/// Graph-level passes on attn IR (canonicalization; fusion passes plug in
/// here). The result is what `attnc compile --emit=mlir` prints.
void buildAttnGraphPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// The CPU backend's decisions: cpu-choose-tilings records how each
/// attn.sdpa and matmul is lowered as attributes on the op. What
/// `attnc compile --emit=mlir` prints is the IR after this.
void buildCpuDecisionPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// attn IR (with `func.func @main`) down to the LLVM dialect, decisions
/// first (buildCpuDecisionPipeline), with the
/// entry point rewritten to the runtime ABI's destination-passing
/// `attnc_main(inputs..., outputs...)` taking memrefs (expanded by the
/// LLVM calling convention into pointer, offset, sizes and strides).
void buildCpuLoweringPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// What both backends' host code shares after bufferization: linalg ops
/// to loops, then every dialect to LLVM (OpenMP too when `openmp`);
/// `beforeReconcile` adds the caller's own conversions (the CUDA backend's
/// gpu-to-llvm) before the casts between them are reconciled.
void buildLoopsToLlvmPipeline(mlir::OpPassManager &pm, bool openmp,
                              llvm::function_ref<void(mlir::OpPassManager &)> beforeReconcile = {});

/// The CUDA backend (`--device=cuda`): attn IR after the graph passes down
/// to the LLVM dialect of a host entry point with the same ABI as the CPU
/// path's, its kernels embedded as a cubin for `options.gpu.chip`.
void buildGpuLoweringPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// Registers every dialect and interface the pipelines above create.
void registerPipelineDialects(mlir::DialectRegistry &registry);

} // namespace attnc

#endif // ATTNC_COMPILER_PIPELINE_H

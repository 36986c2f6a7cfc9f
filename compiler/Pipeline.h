//===- Pipeline.h - attnc's pass pipelines ----------------------*- C++ -*-===//
//
// One options struct configures every pipeline; no global flags.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_PIPELINE_H
#define ATTNC_COMPILER_PIPELINE_H

#include "passes/tiling/PackedMatmulKernel.h"
#include "mlir/Pass/PassManager.h"

namespace attnc {

struct PipelineOptions {
  /// Fuse attention into attn.sdpa and infer mask structure.
  bool fuseAttention = true;
  /// Lower attn.sdpa with the FlashAttention-2 loop (else decompose it).
  bool tileAttention = true;
  /// attn-tile-sdpa's blocks for an attn.sdpa without an `attn.tiling`
  /// attribute (compileModel records one on every static-shaped op).
  int64_t qBlock = 64;
  int64_t kvBlock = 64;
  /// What attn-tile-sdpa can run, so the cost model records only that
  /// (it still reports what it would pick). Set vectorKernelAvailable to
  /// true once attn-tile-sdpa has the vector kernel (vector_width > 0), and
  /// kvSplitsAvailable once it has the flash-decoding split (kv_splits > 1).
  bool vectorKernelAvailable = true;
  bool kvSplitsAvailable = true;
  /// Run parallel loops on OpenMP threads (libomp; OMP_NUM_THREADS picks
  /// how many, all cores by default).
  bool threads = true;
  /// Fuse elementwise linalg ops before bufferization (fewer buffers).
  bool fuseElementwise = true;
  /// attn-tile-matmul's kernel (vector width 0: matmuls stay
  /// linalg.generic loops); compileModel sets it from the target
  /// (chooseMatmulKernel).
  mlir::attn::tiling::MatmulKernelShape matmulKernel;
};

/// Graph-level passes on attn IR (canonicalization; fusion passes plug in
/// here). The result is what `attnc compile --emit=mlir` prints.
void buildAttnGraphPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// attn IR (with `func.func @main`) down to the LLVM dialect, with the
/// entry point rewritten to the runtime ABI's destination-passing
/// `attnc_main(inputs..., outputs...)` taking memrefs (expanded by the
/// LLVM calling convention into pointer, offset, sizes and strides).
void buildCpuLoweringPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

/// Registers every dialect and interface the pipelines above create.
void registerPipelineDialects(mlir::DialectRegistry &registry);

} // namespace attnc

#endif // ATTNC_COMPILER_PIPELINE_H

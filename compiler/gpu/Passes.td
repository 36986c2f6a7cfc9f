//===- Passes.td - The CUDA backend's own passes -----------*- tablegen -*-===//
//
// The passes `attnc compile --device=cuda` runs (compiler/gpu/Pipeline.cpp)
// besides the attn graph passes, the CPU entry point and upstream MLIR's GPU
// lowering. One stem in four places, as for the CPU passes: `def
// Gpu<Stem>Pass : Pass<"gpu-<flag>">` here, compiler/gpu/<Stem>.cpp defining
// GEN_PASS_DEF_GPU<STEM>PASS, a test test/compiler/gpu/gpu-<flag>.mlir, and
// registration in attnc-opt (through registerGpuPasses()).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_GPU_PASSES_TD
#define ATTNC_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def GpuLowerSdpaPass : Pass<"gpu-lower-sdpa", "::mlir::func::FuncOp"> {
  let summary = "Lower each attn.sdpa to a FlashAttention kernel launch (gpu.launch)";
  let description = [{
    Every f32 `attn.sdpa` whose dims are static but for its sequence
    lengths, which may be run-time ones with bounds (`attnc.dim_bounds`:
    the plan is made for the bounds, the kernels read the run's lengths),
    becomes one `gpu.launch` over (query block, query head, batch): a block of `q-block`
    threads, one per query row, walks the key range its rows' window allows
    in tiles of `kv-block` keys staged in shared memory, with the online
    softmax of FlashAttention (running maximum and sum per row, the output
    rescaled once per tile). Keys outside every row's `#attn.window` of the
    block are never loaded; keys outside one row's window, or hidden by a
    boolean key or dense mask, score `-inf`; an additive key or dense mask
    is added to the scores (a dense mask broadcast to [B, Hq, S, T], read
    per score: only this fp32 kernel takes one). The query offset (rank 0 or one per batch row: a decode step's
    past length) moves each row's position and with it the window. A row
    that sees no key yields zeros (sdpa.C10). Both layouts (`#attn.layout`)
    and grouped query heads are read in place; with grouped heads a block's
    rows span the whole group of a kv head (query-major: `q-block` / group
    queries of each head), so each K/V tile is staged once per group, not
    once per head (a decode step's cache read once per group).

    The operands are bufferized on the spot (`bufferization.to_buffer`), the
    result is a new buffer (`bufferization.to_tensor`); one-shot
    bufferization handles the rest. An `attn.sdpa` with unbounded run-time
    lengths, another run-time dim or a non-f32 type stays as it is, for
    `attn-decompose-sdpa` (its products and softmax then run as generic
    kernels).

    Split-KV (flash decoding): when the blocks are too few to fill the GPU
    (under 128; a decode step has one per head and batch row), each block's
    key range is split into `kv-splits` parts of whole tiles, each walked
    by a block of its own that writes its unnormalized accumulator, maximum
    and sum to buffers of [splits, B, Hq, S(, Dv)]; a second `gpu.launch`,
    one thread per result element, merges them (each part rescaled by
    exp(its maximum - the largest)).

    With `precision=fp16` or `bf16` (`attnc compile --precision`), an op
    whose head dims are multiples of 16 (query/key) and 8 (value), at most
    128, and that needs no kv splits runs on the tensor cores instead: the
    FlashAttention-2 kernel, a block of 4 warps per 64 query rows, each
    warp 16 rows; k and v rounded to that type once by a kernel before it
    (K as [B, Hkv, T', D], V transposed as [B, Hkv, Dv, T'], T' whole
    tiles of 64, zeros after the last key) and staged in shared memory 64
    keys at a time by 16-byte `nvgpu.device_async_copy`s (cp.async), the
    walk starting at a whole tile; q (scaled) rounded as it is staged; S = Q·Kᵀ and O += P·V as
    `nvgpu.mma.sync` (16 x 8 x 16, f32 accumulators), P fed from the score
    fragments in registers; the row maxima and sums over a row's 4 lanes by
    butterfly `gpu.shuffle`s. The same key tiles are walked and the same
    keys hidden as above; `q-block` and `kv-block` apply to the fp32
    kernel only. Other ops keep the fp32 kernel.

    Decode shapes, where a kv head has at most `decode-rows` query rows
    (queries x its group of query heads; head dims up to 256), take a third
    kernel at any precision: blocks of 4 warps per (kv split, kv head,
    batch row), each warp walking a part of the key range of its own a key
    row at a time, lanes on consecutive columns (coalesced loads, two keys
    in flight), every query row of the group at once (the cache read once
    per group): a dot product per lane and row, a butterfly sum, the online
    softmax with one exponential per score, rows in registers. The parts
    are merged as above; `kv-splits` then counts blocks per kv head (each
    4 parts), by default enough for about 512 blocks while each part keeps
    32 keys.
  }];
  let options = [
    Option<"qBlock", "q-block", "int64_t", /*default=*/"64",
           "Query rows per thread block (one thread each; fewer when the query is "
           "shorter, but at least a warp of 32, which all stage K and V)">,
    Option<"kvBlock", "kv-block", "int64_t", /*default=*/"0",
           "Keys per shared-memory tile (0: as many as 32 KiB of shared memory holds for "
           "K and V, at most 64)">,
    Option<"kvSplits", "kv-splits", "int64_t", /*default=*/"0",
           "Parts each block's key range is split into, merged by a second kernel (0: "
           "enough to make about 128 blocks, each part walking at least 4 tiles; 1: none)">,
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "What the products multiply in: fp32 (the CUDA-core kernel), fp16 or bf16 (the "
           "tensor-core kernel where it applies)">,
    Option<"decodeRows", "decode-rows", "int64_t", /*default=*/"8",
           "Most query rows per kv head (queries x query heads per kv head) for which the "
           "decode kernel runs (0: never)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::nvgpu::NVGPUDialect", "::mlir::vector::VectorDialect"];
}

def GpuLowerNormsPass : Pass<"gpu-lower-norms", "::mlir::func::FuncOp"> {
  let summary = "Lower each attn.layer_norm, attn.rms_norm and attn.softmax to one kernel launch";
  let description = [{
    Every f32 `attn.layer_norm` / `attn.rms_norm` (the normalized row
    static, the rows before it static or run-time dims) whose scale
    (and bias) have the normalized dims' shape, and every such
    `attn.softmax` over its last axis (attention the fused kernel does not
    take), becomes one `gpu.launch`: a warp per row (the dims before `axis`; the
    row is the dims from it), `warps-per-block` rows per block. Each lane
    reads every 32nd element of its row (consecutive lanes, consecutive
    elements); the row's sums come from butterfly `gpu.shuffle`s over the
    warp. LayerNorm takes two passes over the row for its statistics (the
    mean, then the squared deviations from it: no cancellation), RMSNorm
    one; a third writes `(x - mean) / sqrt(var + epsilon) * scale + bias`
    (`x / sqrt(mean(x^2) + epsilon) * scale`). A softmax takes the row's
    maximum (shuffles combining by maximum), then the sum of `exp(x - max)`,
    and writes `exp(x - max) / sum`. A row of at most `held-row` elements
    is read once: each lane keeps its share in registers through the
    passes (a softmax its exponentials, computed once); a longer row stays
    in L1/L2 between them and is read again. The generic path instead runs
    each reduction with one thread per row and the normalization as a
    kernel of its own.

    Operands are bufferized on the spot and the result is a new buffer, as
    in `gpu-lower-sdpa`. Others (run-time dims, other types, scales
    broadcast over part of the row, a softmax over an inner axis) stay for
    `attn-to-linalg`.
  }];
  let options = [
    Option<"warpsPerBlock", "warps-per-block", "int64_t", /*default=*/"4",
           "Rows per thread block, one warp each">,
    Option<"heldRow", "held-row", "int64_t", /*default=*/"1024",
           "Longest row (elements) whose lanes keep their share in registers, read once "
           "(at most 4096; 0: every row read again for each pass)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect"];
}

def GpuFuseElementwisePass : Pass<"gpu-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "linalg elementwise fusion that fuses nothing into a contraction";
  let description = [{
    Upstream's `linalg-fuse-elementwise-ops` (single-use producers fused
    into their consumers, reshapes folded by expansion) with one exception:
    no producer is fused into a contraction's operands. A LayerNorm fused
    into the projection after it would be recomputed for every output
    column and would hide the product from `gpu-lower-contractions`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::affine::AffineDialect"];
}

def GpuCastWeightsPass : Pass<"gpu-cast-weights", "::mlir::func::FuncOp"> {
  let summary = "Store contractions' constant operands (the weights) in fp16 or bf16";
  let description = [{
    With `precision` fp16 or bf16 (`attnc compile --precision`), every f32
    constant read by a contraction `linalg.generic` on tensors (body `out +
    a * b`: a projection's weight, the unembedding) is replaced by a
    constant of that type, its values rounded to nearest even at compile
    time (fp16: overflow to infinity, subnormals kept), and the body
    extends it back to f32 (`arith.extf`) where it read it: the products
    still accumulate in fp32 and the activations stay fp32, while the
    weights take half the memory and bandwidth. A constant read by several
    contractions is converted once; other users keep the f32 one, and an
    f32 constant nothing reads any more is erased (with the effect-free
    ops it was read through), so the executable does not carry it too.
    With fp32 (the default) the pass changes nothing.

    ```mlir
    %w = arith.constant dense<...> : tensor<48x96xf32>
    linalg.generic ... ins(%x, %w : tensor<8x48xf32>, tensor<48x96xf32>) ... {
    ^bb0(%a: f32, %b: f32, %o: f32):
    ```
    becomes
    ```mlir
    %w16 = arith.constant dense_resource<weight_fp16> : tensor<48x96xf16>
    linalg.generic ... ins(%x, %w16 : tensor<8x48xf32>, tensor<48x96xf16>) ... {
    ^bb0(%a: f32, %b: f16, %o: f32):
      %bf = arith.extf %b : f16 to f32
    ```
  }];
  let options = [
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "How the weights are stored: fp32 (unchanged), fp16 or bf16">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect"];
}

def GpuLowerContractionsPass : Pass<"gpu-lower-contractions", "::mlir::func::FuncOp"> {
  let summary = "Lower each f32 contraction on buffers to a shared-memory tiled kernel";
  let description = [{
    After bufferization, every `linalg.generic` that is a contraction with
    one m, one n and one k dim (any batch dims), f32 operands, the body
    `out + a * b` (a projection, the tied unembedding, a batched product,
    an unfused attention's products) becomes one `gpu.launch`; run-time
    dims (`--max-shape`: a prompt's rows) are read before the launch and
    size its grid and edges. A block per `tile-m` x `tile-n` output tile (batch dims
    along the grid's z), `(tile-m / 4) x (tile-n / 4)` threads each
    accumulating a 4 x 4 micro-tile, the k range in slices of `tile-k`
    whose A and B tiles the block stages in shared memory (zeros past the
    edges) between two barriers. The accumulators start at the output's
    values, as the contraction adds to them; when the op just before fills
    that output (a `linalg.fill`, or a parallel `linalg.generic` that
    writes it whole without reading it, as a bias broadcast does, with only
    effect-free ops such as views between), it is folded in: each thread
    computes those values for its outputs, so the fill is no kernel of its
    own and the output is written once. Likewise the parallel
    `linalg.generic` just after that reads the sums at the same elements
    into a buffer of its own (a residual add, an activation) is folded into
    the stores, when the sums are in an allocation nothing reads afterwards
    (freed, or written whole, before any read): the kernel then takes its
    place and stores its values. Operands are read through the op's
    indexing maps (transposed or broadcast operands in place). Other
    contractions stay for `gpu-loops-to-kernels`.

    A contraction with an fp16 or bf16 input (a weight `gpu-cast-weights`
    stored narrow) runs on the tensor cores instead, unless
    `tensor-cores=false`: a block of 4 warps per 64 x 64 output tile, each
    warp 2 x 4 `nvgpu.mma.sync` tiles of 16 x 8 x 16 with f32 accumulators,
    k staged in slices of 32 in that type (an f32 operand rounded to it),
    fragments loaded from shared memory by `nvgpu.ldmatrix`. The
    tile options apply to the f32 kernel only.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"64", "Output rows per block">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"64", "Output columns per block">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"16", "The k slice staged at a time">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"true",
           "Products with an fp16/bf16 input on mma.sync (false: the f32 kernel, inputs extended)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::nvgpu::NVGPUDialect",
                           "::mlir::vector::VectorDialect"];
}

def GpuLoopsToKernelsPass : Pass<"gpu-loops-to-kernels", "::mlir::func::FuncOp"> {
  let summary = "Run each top-level scf.parallel as a kernel, one GPU thread per iteration";
  let description = [{
    Every op the CUDA backend has no kernel of its own for (elementwise
    chains, norms, reductions, matmuls, copies, gathers) reaches this pass
    as an `scf.parallel` nest (`convert-linalg-to-parallel-loops`): its
    parallel iterations, linearized, become the threads of a `gpu.launch`
    (`threads` per block, as many blocks as it takes); each thread
    recovers its indices and runs the body, reductions included as the
    sequential loops they are. No dimension limits apply (the grid is
    one-dimensional), and an empty iteration space launches nothing.

    These are generic kernels, correct for every model the CPU path runs
    but far from the GPU's speed (no tiling, no shared memory, no tensor
    cores); specialized kernels replace them op by op.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"256", "Threads per block">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def GpuLowerBf16MmaPass : Pass<"gpu-lower-bf16-mma", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Lower bf16 nvgpu.mma.sync to nvvm.mma.sync (upstream lowers f16 only)";
  let description = [{
    In a kernel module, before `convert-nvgpu-to-nvvm`: each
    `nvgpu.mma.sync` of shape 16 x 8 x 16 with bf16 A and B fragments and
    f32 accumulators becomes `nvvm.mma.sync` with bf16 multiplicands (the
    `mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32` instruction,
    sm_80 and later): each fragment row of two bf16 values is one 32-bit
    register, the accumulators four f32 values, in the same lane layout as
    the f16 form. Upstream's conversion rejects bf16 operands.
  }];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect", "::mlir::LLVM::LLVMDialect",
                           "::mlir::vector::VectorDialect"];
}

def GpuAlignSharedPass : Pass<"gpu-align-shared", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Align every kernel's shared-memory buffers (16 bytes by default)";
  let description = [{
    In a kernel module, before `convert-gpu-to-nvvm`: every workgroup
    attribution of every `gpu.func` gets `llvm.align = alignment` (unless
    it already asks for at least that), which the NVVM lowering gives the
    buffer's `.shared` variable. `ldmatrix` reads 16-byte rows, and 128-bit
    vector accesses (the attention kernel's staging) move 16 bytes: their
    shared addresses must be 16-byte aligned, while the lowering otherwise
    aligns a buffer only to its element type (2 bytes for f16), so whether
    a row is aligned would depend on where ptxas places the buffer.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"16",
           "Bytes each shared buffer is aligned to (a power of two)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def GpuDeviceBuffersPass : Pass<"gpu-device-buffers", "::mlir::func::FuncOp"> {
  let summary = "Give every buffer a kernel reads or writes a device copy";
  let description = [{
    After bufferization: a `memref.alloc` that a `gpu.launch` uses becomes
    a `gpu.alloc` (device memory, of the allocation's run-time extents),
    its `memref.dealloc` a `gpu.dealloc`, and a host `memref.copy` from or
    into it a `gpu.memcpy`. A function argument (the caller's input or
    output buffer, host memory) that a kernel uses gets a device buffer,
    filled at the function's start when a kernel reads it and copied back
    at its end when one writes it (run-time dims: the argument's extents;
    a caller's view of a larger row-major buffer, such as a KV cache kept
    in place at its capacity, gets a copy of that whole buffer and the
    kernels the same view of it). A buffer the host fills by
    `memref.store` before any other use (a run-time scalar made a tensor: a
    Range's start) stays the host's for those stores and is copied to a
    device buffer after the last of them; the host buffer is left to
    `gpu-free-host-buffers`, which runs after this pass. A global a kernel
    reads (a weight) gets its device copy from the runtime
    (`attnc_cuda_constant`, uploaded on first use and kept while the model
    is loaded), not freed by the function. A loop nest or linalg op left outside the kernels is an error:
    it would run on the host unasked. A host operation that would touch a
    device buffer in any other way, a host store into a kernel's buffer
    inside a region or after a kernel used it, or a kernel's buffer with a
    non-identity layout, is an error naming the operation.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::LLVM::LLVMDialect", "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

def GpuFreeHostBuffersPass : Pass<"gpu-free-host-buffers", "::mlir::func::FuncOp"> {
  let summary = "Free the entry block's host allocations before each return";
  let description = [{
    The CUDA pipeline bufferizes without upstream's ownership-based
    deallocation, which rejects kernel bodies (`gpu.barrier` declares no
    memory effects); on a GPU, `gpu-device-buffers` frees every device
    buffer at the return. Where the kernels are emulated the buffers stay
    host allocations, and on a GPU a few do (after `gpu-device-buffers`: an
    allocation whose run-time shape alone the kernels' sizes read, a
    host-filled scalar): each `memref.alloc` of the function's entry block
    that is neither returned (nor viewed by a returned value) nor already
    freed gets a `memref.dealloc` before every return.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def GpuEmulateLaunchesPass : Pass<"gpu-emulate-launches", "::mlir::func::FuncOp"> {
  let summary = "Run each gpu.launch on CPU threads (tests the kernels without a GPU)";
  let description = [{
    For `attnc compile --device=cuda-emulated`: each `gpu.launch` becomes a
    loop over its grid's blocks, each block an OpenMP team (`omp.parallel`)
    of one CPU thread per GPU thread, so that `gpu.barrier` is an
    `omp.barrier` with the same meaning. A block's workgroup (shared)
    buffers are allocated once per block outside the team; private buffers
    on each thread's stack. The kernel body is the one the CUDA path
    compiles, so its index math, masks and softmax run, slowly, where no GPU
    is; what only the GPU does (NVVM's instructions, its memory model) is
    not covered. Warp-wide ops become exchanges through per-warp shared
    scratch between two barriers: `nvgpu.mma.sync` (m16n8k16): each lane
    stores its A and B fragment elements where the mma.sync layout puts
    them, then sums its C elements in f32; xor `gpu.shuffle`: each lane
    stores its value and reads its partner's; `nvgpu.ldmatrix`: each lane
    stores the row it names and loads its elements from the rows that
    lanes 8 i + lane / 4 named. An asynchronous copy
    (`nvgpu.device_async_copy`, cp.async) copies its elements in place;
    its groups and waits vanish.
  }];
  let dependentDialects = ["::mlir::omp::OpenMPDialect", "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect", "::mlir::nvgpu::NVGPUDialect"];
}

#endif // ATTNC_GPU_PASSES_TD

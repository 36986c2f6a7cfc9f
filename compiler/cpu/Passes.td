//===- Passes.td - The CPU backend's own passes ------------*- tablegen -*-===//
//
// The passes the CPU lowering pipeline (compiler/cpu/Pipeline.cpp) runs
// besides the attn passes (passes/Passes.td) and upstream MLIR's: the
// model entry ABI, the per-task stack buffers, and the math and copy
// rewrites that keep compiled code free of library calls. One stem in four
// places, as for the attn passes: `def Cpu<Stem>Pass : Pass<"cpu-<flag>">`
// here, compiler/cpu/<Stem>.cpp defining GEN_PASS_DEF_CPU<STEM>PASS, a test
// test/compiler/cpu/cpu-<flag>.mlir, and registration in attnc-opt (through
// registerCpuPasses()).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CPU_PASSES_TD
#define ATTNC_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def CpuApproximateMathPass : Pass<"cpu-approximate-math", "::mlir::func::FuncOp"> {
  let summary = "Evaluate f32 exp, expm1, log, log1p, tanh and erf as polynomials";
  let description = [{
    Rewrites f32 `math.exp`, `expm1`, `log`, `log1p`, `tanh` and `erf`
    (scalar or vector) into polynomials in arith ops, instead of one libm
    call per element, so that LLVM vectorizes the loops around them (GELU's
    tanh or erf, softmax's exp): MLIR's approximations, except erf, which
    becomes one rational x·P(x²)/Q(x²) on x clamped to ±3.92 (17 vector
    ops where MLIR's piecewise form takes 37; absolute error 3.5e-7,
    coefficients from compiler/cpu/fit_erf.py). `math.powf` by a small
    constant exponent becomes multiplications. Other math ops stay.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect"];
}

def CpuChooseTilingsPass : Pass<"cpu-choose-tilings", "::mlir::ModuleOp"> {
  let summary = "Decide how each attn.sdpa and matmul is tiled for the target, as typed attributes";
  let description = [{
    The one place where the CPU backend's lowering decisions are made. From
    the target's description (vector registers, FMA units, caches, cores:
    `triple` and `cpu`, the host's by default) the tiling cost model picks,
    for every static-shaped `attn.sdpa`, its FlashAttention-2 blocks,
    kernel, register tile and kv splits, recorded as its `attn.tiling =
    #attn.sdpa_tiling<...>` (an op that already has one keeps it, unless
    `q-block`, `kv-block` or `attention-kernel` say otherwise); an op the
    model runs unfused is decomposed into graph ops here. Every f32
    `attn.linear` and `attn.matmul` gets the matmul kernel for the target
    as its `attn.tiling = #attn.matmul_tiling<...>` (none when the target
    has no vector FMA the kernel uses). `attn-tile-sdpa` and
    `attn-tile-matmul` then read the attributes, so
    `--mlir-print-ir-after=cpu-choose-tilings` shows every decision.

    ```mlir
    %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, mask = #attn.window<left = inf, right = 0>,
        attn.tiling = #attn.sdpa_tiling<q_block = 32, kv_block = 64, vector_width = 16,
                                        register_rows = 8, avx512 = true>} : ...
    %y = attn.matmul %x, %w {attn.tiling = #attn.matmul_tiling<vector_width = 16,
        register_rows = 8, register_column_vectors = 3, k_block = 1024, tasks = 4>} : ...
    ```
  }];
  let options = [
    Option<"triple", "triple", "std::string", /*default=*/"\"\"",
           "Target triple (empty: the host's)">,
    Option<"cpu", "cpu", "std::string", /*default=*/"\"\"",
           "Target CPU (empty or native: the host's)">,
    Option<"attentionKernel", "attention-kernel", "std::string", /*default=*/"\"auto\"",
           "attn.sdpa's kernel: auto (the cost model's), vector or portable">,
    Option<"qBlock", "q-block", "int64_t", /*default=*/"0",
           "Query block of every attn.sdpa (0: the cost model's)">,
    Option<"kvBlock", "kv-block", "int64_t", /*default=*/"0",
           "Key/value block of every attn.sdpa (0: the cost model's)">,
    Option<"tileAttention", "tile-attention", "bool", /*default=*/"true",
           "Tile attn.sdpa (false: leave every attn.sdpa to attn-decompose-sdpa)">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def CpuCopyToLinalgPass : Pass<"cpu-copy-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Rewrite memref.copy into linalg.copy";
  let description = [{
    `memref.copy` between strided views lowers to a call into MLIR's runner
    library, which compiled models do not link; as a `linalg.copy` it
    becomes loops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def CpuReductionLoopsPass : Pass<"cpu-reduction-loops", "::mlir::func::FuncOp"> {
  let summary = "Lower row reductions to loops that carry their accumulator, reassociable";
  let description = [{
    A `linalg.generic` on buffers whose loops are all parallel but the
    innermost, a reduction into its one output (a LayerNorm's mean or
    variance, an RMSNorm's mean square, a softmax's sum outside attention),
    becomes an `scf.for` nest whose innermost loop carries the accumulator
    as a value: loaded once, stored once, instead of through memory on
    every element as `convert-linalg-to-loops` lowers it. The float ops
    that combine the accumulator get `fastmath<reassoc>`, so LLVM may
    vectorize the sum (lanes summed apart, then together: the result may
    differ from the sequential sum by float rounding). Other linalg ops stay
    for `convert-linalg-to-loops`.

    ```mlir
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                    iterator_types = ["parallel", "reduction"]}
        ins(%x : memref<8x768xf32>) outs(%sum : memref<8xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %acc, %in : f32
      linalg.yield %s : f32
    }
    ```
    becomes
    ```mlir
    scf.for %i = %c0 to %c8 step %c1 {
      %start = memref.load %sum[%i] : memref<8xf32>
      %total = scf.for %k = %c0 to %c768 step %c1 iter_args(%acc = %start) -> (f32) {
        %in = memref.load %x[%i, %k] : memref<8x768xf32>
        %s = arith.addf %acc, %in fastmath<reassoc> : f32
        scf.yield %s : f32
      }
      memref.store %total, %sum[%i] : memref<8xf32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def CpuEntryPointPass : Pass<"cpu-entry-point", "::mlir::ModuleOp"> {
  let summary = "Turn func.func @main into the runtime ABI's destination-passing attnc_main";
  let description = [{
    Rewrites `@main` (tensors in, tensors out) into `@attnc_main`, which
    takes every non-empty input and then every non-empty output as a memref
    and writes the results into the caller's output buffers: each input
    becomes a `bufferization.to_tensor restrict` of its argument, each
    result a `bufferization.materialize_in_destination` into a new output
    argument. Zero-element inputs and outputs carry no data and get no
    parameter. A KV cache kept in place (a returned `attn.kv_append` of an
    argument, from attn-kv-cache-in-place) changes the ABI: the argument
    is the cached positions of a caller buffer with room for the capacity
    (a strided memref), the append becomes a `tensor.insert_slice` of the
    new rows into that whole buffer after them, materialized back into it,
    the cache is read as its first positions, and the present is no
    output. Runs on tensor IR, before bufferization; a module without
    `@main` is an error.
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect", "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def CpuFreeAfterLastUsePass : Pass<"cpu-free-after-last-use", "::mlir::func::FuncOp"> {
  let summary = "Move each memref.dealloc up to just after the buffer's last use";
  let description = [{
    After buffer deallocation, which frees each buffer at the end of the
    block that allocated it: a `memref.dealloc` of a `memref.alloc` in the
    same block moves up to just after the last op of that block that uses
    the buffer or any view of it (uses inside a loop or a branch count as
    the loop's or branch's). Buffers with run-time dims are not in the
    planned workspace, and freed at the end of the function they were all
    live at once (GPT-2 small's prefill of 1024 tokens: 779 MB against the
    static plan's 209 MB); freed after their last use, later ones reuse
    their blocks. A buffer with a use the analysis cannot place keeps its
    dealloc where it is.

    ```mlir
    %a = memref.alloc(%n) : memref<?xf32>       %a = memref.alloc(%n) : memref<?xf32>
    "use"(%a) : (memref<?xf32>) -> ()           "use"(%a) : (memref<?xf32>) -> ()
    "other"() : () -> ()                  ->    memref.dealloc %a : memref<?xf32>
    memref.dealloc %a : memref<?xf32>           "other"() : () -> ()
    ```
  }];
}

def CpuLowerAllocaScopesPass : Pass<"cpu-lower-alloca-scopes", "::mlir::ModuleOp"> {
  let summary = "Inline memref.alloca_scope, saving and restoring the stack around allocas";
  let description = [{
    After convert-scf-to-openmp, which wraps each parallel body in
    `memref.alloca_scope`: a scope without allocas is inlined; one with
    allocas becomes `llvm.intr.stacksave` / `stackrestore` around its
    inlined body, so each task's stack buffers are released at its end. (A
    scope's region must stay one block, and the loops inside become
    several.)
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def CpuOutlineKernelsPass : Pass<"cpu-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Move each loop nest of a function into a function of its own, one per distinct kernel";
  let description = [{
    After bufferization and memory planning the entry function holds every
    kernel of the model inline, and a 12-layer model holds each of its
    layer's loop nests 12 times: LLVM then optimizes and generates code
    for every copy, which was most of `attnc compile`'s time. This pass
    moves each op directly in a public function's body that has regions
    and no results (an `scf.parallel` or `scf.forall` loop nest, a
    `linalg` op on memrefs) into a private function, and calls it there.

    The new function takes as arguments the values the op uses from
    outside it, in order of first use, except constants, which are cloned
    into it so that loop bounds stay static. Each argument keeps its type
    (the memory plan's views of the workspace have the same type in every
    layer). Functions with the same body are then merged: each distinct
    kernel is compiled once and called wherever it occurs.

    ```mlir
    // before                                  // after
    scf.parallel (%i) = (%c0) to (%c4) ...    call @kernel0(%view, %w)
    ...                                        call @kernel0(%view_7, %w_1)
    scf.parallel (%i) = (%c0) to (%c4) ...    func.func private @kernel0(...)
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect"];
}

def CpuReuseDestinationsPass : Pass<"cpu-reuse-destinations", "::mlir::func::FuncOp"> {
  let summary = "Compute inserted and returned values in their destination's buffer";
  let description = [{
    Before bufferization: when a value is inserted into a larger tensor
    (`tensor.insert_slice`: a concat's part, a KV cache's new rows) or
    materialized into a caller's output buffer
    (`bufferization.materialize_in_destination` into a `restrict writable`
    memref argument), and the ops computing it write into a `tensor.empty`
    through their tied inits (linalg ops, vector writes, `insert_slice`,
    `scf.forall` and `scf.for` outputs), that `tensor.empty` operand
    becomes the destination's slice (or a `to_tensor restrict writable` of
    the output argument), so that bufferization computes the value in
    place instead of copying it. Where the destination (or an offset) is
    defined after the computation starts, the pure ops that define it are
    moved up to just before it, if their operands allow. Always valid: an
    empty tensor's contents are undefined. Empty tensors left unused go.
    Replaces upstream's empty-tensor elimination, whose whole-function
    alias analysis cost as much as bufferization.
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect", "::mlir::tensor::TensorDialect"
  ];
}

def CpuStackTaskBuffersPass : Pass<"cpu-stack-task-buffers", "::mlir::ModuleOp"> {
  let summary = "Put each parallel task's small buffers on its stack";
  let description = [{
    After bufferization, before buffer deallocation: each static
    `memref.alloc` directly in an `scf.forall` body becomes a
    `memref.alloca` when it is at most 64 KiB and the body's stack buffers
    stay within 256 KiB (OpenMP worker threads have a few MiB of stack).
    A tiled attention task allocates its tiles once per task; from the
    heap each costs a malloc and a free (2-3 % of a 256-key window's time
    at S = 8192). Only for OpenMP, whose lowering scopes each task's stack
    (a sequential loop would grow the stack by every iteration's buffers).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

#endif // ATTNC_CPU_PASSES_TD

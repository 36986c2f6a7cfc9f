//===- Passes.td - attn passes -----------------------------*- tablegen -*-===//
//
// Every attn pass is declared here; the name stem is shared by the flag, the
// def, the implementation file and the test (CONTRIBUTING.md, "(c) A pass"),
// and test/passes/check_pass_layout.py enforces it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PASSES_TD
#define ATTN_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnAbsorbHeadLayoutPass : Pass<"attn-absorb-head-layout", "::mlir::func::FuncOp"> {
  let summary = "Fold the multi-head Transposes around attn.sdpa into its layout";
  let description = [{
    An exported graph holds q, k, v and the attention output as
    [B, S, H, D] and Transposes them ([0, 2, 1, 3]) to and from the
    head-major [B, H, S, D] that attention computes on: four full copies
    per layer. This pass drops each such Transpose that only the sdpa reads
    (and the one that only reads the sdpa's result) and records the
    tensor as sequence-major in the op's `#attn.layout` (sdpa.C11); the
    kernels then index the tensor in place. A Transpose with other uses
    stays, and the op reads its result as before.

    Heads folded into the batch (3-D `[B·H, S, D]` matmuls) fuse into an
    sdpa over `[B·H, 1, L, D]` Reshapes of `[B, H, L, D]` tensors, or, as
    torch's `nn.MultiheadAttention` writes them, of `[L, B, H·D]`
    projections reshaped to `[L, B·H, D]` and transposed; the pass first
    unfolds them, so the op has its real H heads (and, in the first form,
    the Transposes that built those tensors can fold too). It does not when
    a key mask or offset differs per folded batch row.

    Before:
    ```mlir
    %qt = attn.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
    %o = attn.sdpa %qt, %k, %v {scale = 0.25 : f32} : (...) -> tensor<1x4x8x16xf32>
    %ot = attn.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x4x8x16xf32> -> tensor<1x8x4x16xf32>
    ```
    After:
    ```mlir
    %ot = attn.sdpa %q, %k, %v {layout = #attn.layout<query = bshd, result = bshd>, scale = 0.25 : f32}
        : (tensor<1x8x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x8x4x16xf32>
    ```
  }];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Report, as a remark at each op, why each of the pass's patterns does not match it">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnDecomposeSdpaPass : Pass<"attn-decompose-sdpa", "::mlir::func::FuncOp"> {
  let summary = "Rewrite attn.sdpa into graph ops (the reference semantics)";
  let description = [{
    Expands every `attn.sdpa` into the unfused graph it stands for: key/value
    heads broadcast to the query heads, `q @ kᵀ * scale`, the dense additive
    mask added, every boolean visibility condition (window, key mask, boolean
    dense mask) applied as `where(visible, s, -inf)`, softmax on the key axis,
    rows without a visible key zeroed, then `@ v`. It is the fallback for
    backends that cannot run an sdpa and the reference in tests.

    Before:
    ```mlir
    %o = attn.sdpa %q, %k, %v {mask = #attn.window<left = inf, right = 0>, scale = 0.125 : f32}
        : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
    ```
    After (abridged):
    ```mlir
    %kt = attn.transpose %k {permutation = array<i64: 0, 1, 3, 2>} ...
    %s = attn.matmul %q, %kt ...
    %scaled = attn.mul %s, %scale ...
    %visible = attn.and %lower, %upper ...  // from iota(S), iota(T), offset
    %masked = attn.where %visible, %scaled, %neg_inf ...
    %p = attn.softmax %masked {axis = 3 : i64} ...
    %o = attn.matmul %p0, %v ...
    ```
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnFuseSdpaPass : Pass<"attn-fuse-sdpa", "::mlir::func::FuncOp"> {
  let summary = "Fuse exported attention (QKᵀ, scale, masks, softmax, ·V) into attn.sdpa";
  let description = [{
    Starting from each `attn.softmax` over the last axis, walks back through
    the masks (Add, Sub, Where with a -inf / finfo.min / <= -1e9 fill) and
    scales (positive constant Mul/Div, on the scores, on q or on k) to a
    `q @ kᵀ` matmul, and forward to `@ v`. Softmax written out
    (ReduceMax/Sub/Exp/ReduceSum/Div or × Reciprocal) is raised to
    `attn.softmax` first. Heads folded into the batch ([B·H, S, D]) and k/v
    shared through matmul broadcasting (multi-query) are absorbed without
    copies; `repeat_kv` (Reshape/Expand/Reshape) is folded into Hkv < Hq.
    All masks become one additive `dense_mask` (a boolean mask `c` as
    `where(c, 0, -inf)`), which is exact; `attn-infer-masks` proves
    structure afterwards. A site whose probabilities have other uses is not
    fused. Each failure's reason is what `attnc report` prints.

    Before:
    ```mlir
    %s = attn.matmul %q, %kt : ...
    %d = attn.div %s, %c8 : ...
    %m = attn.where %causal, %d, %neg_inf : ...
    %p = attn.softmax %m {axis = 3 : i64} : ...
    %o = attn.matmul %p, %v : ...
    ```
    After:
    ```mlir
    %k = attn.transpose %kt {permutation = array<i64: 0, 1, 3, 2>} : ...
    %bias = attn.where %causal, %zero, %neg_inf : ...
    %o = attn.sdpa %q, %k, %v dense_mask(%bias) {scale = 1.250000e-01 : f32} : ...
    ```
  }];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Report, as a remark at each op, why each of the pass's patterns does not match it">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnInferMasksPass : Pass<"attn-infer-masks", "::mlir::func::FuncOp"> {
  let summary = "Prove attention mask structure and move it into attn.sdpa";
  let description = [{
    For each `attn.sdpa` whose dense mask is a constant with entries 0
    (visible) and -inf or <= -1e4 (hidden): if the visible entries are
    exactly a band around the diagonal (top-left or bottom-right aligned),
    the mask becomes `#attn.window<left = L, right = R>` (plus an `offset`
    of T - S when bottom-right aligned); if they are a band ANDed with a
    per-batch-row key mask, that becomes the `key_mask` operand. Near misses
    (a band off by one, one stray entry), masks that differ per head,
    general biases, and masks with a query row that sees no key (whose
    result depends on the graph's fill value) stay dense.

    Before:
    ```mlir
    %bias = attn.constant dense<[[0.0, 0xFF800000], [0.0, 0.0]]> : tensor<2x2xf32>
    %o = attn.sdpa %q, %k, %v dense_mask(%bias) {scale = 1.0 : f32} : ...
    ```
    After:
    ```mlir
    %o = attn.sdpa %q, %k, %v {mask = #attn.window<left = inf, right = 0>, scale = 1.0 : f32} : ...
    ```
  }];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Report, as a remark at each op, why each of the pass's patterns does not match it">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnFuseGeluPass : Pass<"attn-fuse-gelu", "::mlir::func::FuncOp"> {
  let summary = "Recognize exported GELU decompositions as attn.gelu";
  let description = [{
    Exporters write GELU as elementwise arithmetic. This pass replaces
    `x * 0.5 * (1 + erf(x / sqrt(2)))` (or `erf(x * 0.7071...)`) by
    `attn.gelu %x` and `x * 0.5 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 *
    x^3)))` (with `Pow(x, 3)` or `x * x * x`) by `attn.gelu %x approximate
    = tanh`, in every association order of the products: the factors of a
    tree of `attn.mul` ops whose inner values have no other use are
    matched as a set. Constants match within a relative 1e-4 (exporters
    round them to float); the intermediate values (the erf or tanh, the
    sum with 1) must have no other use, so nothing is computed twice.
    An `attn.gelu` (recognized or imported) of an `attn.reshape` that has
    no other use moves above it (`gelu(reshape(y))` becomes
    `reshape(gelu(y))`: GPT-2's Conv1D reshapes its 2-D product back to
    3-D before the activation). Then `attn-tile-matmul` can apply the
    activation in the epilogue of the projection that feeds it.

    Before:
    ```mlir
    %s = attn.div %x, %sqrt2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
    %e = attn.erf %s : tensor<2x8xf32>
    %p = attn.add %e, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
    %m = attn.mul %x, %p : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
    %y = attn.mul %m, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
    ```
    After:
    ```mlir
    %y = attn.gelu %x : tensor<2x8xf32>
    ```
  }];
}

def AttnFuseNormsPass : Pass<"attn-fuse-norms", "::mlir::func::FuncOp"> {
  let summary = "Recognize exported LayerNorm and RMSNorm decompositions as attn norms";
  let description = [{
    Before LayerNormalization-17, torch exports nn.LayerNorm as
    `(x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) * scale + bias`
    (the square as `Pow(d, 2)` or `d * d`), and LLaMA-style RMSNorm as
    `x * (1 / sqrt(mean(x^2) + eps)) * scale` (or `x / sqrt(...)`). This
    pass replaces them by `attn.layer_norm` / `attn.rms_norm`, one op per
    norm, which the CUDA backend runs as one kernel (`gpu-lower-norms`).
    The means must reduce the trailing dims with kept dims, epsilon must
    be a scalar constant, the scale and bias must have the normalized dims'
    shape, and every intermediate value must be used only inside the norm
    (nothing is computed twice). Products commute (`scale * n` or
    `n * scale`); a LayerNorm without a bias after its scale keeps none.

    Before:
    ```mlir
    %m = attn.reduce_mean %x {axes = array<i64: 2>} : tensor<2x8x32xf32> -> tensor<2x8x1xf32>
    %d = attn.sub %x, %m : (tensor<2x8x32xf32>, tensor<2x8x1xf32>) -> tensor<2x8x32xf32>
    %p = attn.pow %d, %two : (tensor<2x8x32xf32>, tensor<f32>) -> tensor<2x8x32xf32>
    %v = attn.reduce_mean %p {axes = array<i64: 2>} : tensor<2x8x32xf32> -> tensor<2x8x1xf32>
    %e = attn.add %v, %eps : (tensor<2x8x1xf32>, tensor<f32>) -> tensor<2x8x1xf32>
    %s = attn.sqrt %e : tensor<2x8x1xf32>
    %n = attn.div %d, %s : (tensor<2x8x32xf32>, tensor<2x8x1xf32>) -> tensor<2x8x32xf32>
    %g = attn.mul %n, %scale : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
    %y = attn.add %g, %bias : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
    ```
    After:
    ```mlir
    %y = attn.layer_norm %x, %scale, %bias {axis = 2 : i64, epsilon = 9.99999996E-13 : f32}
        : (tensor<2x8x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
    ```
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnKvCacheInPlacePass : Pass<"attn-kv-cache-in-place", "::mlir::func::FuncOp"> {
  let summary = "Keep each KV cache in its caller's buffer and append a step's rows in place";
  let description = [{
    A decoder exported with a cache takes each layer's `past` key or value
    as an input and returns `present = Concat(past, new)` along the
    sequence axis: every step copies the whole cache into a fresh present.
    This pass turns each such pair into a stateful cache: the concat
    becomes `attn.kv_append` with the given `capacity`, and the CPU entry
    point then takes the past argument as a buffer with room for
    `capacity` positions, writes the step's rows after the cached ones and
    lets attention read the cache there. The present stays a result of the
    function until the entry point drops it from the model's signature
    (the manifest declares the input a `cache` instead).

    A pair qualifies when the returned value is a concat of a function
    argument (first) and the step's rows, along a run-time dim of the
    argument, whose other dims are static, and the argument is read for
    nothing else than its shape (`tensor.dim`). Others stay copies, with a
    remark under `explain`.

    Rings (`rings`, on by default): when every cache is read only by
    attention with a window bounded on the left (`#attn.window<left = L,
    ...>`, no key or dense mask: a sliding-window model), a run's queries
    need at most the last `L + rows` positions, rows being the bound of a
    run's new positions. If a ring of that many slots takes less memory
    than the capacity (its buffer holds each position twice: 2 x slots),
    every append gets `ring = slots` and each attention reads its key and
    value through `attn.kv_window` (the last `slots` positions), its query
    offset less the position of the first of them. The model then serves
    `capacity` positions in O(window) memory.

    Before:
    ```mlir
    %present = attn.concat %past, %new {axis = 2 : i64}
        : (tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
    return %logits, %present : ...
    ```
    After:
    ```mlir
    %present = attn.kv_append %past, %new {axis = 2 : i64, capacity = 2048 : i64}
        : (tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
    return %logits, %present : ...
    ```
  }];
  let options = [
    Option<"capacity", "capacity", "int64_t", /*default=*/"0",
           "Positions each cache buffer holds (required, at least 1)">,
    Option<"rings", "rings", "bool", /*default=*/"true",
           "Keep sliding-window caches as rings of the window's positions when that takes "
           "less memory">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Report, as a remark at each returned concat of an argument, why it stays a copy "
           "(and at each append, why it gets no ring)">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnMergeProjectionsPass : Pass<"attn-merge-projections", "::mlir::func::FuncOp"> {
  let summary = "Merge products of one input by constant weights into one wider product";
  let description = [{
    Attention projects the same hidden states for q, k and v, and a gated
    feed-forward (SwiGLU) for gate and up, each with its own constant
    weight. This pass concatenates such weights along their output columns
    (and their biases likewise), computes one product, and replaces each
    projection by a slice of the result's last dim. The input is then read
    and the weights stream once, one parallel loop runs instead of several,
    and the wider product splits better over threads.

    It merges every `attn.matmul` whose right operand is a constant 2-D
    float matrix, with the `attn.add` of a constant [N] bias when that is
    the product's only use (nn.Linear on 3-D activations, as torch exports
    it), and every `attn.linear` with a constant weight (and bias). Only
    projections of the same form merge: the same op, `transpose_weight`,
    element type, K, and bias presence; the merged weight is a new
    `dense_resource` blob (`merged_weight`, `merged_bias`).

    Before:
    ```mlir
    %q0 = attn.matmul %x, %wq : (tensor<1x8x64xf32>, tensor<64x64xf32>) -> tensor<1x8x64xf32>
    %q = attn.add %q0, %bq : (tensor<1x8x64xf32>, tensor<64xf32>) -> tensor<1x8x64xf32>
    %k0 = attn.matmul %x, %wk : (tensor<1x8x64xf32>, tensor<64x16xf32>) -> tensor<1x8x16xf32>
    %k = attn.add %k0, %bk : (tensor<1x8x16xf32>, tensor<16xf32>) -> tensor<1x8x16xf32>
    ```
    After:
    ```mlir
    %w = attn.constant dense_resource<merged_weight> : tensor<64x80xf32>
    %b = attn.constant dense_resource<merged_bias> : tensor<80xf32>
    %y0 = attn.matmul %x, %w : (tensor<1x8x64xf32>, tensor<64x80xf32>) -> tensor<1x8x80xf32>
    %y = attn.add %y0, %b : (tensor<1x8x80xf32>, tensor<80xf32>) -> tensor<1x8x80xf32>
    %q = attn.slice %y {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 8, 64>,
                        strides = array<i64: 1, 1, 1>} : tensor<1x8x80xf32> -> tensor<1x8x64xf32>
    %k = attn.slice %y {offsets = array<i64: 0, 0, 64>, sizes = array<i64: 1, 8, 16>,
                        strides = array<i64: 1, 1, 1>} : tensor<1x8x80xf32> -> tensor<1x8x16xf32>
    ```
  }];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Report, as a remark at each op, why each of the pass's patterns does not match it">,
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnParallelizeLinalgPass : Pass<"attn-parallelize-linalg", "::mlir::func::FuncOp"> {
  let summary = "Tile large linalg ops along their leading parallel loops into scf.forall tasks";
  let description = [{
    Every linalg op (on tensors, static shapes) directly in the function
    whose iteration space holds at least `min-elements` points is tiled
    into about `work / task-elements` tasks, at most `max-tasks`, along
    its leading parallel loops (outermost first; never the innermost loop,
    which each task keeps whole so that it vectorizes). The CPU pipeline
    turns the `scf.forall` into an OpenMP loop, so elementwise chains,
    norms, softmax and layout changes run on all cores like the kernels.
    Ops inside loops (the kernels' own tiles) and small ops are left
    alone: a parallel region costs a few microseconds.

    Before:
    ```mlir
    %y = linalg.generic {iterator_types = ["parallel", "parallel", "parallel"], ...}
        ins(%x : tensor<1x128x768xf32>) outs(%e : tensor<1x128x768xf32>) { ... }
    ```
    After (`task-elements=4096 max-tasks=16`):
    ```mlir
    %y = scf.forall (%i, %j) = (0, 0) to (1, 128) step (1, 8) shared_outs(%o = %e) {
      %t = linalg.generic ... ins(%x_slice : tensor<1x8x768xf32>) outs(%o_slice : tensor<1x8x768xf32>)
      scf.forall.in_parallel { tensor.parallel_insert_slice %t into %o[%i, %j, 0] ... }
    }
    ```
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"32768",
           "Smallest iteration space (points) worth running in parallel">,
    Option<"taskElements", "task-elements", "int64_t", /*default=*/"8192",
           "Iteration-space points per task">,
    Option<"maxTasks", "max-tasks", "int64_t", /*default=*/"64",
           "Most tasks one op is cut into">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
}

def AttnPlanMemoryPass : Pass<"attn-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Place a function's static intermediate buffers in one arena by liveness";
  let description = [{
    Runs after bufferization. Every `memref.alloc` of a static, identity-
    laid-out shape directly in the function's entry block whose memory is
    only used by ops in the function (through any chain of views; not
    returned, yielded, turned back into a tensor or freed) is given an
    offset in one byte arena, and becomes a `memref.view` of it there.
    A buffer lives from its alloc to the last top-level op that uses it
    (an op whose region uses it counts as a whole); buffers whose lives
    do not overlap share bytes. Placement is greedy by size: largest
    first, each at the lowest `alignment`-aligned offset free for its
    whole life. A static alloc directly in the body of an entry-block
    `scf.parallel` with constant bounds (a task's scratch too large for its
    stack) whose memory stays inside the task becomes a slab with one
    aligned slot per task, live while the loop runs; each task views the
    slot of its row-major index (slabs over 64 MiB stay on the heap). With
    `sequential-tasks` (a build without threads) every task of a loop uses
    the same single slot.
    Allocs deeper in loops and dynamic shapes stay as they are.

    The arena is one `memref.alloc` at the top of the function, or, with
    `workspace-argument`, a new last argument `memref<Nxi8>` that the
    caller provides (the runtime's per-model workspace, so a run allocates
    nothing). The plan is recorded on the function as `attn.memory_plan =
    {arena_bytes, buffers, heap_allocs, workspace}`: the arena's size, the
    buffers placed, the allocs left on the heap, and whether the arena is
    the argument.

    Before:
    ```mlir
    %a = memref.alloc() {alignment = 64 : i64} : memref<128x768xf32>
    linalg.generic ... outs(%a : memref<128x768xf32>)
    %b = memref.alloc() {alignment = 64 : i64} : memref<128x768xf32>
    linalg.generic ... ins(%a : memref<128x768xf32>) outs(%b : memref<128x768xf32>)
    %c = memref.alloc() {alignment = 64 : i64} : memref<128x768xf32>
    linalg.generic ... ins(%b : memref<128x768xf32>) outs(%c : memref<128x768xf32>)
    ```
    After (`%c` reuses `%a`'s bytes):
    ```mlir
    %arena = memref.alloc() {alignment = 64 : i64} : memref<786432xi8>
    %a = memref.view %arena[%c0][] : memref<786432xi8> to memref<128x768xf32>
    %b = memref.view %arena[%c393216][] : memref<786432xi8> to memref<128x768xf32>
    %c = memref.view %arena[%c0][] : memref<786432xi8> to memref<128x768xf32>
    ```
  }];
  let options = [
    Option<"workspaceArgument", "workspace-argument", "bool", /*default=*/"false",
           "Take the arena as a new last function argument instead of allocating it">,
    Option<"alignment", "alignment", "int64_t", /*default=*/"64",
           "Least alignment in bytes of every buffer's offset (a power of two)">,
    Option<"sequentialTasks", "sequential-tasks", "bool", /*default=*/"false",
           "Parallel loops will run their tasks one after another (no threads), so a loop's tasks share one slot">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect"];
}

def AttnTileMatmulPass : Pass<"attn-tile-matmul", "::mlir::func::FuncOp"> {
  let summary = "Lower matmuls with a 2-D weight to register-tiled vector kernels on packed panels";
  let description = [{
    Every f32 `attn.linear`, and every `attn.matmul` whose right operand is
    a 2-D matrix (nn.Linear as torch exports it on 3-D activations, the
    tied unembedding through a Transpose), becomes `out[M, N] = x[M, K] ·
    w[K, N] + bias` with the leading dims of x folded into M:

    - the weight is re-laid-out into panels of `register-column-vectors` x
      `vector-width` columns, `packed[p, k, j]`, so each panel is one
      contiguous stream; a constant weight (also through a Transpose, or
      `transpose_weight`) is packed now, into a new `dense_resource` blob,
      any other by a loop before the product;
    - an `scf.forall` over about `tasks` tasks, each a row block of
      `task-rows` rows by a group of consecutive panels, runs on all cores;
    - inside, for each `k-block` steps of the reduction, for each panel of
      the group (its slice of the k-block then stays in L1), strips of
      `register-rows` rows keep `register-rows` x
      `register-column-vectors` accumulators in vector registers: per k,
      one vector load per column vector, one broadcast per row, and an FMA
      for each pair;
    - the bias (the op's, or an `attn.add` of an [N]-shaped tensor that is
      the product's only use) starts the accumulators, so it costs nothing;
      so does a residual: an `attn.add` of a tensor of the result's shape
      that is the (biased) product's only use (a block's skip connection),
      read once into the accumulators in the first k-block;
    - an `attn.gelu` that is the only use of what precedes it is applied
      to the finished sums before they are written, in the last k-block
      (recorded as `attn.activation`), so the FFN's activation needs no
      pass over its largest tensor.

    An f32 `attn.conv` with one group (ViT's patch embedding, Whisper's
    Conv1d front end) runs through the same kernel as `columns ·
    weightᵀ + bias` (im2col): a `linalg.generic` copies the zero-padded
    input's windows into rows, columns[(n, o...), (c, k...)] =
    padded[n, c, o·stride + k·dilation]; the weight [M, C, k...] is
    already [M, C·k...] in memory and is packed like a projection's; an
    `attn.gelu` after the conv is the epilogue; a second copy turns the
    rows [(n, o...), M] back into [N, M, o...]. Grouped convolutions stay
    for `attn-to-linalg`.

    The choice is recorded on the loop (`attn.register_tile`,
    `attn.vector_width`, `attn.task_rows`, `attn.task_panels`,
    `attn.k_block`, `attn.chunk_panels`, `attn.weight_packed`). With
    `vector-width` = 0 (the default) the pass does nothing and
    `attn-to-linalg` lowers the ops to a `linalg.generic`.

    Before:
    ```mlir
    %y = attn.matmul %x, %w : (tensor<1x128x768xf32>, tensor<768x3072xf32>) -> tensor<1x128x3072xf32>
    %z = attn.add %y, %b : (tensor<1x128x3072xf32>, tensor<3072xf32>) -> tensor<1x128x3072xf32>
    ```
    After (abridged, `vector-width=16 register-rows=6 register-column-vectors=4`):
    ```mlir
    %packed = arith.constant dense_resource<packed_weight> : tensor<48x768x64xf32>
    %out = scf.forall (%t) in (48) shared_outs(%o = %empty) -> (tensor<128x3072xf32>) {
      ... scf.for %i0 = 0 to 128 step 6 { scf.for %k = 0 to 768 { vector.fma ... } } ...
    } {attn.register_tile = array<i64: 6, 4>, attn.task_rows = 128 : i64, ...}
    %z = tensor.expand_shape %out ... : tensor<128x3072xf32> into tensor<1x128x3072xf32>
    ```
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"0",
           "f32 lanes per vector register (0: leave matmuls to attn-to-linalg)">,
    Option<"registerRows", "register-rows", "int64_t", /*default=*/"6",
           "Rows of the register tile">,
    Option<"registerColumnVectors", "register-column-vectors", "int64_t", /*default=*/"4",
           "Vectors of columns of the register tile (the panel width in vectors)">,
    Option<"taskRows", "task-rows", "int64_t", /*default=*/"128",
           "Rows of the output one parallel task computes">,
    Option<"tasks", "tasks", "int64_t", /*default=*/"16",
           "About how many parallel tasks (row blocks x groups of panels) to make">,
    Option<"kBlock", "k-block", "int64_t", /*default=*/"128",
           "Reduction steps per pass over a task's rows (the panel slice reused from L1)">,
    Option<"chunkPanels", "chunk-panels", "int64_t", /*default=*/"0",
           "Panels of a task finished before the next start (0: all at once)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::vector::VectorDialect"
  ];
}

def AttnTileSdpaPass : Pass<"attn-tile-sdpa", "::mlir::func::FuncOp"> {
  let summary = "Lower attn.sdpa to the FlashAttention-2 loop nest";
  let description = [{
    Each static-shaped `attn.sdpa` becomes loops over batch, query head and
    q-block; inside, a loop over only the kv-blocks that the window lets
    the q-block see (computed from the window bounds and the offset; the
    others are never visited) keeps a running row max `m`, sum `l` and
    accumulator, rescaled by `exp(m - m')` per block; the division happens
    once per q-block. A key mask also bounds the kv loop: each batch row's
    first and one-past-last visible key are computed once, so padding at
    either end is never visited. Grouped-query heads read their kv head's
    tiles. The
    window, key mask and dense mask are applied element by element inside
    visited blocks. No S x T buffer exists: memory is O(S·D). Ragged
    lengths (S or T not a multiple of the block) use partial last blocks.
    A row that sees no key yields zeros (sdpa.C10). Each op's blocks and
    kernel come from its `attn.tiling = #attn.sdpa_tiling<...>` (recorded by
    `cpu-choose-tilings`), or from the options for an op without one; ops
    with an empty operand are left to `attn-decompose-sdpa`.

    Before:
    ```mlir
    %o = attn.sdpa %q, %k, %v {mask = #attn.window<left = inf, right = 0>, scale = 0.125 : f32} : ...
    ```
    After (abridged):
    ```mlir
    scf.for %b ... scf.for %h ... scf.for %qb ... {
      %first = ...                     // kv-blocks before the window: skipped
      %m, %l, %acc = scf.for %kb = %first to %last ... {
        %s = linalg.generic ...        // q @ kᵀ * scale, window-masked
        %m2 = linalg.generic ...       // max(m, rowmax(s))
        ...                            // rescale l and acc, add p @ v
      }
      %tile = linalg.generic ...       // acc / l
      tensor.insert_slice %tile ...
    }
    ```
  }];
  let options = [
    Option<"qBlock", "q-block", "int64_t", /*default=*/"64", "Queries per block">,
    Option<"kvBlock", "kv-block", "int64_t", /*default=*/"64", "Keys per block">,
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"0",
           "Elements per vector register for the register-tiled kernel (0: portable kernel)">,
    Option<"registerRows", "register-rows", "int64_t", /*default=*/"4",
           "Query rows of the register tile">,
    Option<"registerColumnVectors", "register-column-vectors", "int64_t", /*default=*/"2",
           "Vectors of columns of the register tile">,
    Option<"kvSplits", "kv-splits", "int64_t", /*default=*/"1",
           "Parallel splits of each q-block's kv range, merged at the end">,
    Option<"avx512", "avx512", "int64_t", /*default=*/"0",
           "1: the vector kernel may use AVX-512F instructions (vscalefps)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::vector::VectorDialect",
    "::mlir::x86vector::X86VectorDialect"
  ];
}

def AttnToLinalgPass : Pass<"attn-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Lower attn graph ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every static-shaped attn graph op into upstream ops on tensors:
    elementwise ops (with numpy broadcasting folded into indexing maps) and
    contractions become `linalg.generic`, layout ops become `linalg.transpose`,
    `tensor.collapse_shape`/`expand_shape` or re-indexing generics,
    reductions and normalizations become reduction generics. `attn.sdpa`
    is not handled here: run `attn-decompose-sdpa` (or a tiling pass) first.

    Before:
    ```mlir
    %y = attn.add %x, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<2x4xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                          affine_map<(d0, d1) -> (d1)>,
                                          affine_map<(d0, d1) -> (d0, d1)>], ...}
        ins(%x, %b : tensor<2x4xf32>, tensor<4xf32>) outs(%e : tensor<2x4xf32>) {
      ^bb0(%a: f32, %c: f32, %out: f32):
        %s = arith.addf %a, %c : f32
        linalg.yield %s : f32
    } -> tensor<2x4xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

#endif // ATTN_PASSES_TD

//===- AttnAttrs.td - attn dialect attributes --------------*- tablegen -*-===//
//
// #attn.window: the band of keys each query may see, the structured form of
// causal, sliding-window and truncated-local attention masks.
// #attn.layout: which of attn.sdpa's tensors are stored sequence-major.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_ATTRS_TD
#define ATTN_ATTRS_TD

include "dialects/attn/AttnDialect.td"
include "mlir/IR/AttrTypeBase.td"

def Attn_WindowAttr : AttrDef<Attn_Dialect, "Window"> {
  let mnemonic = "window";
  let summary = "band of visible keys around each query position";
  let description = [{
    Query at absolute position `i` sees key `j` iff `i - left <= j <= i + right`.
    Each bound is a non-negative integer or `inf`. Causal attention is
    `#attn.window<left = inf, right = 0>`; a sliding window of `w` keys is
    `#attn.window<left = w - 1, right = 0>`; both `inf` means no mask.

    ```mlir
    #attn.window<left = inf, right = 0>
    #attn.window<left = 255, right = 0>
    #attn.window<left = 64, right = 64>
    ```
  }];
  // `inf` is stored as kUnbounded so the attribute stays a pair of integers.
  let parameters = (ins "int64_t":$left, "int64_t":$right);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Stored in place of a bound to mean `inf`.
    static constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();
    static WindowAttr getCausal(::mlir::MLIRContext *ctx) {
      return get(ctx, kUnbounded, 0);
    }
    static WindowAttr getUnbounded(::mlir::MLIRContext *ctx) {
      return get(ctx, kUnbounded, kUnbounded);
    }
    bool isLeftUnbounded() const { return getLeft() == kUnbounded; }
    bool isRightUnbounded() const { return getRight() == kUnbounded; }
    /// True when the window hides no key at all.
    bool isUnbounded() const { return isLeftUnbounded() && isRightUnbounded(); }
    bool isCausal() const { return isLeftUnbounded() && getRight() == 0; }
    /// Whether query position `q` may see key position `k`.
    bool contains(int64_t q, int64_t k) const {
      return (isLeftUnbounded() || k >= q - getLeft()) &&
             (isRightUnbounded() || k <= q + getRight());
    }
  }];
}

def Attn_LayoutAttr : AttrDef<Attn_Dialect, "Layout"> {
  let mnemonic = "layout";
  let summary = "which of attn.sdpa's query, key, value and result are sequence-major";
  let description = [{
    attn.sdpa's tensors are head-major, `[B, H, S, D]` (`bhsd`), unless this
    attribute marks them sequence-major, `[B, S, H, D]` (`bshd`): the layout
    an exported graph has before its multi-head Transpose and after the one
    that undoes it. Reading the tensor in place skips both copies. Operands
    not named are `bhsd`; at least one is `bshd`, so that there is one way to
    write the all-`bhsd` op (no attribute).

    ```mlir
    #attn.layout<query = bshd, result = bshd>
    #attn.layout<query = bshd, key = bshd, value = bshd, result = bshd>
    ```
  }];
  let parameters = (ins "bool":$querySeqMajor, "bool":$keySeqMajor,
                        "bool":$valueSeqMajor, "bool":$resultSeqMajor);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Whether the tensor `operand` (0 query, 1 key, 2 value, 3 result) is
    /// [B, S, H, D].
    bool isSeqMajor(unsigned operand) const {
      bool flags[] = {getQuerySeqMajor(), getKeySeqMajor(), getValueSeqMajor(),
                      getResultSeqMajor()};
      return flags[operand];
    }
  }];
}

def Attn_SdpaTilingAttr : AttrDef<Attn_Dialect, "SdpaTiling"> {
  let mnemonic = "sdpa_tiling";
  let summary = "how attn-tile-sdpa tiles one attn.sdpa";
  let description = [{
    The decision `cpu-choose-tilings` records on each attn.sdpa as its
    `attn.tiling` (or a user writes by hand), read by `attn-tile-sdpa`:
    `q_block` x `kv_block` blocks of the FlashAttention-2 loop;
    `vector_width` f32 lanes for the register-tiled kernel (0: the portable
    kernel, linalg loops); its `register_rows` x `register_column_vectors`
    register tile; `kv_splits` parallel parts of each q-block's kv range
    (flash-decoding); `avx512` to compute 2^n with vscalefps (needs
    `vector_width` = 16). Keys left out take the defaults shown.

    ```mlir
    #attn.sdpa_tiling<q_block = 64, kv_block = 64, vector_width = 0,
                      register_rows = 4, register_column_vectors = 2,
                      kv_splits = 1, avx512 = false>
    #attn.sdpa_tiling<q_block = 48, kv_block = 64, vector_width = 16,
                      register_rows = 6, register_column_vectors = 4, avx512 = true>
    ```
  }];
  let parameters = (ins DefaultValuedParameter<"int64_t", "64">:$q_block,
                        DefaultValuedParameter<"int64_t", "64">:$kv_block,
                        DefaultValuedParameter<"int64_t", "0">:$vector_width,
                        DefaultValuedParameter<"int64_t", "4">:$register_rows,
                        DefaultValuedParameter<"int64_t", "2">:$register_column_vectors,
                        DefaultValuedParameter<"int64_t", "1">:$kv_splits,
                        DefaultValuedParameter<"bool", "false">:$avx512);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_MatmulTilingAttr : AttrDef<Attn_Dialect, "MatmulTiling"> {
  let mnemonic = "matmul_tiling";
  let summary = "how attn-tile-matmul lowers one attn.linear or attn.matmul";
  let description = [{
    The decision `cpu-choose-tilings` records on each f32 attn.linear and
    attn.matmul as its `attn.tiling`, read by `attn-tile-matmul`:
    `vector_width` f32 lanes (0: leave the op to attn-to-linalg); the
    `register_rows` x `register_column_vectors` register tile (a packed
    panel is `register_column_vectors` vectors wide); `task_rows` output
    rows per parallel task; about `tasks` tasks; `k_block` reduction steps
    per pass over a task's rows; `chunk_panels` panels of a task finished
    (every k-block) before the next ones start, so that their partial sums
    stay in L2 (0: all of the task's panels at once).

    What the cost model picks for BERT-base's q/k/v projection (256 x 768
    by 768 x 2304) on an AVX-512 machine with 1 MiB of L2 per core:

    ```mlir
    #attn.matmul_tiling<vector_width = 16, register_rows = 8, register_column_vectors = 3,
                        task_rows = 128, k_block = 512, tasks = 4, chunk_panels = 21>
    ```
  }];
  let parameters = (ins DefaultValuedParameter<"int64_t", "0">:$vector_width,
                        DefaultValuedParameter<"int64_t", "6">:$register_rows,
                        DefaultValuedParameter<"int64_t", "4">:$register_column_vectors,
                        DefaultValuedParameter<"int64_t", "128">:$task_rows,
                        DefaultValuedParameter<"int64_t", "128">:$k_block,
                        DefaultValuedParameter<"int64_t", "16">:$tasks,
                        DefaultValuedParameter<"int64_t", "0">:$chunk_panels);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // ATTN_ATTRS_TD

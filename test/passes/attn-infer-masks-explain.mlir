// RUN: attnc-opt %s -split-input-file -attn-infer-masks=explain=true -verify-diagnostics -o /dev/null

// With `explain`, why a mask stays dense, as a remark at the attn.sdpa.
// Near miss: causal except one masked entry below the diagonal stays dense.
func.func @near_miss_one_entry(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0xFF800000, 0.0, 0.0]]> : tensor<4x4xf32>
  // expected-remark @+1 {{attn-infer-masks: the visible entries are neither a band (window) nor a band with key padding}}
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A bias (ALiBi-like) is data, not structure.
func.func @alibi_bias_stays_dense(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[-0.0, 0xFF800000, 0xFF800000, 0xFF800000], [-0.5, -0.0, 0xFF800000, 0xFF800000], [-1.0, -0.5, -0.0, 0xFF800000], [-1.5, -1.0, -0.5, -0.0]]> : tensor<4x4xf32>
  // expected-remark @+1 {{attn-infer-masks: the mask holds a bias (-0.500000), not only 0 and -inf / large negative values}}
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A mask that differs between heads stays dense.
func.func @differs_per_head(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]], [[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0xFF800000, 0.0, 0.0, 0xFF800000], [0xFF800000, 0xFF800000, 0.0, 0.0]]]]> : tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-infer-masks: the mask differs between heads}}
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A query row that sees no key stays dense: its result depends on the fill.
func.func @row_without_keys(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  // expected-remark @+1 {{attn-infer-masks: query row 2 (batch 0) sees no key; the graph's result there depends on its fill}}
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A mask computed at run time stays dense.
func.func @runtime_mask(%q: tensor<1x2x4x8xf32>, %m: tensor<4x4xf32>) -> tensor<1x2x4x8xf32> {
  // expected-remark @+1 {{attn-infer-masks: the mask is computed at run time (not from constants only)}}
  %o = attn.sdpa %q, %q, %q dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Nothing to infer without a dense mask.
func.func @no_dense_mask(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-remark @+1 {{attn-infer-masks: no dense mask left to infer}}
  %o = attn.sdpa %q, %q, %q {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A window is already known, and the rest of the dense mask holds no band.
func.func @window_already_known(%q: tensor<1x2x4x8xf32>, %m: tensor<1x1x4x4xf32>) -> tensor<1x2x4x8xf32> {
  // expected-remark @+1 {{attn-infer-masks: already has a window}}
  %o = attn.sdpa %q, %q, %q dense_mask(%m) {mask = #attn.window<left = inf, right = 0>, scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A sliding window cut from a buffer at run time stays dense when the
// query and key lengths are unrelated: a query past the keys could see no
// key, and the graph's result then depends on its fill.
func.func @run_time_sliding_window(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %c2 = arith.constant 2 : index
  %s = tensor.dim %q, %c2 : tensor<1x2x?x8xf32>
  %t = tensor.dim %k, %c2 : tensor<1x2x?x8xf32>
  %band = attn.constant dense<[[true, false, false, false], [true, true, false, false],
                               [false, true, true, false], [false, false, true, true]]> : tensor<4x4xi1>
  %cond = attn.slice %band[%s, %t] {offsets = array<i64: 0, 0>, sizes = array<i64: -9223372036854775808, -9223372036854775808>, strides = array<i64: 1, 1>} : tensor<4x4xi1> -> tensor<?x?xi1>
  %zero = attn.constant dense<0.0> : tensor<f32>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %m = attn.where %cond, %zero, %ninf : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  // expected-remark @+1 {{attn-infer-masks: the band's left side is bounded (1) and the queries' positions are not provably within the keys: a query could see no key at run time}}
  %o = attn.sdpa %q, %k, %k dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<?x?xf32>) -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

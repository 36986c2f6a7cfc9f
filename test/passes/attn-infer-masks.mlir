// RUN: attnc-opt %s -attn-infer-masks -split-input-file | FileCheck %s

// A constant causal mask becomes the causal window.
// CHECK-LABEL: func.func @causal
// CHECK-NOT: dense_mask
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {mask = #attn.window<left = inf, right = 0>, scale = 1.000000e+00 : f32}
func.func @causal(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// finfo.min counts as hidden (the row keeps a visible key).
// CHECK-LABEL: func.func @causal_finfo_min
// CHECK: attn.sdpa {{.+}} {mask = #attn.window<left = inf, right = 0>
func.func @causal_finfo_min(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[0.0, -3.4028234663852886e+38, -3.4028234663852886e+38, -3.4028234663852886e+38], [0.0, 0.0, -3.4028234663852886e+38, -3.4028234663852886e+38], [0.0, 0.0, 0.0, -3.4028234663852886e+38], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Sliding window of 2 keys: left = 1.
// CHECK-LABEL: func.func @sliding_window
// CHECK: attn.sdpa {{.+}} {mask = #attn.window<left = 1, right = 0>
func.func @sliding_window(%q: tensor<1x2x5x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>) -> tensor<1x2x5x8xf32> {
  %m = attn.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0xFF800000, 0.0, 0.0, 0xFF800000, 0xFF800000], [0xFF800000, 0xFF800000, 0.0, 0.0, 0xFF800000], [0xFF800000, 0xFF800000, 0xFF800000, 0.0, 0.0]]> : tensor<5x5xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<5x5xf32>) -> tensor<1x2x5x8xf32>
  return %o : tensor<1x2x5x8xf32>
}

// -----

// Truncated local attention with different reach each side.
// CHECK-LABEL: func.func @local_left_right
// CHECK: attn.sdpa {{.+}} {mask = #attn.window<left = 2, right = 1>
func.func @local_left_right(%q: tensor<1x2x6x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x6x8xf32>) -> tensor<1x2x6x8xf32> {
  %m = attn.constant dense<[[0.0, 0.0, 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0.0, 0xFF800000, 0xFF800000], [0xFF800000, 0.0, 0.0, 0.0, 0.0, 0xFF800000], [0xFF800000, 0xFF800000, 0.0, 0.0, 0.0, 0.0], [0xFF800000, 0xFF800000, 0xFF800000, 0.0, 0.0, 0.0]]> : tensor<6x6xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>, tensor<6x6xf32>) -> tensor<1x2x6x8xf32>
  return %o : tensor<1x2x6x8xf32>
}

// -----

// S < T (chunked prefill): causal aligned bottom-right is an offset of T - S.
// CHECK-LABEL: func.func @bottom_right_causal
// CHECK: %[[OFF:.+]] = attn.constant dense<3> : tensor<i64>
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} offset(%[[OFF]]) {mask = #attn.window<left = inf, right = 0>
func.func @bottom_right_causal(%q: tensor<1x2x2x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>) -> tensor<1x2x2x8xf32> {
  %m = attn.constant dense<[[0.0, 0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<2x5xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x2x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<2x5xf32>) -> tensor<1x2x2x8xf32>
  return %o : tensor<1x2x2x8xf32>
}

// -----

// Hidden keys that depend only on the batch row become the key mask.
// CHECK-LABEL: func.func @key_padding
// CHECK: %[[KM:.+]] = attn.constant dense<{{\[\[}}true, true, true, true], [true, true, true, false]]> : tensor<2x4xi1>
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} key_mask(%[[KM]]) {scale = 1.000000e+00 : f32}
func.func @key_padding(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x4x8xf32>, %v: tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32> {
  %m = attn.constant dense<[[[[0.0, 0.0, 0.0, 0.0]]], [[[0.0, 0.0, 0.0, 0xFF800000]]]]> : tensor<2x1x1x4xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x1x1x4xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// Causal and padding together: both parts are kept.
// CHECK-LABEL: func.func @causal_plus_padding
// CHECK: %[[KM:.+]] = attn.constant dense<{{\[\[}}true, true, true, true], [true, true, true, false]]> : tensor<2x4xi1>
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} key_mask(%[[KM]]) {mask = #attn.window<left = inf, right = 0>
func.func @causal_plus_padding(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x4x8xf32>, %v: tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32> {
  %m = attn.constant dense<[[[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]], [[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000]]]]> : tensor<2x1x4x4xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x1x4x4xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// Near miss: strictly below the diagonal (row 0 sees key 0) is not a band.
// CHECK-LABEL: func.func @near_miss_band_off_by_one
// CHECK: attn.sdpa {{.+}} dense_mask(%{{.+}}) {scale = 1.000000e+00 : f32}
func.func @near_miss_band_off_by_one(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000]]> : tensor<4x4xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Near miss: causal except one masked entry below the diagonal stays dense.
// CHECK-LABEL: func.func @near_miss_one_entry
// CHECK: attn.sdpa {{.+}} dense_mask(%{{.+}}) {scale = 1.000000e+00 : f32}
func.func @near_miss_one_entry(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0xFF800000, 0.0, 0.0]]> : tensor<4x4xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A bias (ALiBi-like) is data, not structure.
// CHECK-LABEL: func.func @alibi_bias_stays_dense
// CHECK: attn.sdpa {{.+}} dense_mask(%{{.+}})
func.func @alibi_bias_stays_dense(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[-0.0, 0xFF800000, 0xFF800000, 0xFF800000], [-0.5, -0.0, 0xFF800000, 0xFF800000], [-1.0, -0.5, -0.0, 0xFF800000], [-1.5, -1.0, -0.5, -0.0]]> : tensor<4x4xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A mask that differs between heads stays dense.
// CHECK-LABEL: func.func @differs_per_head
// CHECK: attn.sdpa {{.+}} dense_mask(%{{.+}})
func.func @differs_per_head(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]], [[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0xFF800000, 0.0, 0.0, 0xFF800000], [0xFF800000, 0xFF800000, 0.0, 0.0]]]]> : tensor<1x2x4x4xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A query row that sees no key stays dense: its result depends on the fill.
// CHECK-LABEL: func.func @row_without_keys
// CHECK: attn.sdpa {{.+}} dense_mask(%{{.+}})
func.func @row_without_keys(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A mask of zeros hides nothing: no mask at all.
// CHECK-LABEL: func.func @all_visible
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {scale = 1.000000e+00 : f32}
func.func @all_visible(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %m = attn.constant dense<[[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A mask computed at run time stays dense.
// CHECK-LABEL: func.func @runtime_mask
// CHECK: attn.sdpa {{.+}} dense_mask(%{{.+}})
func.func @runtime_mask(%q: tensor<1x2x4x8xf32>, %m: tensor<4x4xf32>) -> tensor<1x2x4x8xf32> {
  %o = attn.sdpa %q, %q, %q dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A mask computed from constants that the folders leave alone (72 x 72 =
// 5184 elements): its Range/compare arithmetic is evaluated, and a sliding
// window of 8 keys is proven.
// CHECK-LABEL: func.func @computed_window_mask
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {mask = #attn.window<left = 7, right = 0>, scale = 1.000000e+00 : f32}
func.func @computed_window_mask(%q: tensor<1x1x72x8xf32>) -> tensor<1x1x72x8xf32> {
  %rows = attn.constant dense<[[0], [1], [2], [3], [4], [5], [6], [7], [8], [9], [10], [11], [12], [13], [14], [15], [16], [17], [18], [19], [20], [21], [22], [23], [24], [25], [26], [27], [28], [29], [30], [31], [32], [33], [34], [35], [36], [37], [38], [39], [40], [41], [42], [43], [44], [45], [46], [47], [48], [49], [50], [51], [52], [53], [54], [55], [56], [57], [58], [59], [60], [61], [62], [63], [64], [65], [66], [67], [68], [69], [70], [71]]> : tensor<72x1xi64>
  %cols = attn.constant dense<[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71]]> : tensor<1x72xi64>
  %seven = attn.constant dense<7> : tensor<i64>
  %zero_i = attn.constant dense<0> : tensor<i64>
  %zero = attn.constant dense<0.0> : tensor<f32>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %d = attn.sub %rows, %cols : (tensor<72x1xi64>, tensor<1x72xi64>) -> tensor<72x72xi64>
  %past = attn.greater_equal %d, %zero_i : (tensor<72x72xi64>, tensor<i64>) -> tensor<72x72xi1>
  %near = attn.less_equal %d, %seven : (tensor<72x72xi64>, tensor<i64>) -> tensor<72x72xi1>
  %keep = attn.and %past, %near : (tensor<72x72xi1>, tensor<72x72xi1>) -> tensor<72x72xi1>
  %bias = attn.where %keep, %zero, %ninf : (tensor<72x72xi1>, tensor<f32>, tensor<f32>) -> tensor<72x72xf32>
  %o = attn.sdpa %q, %q, %q dense_mask(%bias) {scale = 1.0 : f32}
      : (tensor<1x1x72x8xf32>, tensor<1x1x72x8xf32>, tensor<1x1x72x8xf32>, tensor<72x72xf32>) -> tensor<1x1x72x8xf32>
  return %o : tensor<1x1x72x8xf32>
}

// -----

// BERT's run-time padding: attention_mask [B, T] unsqueezed to [B, 1, 1, T],
// inverted and scaled. It only varies by batch row and key, so it becomes an
// additive key_mask that keeps the graph's own values.
// CHECK-LABEL: func.func @runtime_padding_additive
// CHECK: %[[BIAS:.+]] = attn.mul
// CHECK: %[[KM:.+]] = attn.reshape %[[BIAS]] {shape = array<i64: 2, 4>} : tensor<2x1x1x4xf32> -> tensor<2x4xf32>
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} key_mask(%[[KM]]) {scale = 1.000000e+00 : f32}
// CHECK-SAME: tensor<2x4xf32>) -> tensor<2x2x4x8xf32>
func.func @runtime_padding_additive(%q: tensor<2x2x4x8xf32>, %m: tensor<2x4xi64>) -> tensor<2x2x4x8xf32> {
  %one = attn.constant dense<1.0> : tensor<f32>
  %min = attn.constant dense<-3.40282347E+38> : tensor<f32>
  %r = attn.reshape %m {shape = array<i64: 2, 1, 1, 4>} : tensor<2x4xi64> -> tensor<2x1x1x4xi64>
  %f = attn.cast %r : tensor<2x1x1x4xi64> -> tensor<2x1x1x4xf32>
  %inv = attn.sub %one, %f : (tensor<f32>, tensor<2x1x1x4xf32>) -> tensor<2x1x1x4xf32>
  %bias = attn.mul %inv, %min : (tensor<2x1x1x4xf32>, tensor<f32>) -> tensor<2x1x1x4xf32>
  %o = attn.sdpa %q, %q, %q dense_mask(%bias) {scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x1x1x4xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// A boolean key-padding mask stays boolean: hidden keys are never visited.
// CHECK-LABEL: func.func @runtime_padding_bool
// CHECK: %[[KM:.+]] = attn.reshape %arg1 {shape = array<i64: 2, 4>}
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} key_mask(%[[KM]]) {scale
// CHECK-SAME: tensor<2x4xi1>) -> tensor<2x2x4x8xf32>
func.func @runtime_padding_bool(%q: tensor<2x2x4x8xf32>, %m: tensor<2x1x1x4xi1>) -> tensor<2x2x4x8xf32> {
  %o = attn.sdpa %q, %q, %q dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x1x1x4xi1>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// HF's _prepare_4d_attention_mask: the mask is expanded to [B, 1, S, T]
// before it is inverted and filled. The broadcast is undone through the
// elementwise ops; the inversion and fill are redone at [B, 1, 1, T].
// CHECK-LABEL: func.func @expanded_padding
// CHECK: %[[C:.+]] = attn.cast %{{.+}} : tensor<2x1x1x4xi64> -> tensor<2x1x1x4xf32>
// CHECK: %[[INV:.+]] = attn.sub %{{.+}}, %[[C]] : (tensor<f32>, tensor<2x1x1x4xf32>) -> tensor<2x1x1x4xf32>
// CHECK: %[[B:.+]] = attn.cast %[[INV]] : tensor<2x1x1x4xf32> -> tensor<2x1x1x4xi1>
// CHECK: %[[W:.+]] = attn.where %[[B]], %{{.+}}, %[[INV]] : (tensor<2x1x1x4xi1>, tensor<f32>, tensor<2x1x1x4xf32>) -> tensor<2x1x1x4xf32>
// CHECK: %[[KM:.+]] = attn.reshape %[[W]] {shape = array<i64: 2, 4>}
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} key_mask(%[[KM]]) {mask = #attn.window<left = inf, right = 0>, scale
func.func @expanded_padding(%q: tensor<2x2x4x8xf32>, %m: tensor<2x4xi64>) -> tensor<2x2x4x8xf32> {
  %one = attn.constant dense<1.0> : tensor<f32>
  %min = attn.constant dense<-3.40282347E+38> : tensor<f32>
  %r = attn.reshape %m {shape = array<i64: 2, 1, 1, 4>} : tensor<2x4xi64> -> tensor<2x1x1x4xi64>
  %e = attn.broadcast_to %r {shape = array<i64: 2, 1, 4, 4>} : tensor<2x1x1x4xi64> -> tensor<2x1x4x4xi64>
  %f = attn.cast %e : tensor<2x1x4x4xi64> -> tensor<2x1x4x4xf32>
  %inv = attn.sub %one, %f : (tensor<f32>, tensor<2x1x4x4xf32>) -> tensor<2x1x4x4xf32>
  %hide = attn.cast %inv : tensor<2x1x4x4xf32> -> tensor<2x1x4x4xi1>
  %pad = attn.where %hide, %min, %inv : (tensor<2x1x4x4xi1>, tensor<f32>, tensor<2x1x4x4xf32>) -> tensor<2x1x4x4xf32>
  %o = attn.sdpa %q, %q, %q dense_mask(%pad) {mask = #attn.window<left = inf, right = 0>, scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x1x4x4xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// One padding row shared by the batch: broadcast to [B, T].
// CHECK-LABEL: func.func @shared_padding_row
// CHECK: %[[R:.+]] = attn.reshape %arg1 {shape = array<i64: 1, 4>}
// CHECK: %[[KM:.+]] = attn.broadcast_to %[[R]] {shape = array<i64: 2, 4>}
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} key_mask(%[[KM]])
func.func @shared_padding_row(%q: tensor<2x2x4x8xf32>, %m: tensor<4xf32>) -> tensor<2x2x4x8xf32> {
  %o = attn.sdpa %q, %q, %q dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<4xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// Near misses for a key mask: a padding mask that differs per head, one
// that varies by query after the expand (an Add of a [S, 1] term), and a
// per-batch-row scalar (it shifts every score alike) all stay dense.
// CHECK-LABEL: func.func @per_head_padding_stays_dense
// CHECK: attn.sdpa {{.+}} dense_mask(%arg1)
func.func @per_head_padding_stays_dense(%q: tensor<2x2x4x8xf32>, %m: tensor<2x2x1x4xf32>) -> tensor<2x2x4x8xf32> {
  %o = attn.sdpa %q, %q, %q dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x1x4xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}
// CHECK-LABEL: func.func @query_term_stays_dense
// CHECK: attn.sdpa {{.+}} dense_mask(%{{.+}}) {scale
func.func @query_term_stays_dense(%q: tensor<2x2x4x8xf32>, %m: tensor<2x1x1x4xf32>, %byq: tensor<4x1xf32>) -> tensor<2x2x4x8xf32> {
  %e = attn.broadcast_to %m {shape = array<i64: 2, 1, 4, 4>} : tensor<2x1x1x4xf32> -> tensor<2x1x4x4xf32>
  %s = attn.add %e, %byq : (tensor<2x1x4x4xf32>, tensor<4x1xf32>) -> tensor<2x1x4x4xf32>
  %o = attn.sdpa %q, %q, %q dense_mask(%s) {scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x1x4x4xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}
// CHECK-LABEL: func.func @per_row_scalar_stays_dense
// CHECK: attn.sdpa {{.+}} dense_mask(%arg1)
func.func @per_row_scalar_stays_dense(%q: tensor<2x2x4x8xf32>, %m: tensor<2x1x1x1xf32>) -> tensor<2x2x4x8xf32> {
  %o = attn.sdpa %q, %q, %q dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x1x1x1xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// A Trilu-built mask with a negative diagonal: triu(ones, -1) keeps
// col - row >= -1, the band left = 1 (right unbounded). At 72 x 72 it is
// past the folders' limit, so the mask evaluator computes the Trilu.
// CHECK-LABEL: func.func @trilu_negative_diagonal
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {mask = #attn.window<left = 1, right = inf>, scale = 1.000000e+00 : f32}
func.func @trilu_negative_diagonal(%q: tensor<1x1x72x8xf32>) -> tensor<1x1x72x8xf32> {
  %ones = attn.constant dense<1.0> : tensor<72x72xf32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %big = attn.constant dense<1.0e9> : tensor<f32>
  %band = attn.trilu %ones {upper = true, diagonal = -1 : i64} : tensor<72x72xf32>
  %hidden = attn.sub %band, %one : (tensor<72x72xf32>, tensor<f32>) -> tensor<72x72xf32>
  %bias = attn.mul %hidden, %big : (tensor<72x72xf32>, tensor<f32>) -> tensor<72x72xf32>
  %o = attn.sdpa %q, %q, %q dense_mask(%bias) {scale = 1.0 : f32}
      : (tensor<1x1x72x8xf32>, tensor<1x1x72x8xf32>, tensor<1x1x72x8xf32>, tensor<72x72xf32>) -> tensor<1x1x72x8xf32>
  return %o : tensor<1x1x72x8xf32>
}

// -----

// NeMo's limited context: a constant band AND-ed with a run-time padding
// condition, inverted and used as a hide mask on a [B, 1, S, T] view. The
// condition splits into one term per conjunct: the band becomes the window,
// the padding stays dense.
// CHECK-LABEL: func.func @band_and_runtime_condition
// CHECK: %[[KEEP:.+]] = attn.where %arg1, %{{.+}}, %{{.+}} : (tensor<2x4x4xi1>, tensor<f32>, tensor<f32>) -> tensor<2x4x4xf32>
// CHECK: %[[PAD:.+]] = attn.reshape %[[KEEP]] {shape = array<i64: 2, 1, 4, 4>}
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} dense_mask(%[[PAD]]) {mask = #attn.window<left = 1, right = 2>
func.func @band_and_runtime_condition(%q: tensor<2x2x4x8xf32>, %pad: tensor<2x4x4xi1>) -> tensor<2x2x4x8xf32> {
  %band = attn.constant dense<[[[true, true, true, false], [true, true, true, true], [false, true, true, true], [false, false, true, true]]]> : tensor<1x4x4xi1>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %zero = attn.constant dense<0.0> : tensor<f32>
  %keep = attn.and %pad, %band : (tensor<2x4x4xi1>, tensor<1x4x4xi1>) -> tensor<2x4x4xi1>
  %masked = attn.not %keep : tensor<2x4x4xi1>
  %m4 = attn.reshape %masked {shape = array<i64: 2, 1, 4, 4>} : tensor<2x4x4xi1> -> tensor<2x1x4x4xi1>
  %bias = attn.where %m4, %ninf, %zero : (tensor<2x1x4x4xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x4x4xf32>
  %o = attn.sdpa %q, %q, %q dense_mask(%bias) {scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x1x4x4xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// T5: a per-head position bias plus a run-time padding mask. The padding
// term only varies by batch row and key and becomes the key mask; the bias
// stays dense.
// CHECK-LABEL: func.func @bias_plus_padding
// CHECK: %[[KM:.+]] = attn.reshape %arg2 {shape = array<i64: 2, 4>}
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} key_mask(%[[KM]]) dense_mask(%arg1)
func.func @bias_plus_padding(%q: tensor<2x2x4x8xf32>, %bias: tensor<1x2x4x4xf32>, %pad: tensor<2x1x1x4xf32>) -> tensor<2x2x4x8xf32> {
  %m = attn.add %bias, %pad : (tensor<1x2x4x4xf32>, tensor<2x1x1x4xf32>) -> tensor<2x2x4x4xf32>
  %o = attn.sdpa %q, %q, %q dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x4xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// NeMo's padding: [B, T] repeated over the queries, AND-ed with its own
// transpose (padded queries see nothing), viewed as [B, 1, S, T]. Followed
// through the tile, the transpose and the view, the key side becomes the
// key mask (recomputed at [B, 1, T]); the query side stays dense.
// CHECK-LABEL: func.func @repeated_padding_rows
// CHECK: %[[KEYS:.+]] = attn.where %arg1, %{{.+}}, %{{.+}} : (tensor<2x1x4xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x4xf32>
// CHECK: %[[KM:.+]] = attn.reshape %[[KEYS]] {shape = array<i64: 2, 4>}
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} key_mask(%[[KM]]) dense_mask(%{{.+}}) {scale
func.func @repeated_padding_rows(%q: tensor<2x2x4x8xf32>, %pad: tensor<2x1x4xi1>) -> tensor<2x2x4x8xf32> {
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %zero = attn.constant dense<0.0> : tensor<f32>
  %rows = attn.tile %pad {repeats = array<i64: 1, 4, 1>} : tensor<2x1x4xi1> -> tensor<2x4x4xi1>
  %cols = attn.transpose %rows {permutation = array<i64: 0, 2, 1>} : tensor<2x4x4xi1> -> tensor<2x4x4xi1>
  %keep = attn.and %rows, %cols : (tensor<2x4x4xi1>, tensor<2x4x4xi1>) -> tensor<2x4x4xi1>
  %masked = attn.not %keep : tensor<2x4x4xi1>
  %m4 = attn.reshape %masked {shape = array<i64: 2, 1, 4, 4>} : tensor<2x4x4xi1> -> tensor<2x1x4x4xi1>
  %bias = attn.where %m4, %ninf, %zero : (tensor<2x1x4x4xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x4x4xf32>
  %o = attn.sdpa %q, %q, %q dense_mask(%bias) {scale = 1.0 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x2x4x8xf32>, tensor<2x1x4x4xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// GPT-2 with a KV cache: the causal rows `bias[past : past + S, :T]` of a
// constant lower-triangular buffer, gathered at iota(S) + past. The mask
// exists only at run time; its structure is a causal window with the
// queries at positions past + i (the offset, read at run time).
// CHECK-LABEL: func.func @run_time_rows_of_a_band
// CHECK: %[[START:.+]] = tensor.from_elements
// CHECK: %[[OFFSET:.+]] = attn.reshape %[[START]] {shape = array<i64>} : tensor<1xi64> -> tensor<i64>
// CHECK: attn.sdpa %arg0, %arg1, %arg1 offset(%[[OFFSET]]) {mask = #attn.window<left = inf, right = 0>, scale
func.func @run_time_rows_of_a_band(%q: tensor<1x2x?x8xf32>, %kv: tensor<1x2x?x8xf32>,
                                   %past: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %c2 = arith.constant 2 : index
  %s = tensor.dim %q, %c2 : tensor<1x2x?x8xf32>
  %p = tensor.dim %past, %c2 : tensor<1x2x?x8xf32>
  %t = tensor.dim %kv, %c2 : tensor<1x2x?x8xf32>
  %iota = attn.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : tensor<8xi64>
  %first = attn.slice %iota[%s] {offsets = array<i64: 0>, sizes = array<i64: -9223372036854775808>, strides = array<i64: 1>} : tensor<8xi64> -> tensor<?xi64>
  %pi = arith.index_cast %p : index to i64
  %start = tensor.from_elements %pi : tensor<1xi64>
  %rows = attn.add %first, %start : (tensor<?xi64>, tensor<1xi64>) -> tensor<?xi64>
  %band = attn.constant dense<[[true, false, false, false, false, false, false, false],
                               [true, true, false, false, false, false, false, false],
                               [true, true, true, false, false, false, false, false],
                               [true, true, true, true, false, false, false, false],
                               [true, true, true, true, true, false, false, false],
                               [true, true, true, true, true, true, false, false],
                               [true, true, true, true, true, true, true, false],
                               [true, true, true, true, true, true, true, true]]> : tensor<8x8xi1>
  %picked = attn.gather %band, %rows {axis = 0 : i64} : (tensor<8x8xi1>, tensor<?xi64>) -> tensor<?x8xi1>
  %cond = attn.slice %picked[%t] {offsets = array<i64: 0, 0>, sizes = array<i64: -9223372036854775808, -9223372036854775808>, strides = array<i64: 1, 1>} : tensor<?x8xi1> -> tensor<?x?xi1>
  %zero = attn.constant dense<0.0> : tensor<f32>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %m = attn.where %cond, %zero, %ninf : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %o = attn.sdpa %q, %kv, %kv dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<?x?xf32>) -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

// LLaMA without a cache: triu(full(-inf), 1) of the run-time square hides
// the keys right of the diagonal: causal from position 0, no offset.
// CHECK-LABEL: func.func @run_time_triu_of_minus_inf
// CHECK: attn.sdpa %arg0, %arg0, %arg0 {mask = #attn.window<left = inf, right = 0>, scale
func.func @run_time_triu_of_minus_inf(%q: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %c2 = arith.constant 2 : index
  %s = tensor.dim %q, %c2 : tensor<1x2x?x8xf32>
  %full = attn.constant dense<0xFF800000> : tensor<16x16xf32>
  %square = attn.slice %full[%s, %s] {offsets = array<i64: 0, 0>, sizes = array<i64: -9223372036854775808, -9223372036854775808>, strides = array<i64: 1, 1>} : tensor<16x16xf32> -> tensor<?x?xf32>
  %m = attn.trilu %square {diagonal = 1 : i64, upper = true} : tensor<?x?xf32>
  %o = attn.sdpa %q, %q, %q dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<?x?xf32>) -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

// LLaMA with a KV cache: key positions iota(T) as a row, query positions
// iota(S) + past as a column, where(key > query, -inf, zeros): causal with
// the queries at past + i.
// CHECK-LABEL: func.func @run_time_compared_positions
// CHECK: %[[START:.+]] = tensor.from_elements
// CHECK: %[[OFFSET:.+]] = attn.reshape %[[START]] {shape = array<i64>} : tensor<1xi64> -> tensor<i64>
// CHECK: attn.sdpa %arg0, %arg1, %arg1 offset(%[[OFFSET]]) {mask = #attn.window<left = inf, right = 0>, scale
func.func @run_time_compared_positions(%q: tensor<1x2x?x8xf32>, %kv: tensor<1x2x?x8xf32>,
                                       %past: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %c2 = arith.constant 2 : index
  %s = tensor.dim %q, %c2 : tensor<1x2x?x8xf32>
  %p = tensor.dim %past, %c2 : tensor<1x2x?x8xf32>
  %t = tensor.dim %kv, %c2 : tensor<1x2x?x8xf32>
  %iota = attn.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : tensor<8xi64>
  %first = attn.slice %iota[%s] {offsets = array<i64: 0>, sizes = array<i64: -9223372036854775808>, strides = array<i64: 1>} : tensor<8xi64> -> tensor<?xi64>
  %pi = arith.index_cast %p : index to i64
  %start = tensor.from_elements %pi : tensor<1xi64>
  %queries = attn.add %first, %start : (tensor<?xi64>, tensor<1xi64>) -> tensor<?xi64>
  %column = attn.reshape %queries {shape = array<i64: -9223372036854775808, 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %keys = attn.slice %iota[%t] {offsets = array<i64: 0>, sizes = array<i64: -9223372036854775808>, strides = array<i64: 1>} : tensor<8xi64> -> tensor<?xi64>
  %row = attn.reshape %keys {shape = array<i64: 1, -9223372036854775808>} : tensor<?xi64> -> tensor<1x?xi64>
  %later = attn.greater %row, %column : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %zeros = attn.constant dense<0.0> : tensor<8x8xf32>
  %z = attn.slice %zeros[%s, %t] {offsets = array<i64: 0, 0>, sizes = array<i64: -9223372036854775808, -9223372036854775808>, strides = array<i64: 1, 1>} : tensor<8x8xf32> -> tensor<?x?xf32>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %m = attn.where %later, %ninf, %z : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %o = attn.sdpa %q, %kv, %kv dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<?x?xf32>) -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

// Mistral without a cache: (j <= i) AND (i - j < 4) over positions of the
// run-time length. Each conjunct bounds one side; together a sliding
// window. Its left side is bounded, which needs every query's own position
// to be a key: the queries and keys are the same S positions here.
// CHECK-LABEL: func.func @run_time_sliding_window
// CHECK: attn.sdpa %arg0, %arg0, %arg0 {mask = #attn.window<left = 3, right = 0>, scale
func.func @run_time_sliding_window(%q: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %c2 = arith.constant 2 : index
  %s = tensor.dim %q, %c2 : tensor<1x2x?x8xf32>
  %iota = attn.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : tensor<8xi64>
  %pos = attn.slice %iota[%s] {offsets = array<i64: 0>, sizes = array<i64: -9223372036854775808>, strides = array<i64: 1>} : tensor<8xi64> -> tensor<?xi64>
  %i = attn.reshape %pos {shape = array<i64: -9223372036854775808, 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %j = attn.reshape %pos {shape = array<i64: 1, -9223372036854775808>} : tensor<?xi64> -> tensor<1x?xi64>
  %causal = attn.less_equal %j, %i : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %distance = attn.sub %i, %j : (tensor<?x1xi64>, tensor<1x?xi64>) -> tensor<?x?xi64>
  %w = attn.constant dense<4> : tensor<i64>
  %near = attn.less %distance, %w : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %allowed = attn.and %causal, %near : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  %zero = attn.constant dense<0.0> : tensor<f32>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %m = attn.where %allowed, %zero, %ninf : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %o = attn.sdpa %q, %q, %q dense_mask(%m) {scale = 1.0 : f32}
      : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<?x?xf32>) -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

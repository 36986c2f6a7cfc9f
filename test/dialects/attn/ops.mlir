// RUN: attnc-opt %s | FileCheck %s
// Round-trip: print, re-parse, print again; the two prints must agree.
// RUN: attnc-opt %s | attnc-opt | FileCheck %s
// Generic form round-trips too.
// RUN: attnc-opt %s --mlir-print-op-generic | attnc-opt | FileCheck %s

// CHECK-LABEL: func.func @sdpa_causal
func.func @sdpa_causal(%q: tensor<1x12x1024x64xf32>, %k: tensor<1x12x1024x64xf32>,
                       %v: tensor<1x12x1024x64xf32>) -> tensor<1x12x1024x64xf32> {
  // CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn.window<left = inf, right = 0>, scale = 1.250000e-01 : f32}
  // CHECK-SAME: -> tensor<1x12x1024x64xf32>
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x12x1024x64xf32>, tensor<1x12x1024x64xf32>, tensor<1x12x1024x64xf32>)
      -> tensor<1x12x1024x64xf32>
  return %o : tensor<1x12x1024x64xf32>
}

// CHECK-LABEL: func.func @sdpa_finite_window
func.func @sdpa_finite_window(%q: tensor<1x4x16x8xf32>, %k: tensor<1x4x16x8xf32>,
                              %v: tensor<1x4x16x8xf32>) -> tensor<1x4x16x8xf32> {
  // CHECK: mask = #attn.window<left = 255, right = 3>
  %o = attn.sdpa %q, %k, %v {scale = 0.35 : f32, mask = #attn.window<left = 255, right = 3>}
      : (tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x16x8xf32>
  return %o : tensor<1x4x16x8xf32>
}

// sdpa.C11: sequence-major tensors read S and H swapped; only the bshd
// ones print.
// CHECK-LABEL: func.func @sdpa_layout
func.func @sdpa_layout(%q: tensor<2x16x8x32xf32>, %k: tensor<2x2x20x32xf32>,
                       %v: tensor<2x20x2x16xf32>) -> tensor<2x16x8x16xf32> {
  // CHECK: attn.sdpa %{{.*}} {layout = #attn.layout<query = bshd, value = bshd, result = bshd>, scale = 1.000000e+00 : f32} : (tensor<2x16x8x32xf32>, tensor<2x2x20x32xf32>, tensor<2x20x2x16xf32>) -> tensor<2x16x8x16xf32>
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32, layout = #attn.layout<query = bshd, key = bhsd, value = bshd, result = bshd>}
      : (tensor<2x16x8x32xf32>, tensor<2x2x20x32xf32>, tensor<2x20x2x16xf32>) -> tensor<2x16x8x16xf32>
  return %o : tensor<2x16x8x16xf32>
}

// A sequence-major result with head-major inputs: the result type is
// inferred in the layout.
// CHECK-LABEL: func.func @sdpa_layout_result_only
func.func @sdpa_layout_result_only(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                                   %v: tensor<1x4x8x16xf32>) -> tensor<1x8x4x16xf32> {
  // CHECK: {layout = #attn.layout<result = bshd>
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32, layout = #attn.layout<result = bshd>}
      : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x8x4x16xf32>
  return %o : tensor<1x8x4x16xf32>
}

// CHECK-LABEL: func.func @sdpa_no_mask
func.func @sdpa_no_mask(%q: tensor<2x4x16x8xf32>, %k: tensor<2x4x20x8xf32>,
                        %v: tensor<2x4x20x32xf32>) -> tensor<2x4x16x32xf32> {
  // CHECK: attn.sdpa %{{.*}} {scale = 1.000000e+00 : f32} : (tensor<2x4x16x8xf32>, tensor<2x4x20x8xf32>, tensor<2x4x20x32xf32>) -> tensor<2x4x16x32xf32>
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32}
      : (tensor<2x4x16x8xf32>, tensor<2x4x20x8xf32>, tensor<2x4x20x32xf32>) -> tensor<2x4x16x32xf32>
  return %o : tensor<2x4x16x32xf32>
}

// CHECK-LABEL: func.func @sdpa_gqa_decode_with_offset_and_key_mask
// CHECK-SAME: (%[[Q:.+]]: tensor<1x12x1x64xf32>, %[[K:.+]]: tensor<1x4x4096x64xf32>, %[[V:.+]]: tensor<1x4x4096x64xf32>, %[[PAST:.+]]: tensor<i64>, %[[PAD:.+]]: tensor<1x4096xi1>)
func.func @sdpa_gqa_decode_with_offset_and_key_mask(
    %q: tensor<1x12x1x64xf32>, %k: tensor<1x4x4096x64xf32>, %v: tensor<1x4x4096x64xf32>,
    %past: tensor<i64>, %pad: tensor<1x4096xi1>) -> tensor<1x12x1x64xf32> {
  // CHECK: attn.sdpa %[[Q]], %[[K]], %[[V]] offset(%[[PAST]]) key_mask(%[[PAD]]) {mask = #attn.window<left = inf, right = 0>, scale = 1.250000e-01 : f32}
  %o = attn.sdpa %q, %k, %v offset(%past) key_mask(%pad)
      {scale = 0.125 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x12x1x64xf32>, tensor<1x4x4096x64xf32>, tensor<1x4x4096x64xf32>,
         tensor<i64>, tensor<1x4096xi1>) -> tensor<1x12x1x64xf32>
  return %o : tensor<1x12x1x64xf32>
}

// An additive key mask: the graph's own padding values, per batch row and key.
// CHECK-LABEL: func.func @sdpa_additive_key_mask
func.func @sdpa_additive_key_mask(%q: tensor<2x4x8x16xf32>, %pad: tensor<2x8xf32>) -> tensor<2x4x8x16xf32> {
  // CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} key_mask(%{{.+}}) {scale = 2.500000e-01 : f32} : ({{.+}}, tensor<2x8xf32>) -> tensor<2x4x8x16xf32>
  %o = attn.sdpa %q, %q, %q key_mask(%pad) {scale = 0.25 : f32}
      : (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x8xf32>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// CHECK-LABEL: func.func @sdpa_dense_masks
func.func @sdpa_dense_masks(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>,
                            %v: tensor<1x2x8x4xf32>, %bias: tensor<1x1x8x8xf32>,
                            %keep: tensor<8x8xi1>, %offsets: tensor<1xi64>)
    -> (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>) {
  // CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} dense_mask(%{{.*}}) {scale = 5.000000e-01 : f32}
  %a = attn.sdpa %q, %k, %v dense_mask(%bias) {scale = 0.5 : f32}
      : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x1x8x8xf32>)
      -> tensor<1x2x8x4xf32>
  // CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} offset(%{{.*}}) dense_mask(%{{.*}})
  %b = attn.sdpa %q, %k, %v offset(%offsets) dense_mask(%keep)
      {scale = 0.5 : f32, mask = #attn.window<left = 2, right = 0>}
      : (tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1xi64>, tensor<8x8xi1>)
      -> tensor<1x2x8x4xf32>
  return %a, %b : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>
}

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<2x2xf32>, tensor<f32>) {
  // CHECK: attn.constant dense_resource<weights> : tensor<2x2xf32>
  %w = attn.constant dense_resource<weights> : tensor<2x2xf32>
  // CHECK: attn.constant dense<9.99999974E-6> : tensor<f32>
  %eps = attn.constant dense<1.0e-05> : tensor<f32>
  return %w, %eps : tensor<2x2xf32>, tensor<f32>
}

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<2x8xf32>, %b: tensor<2x8xi1>, %i: tensor<2x8xi64>) -> tensor<2x8xf32> {
  // CHECK: attn.neg %{{.*}} : tensor<2x8xf32>
  %0 = attn.neg %x : tensor<2x8xf32>
  // CHECK: attn.abs %{{.*}} : tensor<2x8xi64>
  %1 = attn.abs %i : tensor<2x8xi64>
  // CHECK: attn.relu
  %2 = attn.relu %0 : tensor<2x8xf32>
  // CHECK: attn.exp
  %3 = attn.exp %2 : tensor<2x8xf32>
  // CHECK: attn.log
  %4 = attn.log %3 : tensor<2x8xf32>
  // CHECK: attn.sqrt
  %5 = attn.sqrt %4 : tensor<2x8xf32>
  // CHECK: attn.reciprocal
  %6 = attn.reciprocal %5 : tensor<2x8xf32>
  // CHECK: attn.erf
  %7 = attn.erf %6 : tensor<2x8xf32>
  // CHECK: attn.tanh
  %8 = attn.tanh %7 : tensor<2x8xf32>
  // CHECK: attn.sigmoid
  %9 = attn.sigmoid %8 : tensor<2x8xf32>
  // CHECK: attn.sin
  %10 = attn.sin %9 : tensor<2x8xf32>
  // CHECK: attn.cos
  %11 = attn.cos %10 : tensor<2x8xf32>
  // CHECK: attn.floor
  %12 = attn.floor %11 : tensor<2x8xf32>
  // CHECK: attn.ceil
  %13 = attn.ceil %12 : tensor<2x8xf32>
  // CHECK: attn.not %{{.*}} : tensor<2x8xi1>
  %14 = attn.not %b : tensor<2x8xi1>
  // CHECK: attn.gelu %{{.*}} : tensor<2x8xf32>
  %15 = attn.gelu %13 : tensor<2x8xf32>
  // CHECK: attn.gelu %{{.*}} approximate = tanh : tensor<2x8xf32>
  %16 = attn.gelu %15 approximate = tanh : tensor<2x8xf32>
  // CHECK: attn.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64} : tensor<2x8xf32>
  %17 = attn.clip %16 {min = 0.0 : f64, max = 6.0 : f64} : tensor<2x8xf32>
  // CHECK: attn.cast %{{.*}} : tensor<2x8xi64> -> tensor<2x8xf32>
  %18 = attn.cast %1 : tensor<2x8xi64> -> tensor<2x8xf32>
  return %18 : tensor<2x8xf32>
}

// CHECK-LABEL: func.func @binary_broadcasting
func.func @binary_broadcasting(%a: tensor<2x1x8xf32>, %b: tensor<4x1xf32>,
                               %p: tensor<2x4x8xi1>, %q: tensor<8xi1>) -> tensor<2x4x8xf32> {
  // CHECK: attn.add %{{.*}}, %{{.*}} : (tensor<2x1x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xf32>
  %0 = attn.add %a, %b : (tensor<2x1x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xf32>
  // CHECK: attn.sub
  %1 = attn.sub %0, %b : (tensor<2x4x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xf32>
  // CHECK: attn.mul
  %2 = attn.mul %1, %a : (tensor<2x4x8xf32>, tensor<2x1x8xf32>) -> tensor<2x4x8xf32>
  // CHECK: attn.div
  %3 = attn.div %2, %b : (tensor<2x4x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xf32>
  // CHECK: attn.pow
  %4 = attn.pow %3, %b : (tensor<2x4x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xf32>
  // CHECK: attn.max
  %5 = attn.max %4, %a : (tensor<2x4x8xf32>, tensor<2x1x8xf32>) -> tensor<2x4x8xf32>
  // CHECK: attn.min
  %6 = attn.min %5, %a : (tensor<2x4x8xf32>, tensor<2x1x8xf32>) -> tensor<2x4x8xf32>
  // CHECK: attn.equal %{{.*}} : (tensor<2x4x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xi1>
  %7 = attn.equal %6, %b : (tensor<2x4x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xi1>
  // CHECK: attn.less
  %8 = attn.less %6, %b : (tensor<2x4x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xi1>
  // CHECK: attn.less_equal
  %9 = attn.less_equal %6, %b : (tensor<2x4x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xi1>
  // CHECK: attn.greater
  %10 = attn.greater %6, %b : (tensor<2x4x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xi1>
  // CHECK: attn.greater_equal
  %11 = attn.greater_equal %6, %b : (tensor<2x4x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xi1>
  // CHECK: attn.and
  %12 = attn.and %7, %8 : (tensor<2x4x8xi1>, tensor<2x4x8xi1>) -> tensor<2x4x8xi1>
  // CHECK: attn.or
  %13 = attn.or %12, %q : (tensor<2x4x8xi1>, tensor<8xi1>) -> tensor<2x4x8xi1>
  // CHECK: attn.xor
  %14 = attn.xor %13, %p : (tensor<2x4x8xi1>, tensor<2x4x8xi1>) -> tensor<2x4x8xi1>
  // CHECK: attn.where %{{.*}} : (tensor<2x4x8xi1>, tensor<2x4x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xf32>
  %15 = attn.where %14, %6, %b : (tensor<2x4x8xi1>, tensor<2x4x8xf32>, tensor<4x1xf32>) -> tensor<2x4x8xf32>
  return %15 : tensor<2x4x8xf32>
}

// CHECK-LABEL: func.func @linear_algebra
func.func @linear_algebra(%x: tensor<1x8x64xf32>, %w: tensor<256x64xf32>, %b: tensor<256xf32>,
                          %q: tensor<1x12x128x64xf32>, %kt: tensor<1x12x64x128xf32>,
                          %vec: tensor<64xf32>, %img: tensor<1x3x16x16xf32>,
                          %f: tensor<32x3x4x4xf32>, %fb: tensor<32xf32>,
                          %seq: tensor<1x8x20xf32>, %f1: tensor<8x4x3xf32>)
    -> (tensor<1x8x256xf32>, tensor<1x12x128x128xf32>, tensor<1x8xf32>,
        tensor<1x32x4x4xf32>, tensor<1x8x10xf32>) {
  // CHECK: attn.linear %{{.*}}, %{{.*}}, %{{.*}} {transpose_weight = true} : (tensor<1x8x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<1x8x256xf32>
  %0 = attn.linear %x, %w, %b {transpose_weight = true}
      : (tensor<1x8x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<1x8x256xf32>
  // CHECK: attn.matmul %{{.*}}, %{{.*}} : (tensor<1x12x128x64xf32>, tensor<1x12x64x128xf32>) -> tensor<1x12x128x128xf32>
  %1 = attn.matmul %q, %kt : (tensor<1x12x128x64xf32>, tensor<1x12x64x128xf32>) -> tensor<1x12x128x128xf32>
  // CHECK: attn.matmul %{{.*}}, %{{.*}} : (tensor<1x8x64xf32>, tensor<64xf32>) -> tensor<1x8xf32>
  %2 = attn.matmul %x, %vec : (tensor<1x8x64xf32>, tensor<64xf32>) -> tensor<1x8xf32>
  // CHECK: attn.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 4, 4>}
  %3 = attn.conv %img, %f, %fb {strides = array<i64: 4, 4>, pads = array<i64: 0, 0, 0, 0>,
                                dilations = array<i64: 1, 1>}
      : (tensor<1x3x16x16xf32>, tensor<32x3x4x4xf32>, tensor<32xf32>) -> tensor<1x32x4x4xf32>
  // CHECK: attn.conv %{{.*}}, %{{.*}} {dilations = array<i64: 1>, groups = 2 : i64, pads = array<i64: 1, 1>, strides = array<i64: 2>}
  %4 = attn.conv %seq, %f1 {strides = array<i64: 2>, pads = array<i64: 1, 1>,
                            dilations = array<i64: 1>, groups = 2 : i64}
      : (tensor<1x8x20xf32>, tensor<8x4x3xf32>) -> tensor<1x8x10xf32>
  return %0, %1, %2, %3, %4 : tensor<1x8x256xf32>, tensor<1x12x128x128xf32>, tensor<1x8xf32>,
                              tensor<1x32x4x4xf32>, tensor<1x8x10xf32>
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: tensor<1x128x768xf32>, %kv: tensor<1x2x1x8x16xf32>,
                         %t: tensor<3x4xf32>, %s: tensor<8x192xf32>,
                         %past: tensor<1x12x7x64xf32>, %new: tensor<1x12x1x64xf32>,
                         %table: tensor<100x32xf32>, %ids: tensor<1x8xi64>,
                         %ones: tensor<8x8xf32>) {
  // CHECK: attn.reshape %{{.*}} {shape = array<i64: 1, 128, 12, 64>} : tensor<1x128x768xf32> -> tensor<1x128x12x64xf32>
  %0 = attn.reshape %x {shape = array<i64: 1, 128, 12, 64>} : tensor<1x128x768xf32> -> tensor<1x128x12x64xf32>
  // CHECK: attn.transpose %{{.*}} {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x128x12x64xf32> -> tensor<1x12x128x64xf32>
  %1 = attn.transpose %0 {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x128x12x64xf32> -> tensor<1x12x128x64xf32>
  // CHECK: attn.broadcast_to %{{.*}} {shape = array<i64: 1, 2, 4, 8, 16>} : tensor<1x2x1x8x16xf32> -> tensor<1x2x4x8x16xf32>
  %2 = attn.broadcast_to %kv {shape = array<i64: 1, 2, 4, 8, 16>} : tensor<1x2x1x8x16xf32> -> tensor<1x2x4x8x16xf32>
  // CHECK: attn.tile %{{.*}} {repeats = array<i64: 1, 2>} : tensor<3x4xf32> -> tensor<3x8xf32>
  %3 = attn.tile %t {repeats = array<i64: 1, 2>} : tensor<3x4xf32> -> tensor<3x8xf32>
  // CHECK: attn.slice %{{.*}} {offsets = array<i64: 0, 64>, sizes = array<i64: 8, 64>, strides = array<i64: 1, 1>} : tensor<8x192xf32> -> tensor<8x64xf32>
  %4 = attn.slice %s {offsets = array<i64: 0, 64>, sizes = array<i64: 8, 64>, strides = array<i64: 1, 1>}
      : tensor<8x192xf32> -> tensor<8x64xf32>
  // CHECK: attn.slice %{{.*}} {offsets = array<i64: 7, 191>, sizes = array<i64: 4, 64>, strides = array<i64: -2, -3>}
  %5 = attn.slice %s {offsets = array<i64: 7, 191>, sizes = array<i64: 4, 64>, strides = array<i64: -2, -3>}
      : tensor<8x192xf32> -> tensor<4x64xf32>
  // CHECK: attn.concat %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<1x12x7x64xf32>, tensor<1x12x1x64xf32>) -> tensor<1x12x8x64xf32>
  %6 = attn.concat %past, %new {axis = 2 : i64}
      : (tensor<1x12x7x64xf32>, tensor<1x12x1x64xf32>) -> tensor<1x12x8x64xf32>
  // CHECK: attn.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<100x32xf32>, tensor<1x8xi64>) -> tensor<1x8x32xf32>
  %7 = attn.gather %table, %ids {axis = 0 : i64} : (tensor<100x32xf32>, tensor<1x8xi64>) -> tensor<1x8x32xf32>
  // CHECK: attn.trilu %{{.*}} {diagonal = 0 : i64, upper = false} : tensor<8x8xf32>
  %8 = attn.trilu %ones {upper = false, diagonal = 0 : i64} : tensor<8x8xf32>
  return
}

// A KV cache's append: static positions, or run-time ones.
// CHECK-LABEL: func.func @kv_append
func.func @kv_append(%past: tensor<1x4x7x16xf32>, %new: tensor<1x4x1x16xf32>,
                     %cache: tensor<1x4x?x16xf32>, %rows: tensor<1x4x?x16xf32>) {
  // CHECK: attn.kv_append %{{.*}}, %{{.*}} {axis = 2 : i64, capacity = 8 : i64} : (tensor<1x4x7x16xf32>, tensor<1x4x1x16xf32>) -> tensor<1x4x8x16xf32>
  %0 = attn.kv_append %past, %new {axis = 2 : i64, capacity = 8 : i64}
      : (tensor<1x4x7x16xf32>, tensor<1x4x1x16xf32>) -> tensor<1x4x8x16xf32>
  // CHECK: attn.kv_append %{{.*}}, %{{.*}} {axis = 2 : i64, capacity = 2048 : i64} : (tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  %1 = attn.kv_append %cache, %rows {axis = 2 : i64, capacity = 2048 : i64}
      : (tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  // CHECK: attn.kv_append %{{.*}}, %{{.*}} {axis = 2 : i64, capacity = 2048 : i64, ring = 36 : i64}
  %2 = attn.kv_append %cache, %rows {axis = 2 : i64, capacity = 2048 : i64, ring = 36 : i64}
      : (tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return
}

// A cache's last positions: a run-time count, or at most the slots.
// CHECK-LABEL: func.func @kv_window
func.func @kv_window(%cache: tensor<1x4x?x16xf32>, %held: tensor<1x4x9x16xf32>) {
  // CHECK: %{{.*}}, %{{.*}} = attn.kv_window %{{.*}} {axis = 2 : i64, slots = 36 : i64} : tensor<1x4x?x16xf32> -> (tensor<1x4x?x16xf32>, tensor<i64>)
  %0:2 = attn.kv_window %cache {axis = 2 : i64, slots = 36 : i64} : tensor<1x4x?x16xf32> -> (tensor<1x4x?x16xf32>, tensor<i64>)
  // CHECK: attn.kv_window %{{.*}} {axis = 2 : i64, slots = 4 : i64} : tensor<1x4x9x16xf32> -> (tensor<1x4x4x16xf32>, tensor<i64>)
  %1:2 = attn.kv_window %held {axis = 2 : i64, slots = 4 : i64} : tensor<1x4x9x16xf32> -> (tensor<1x4x4x16xf32>, tensor<i64>)
  return
}

// CHECK-LABEL: func.func @reductions_and_norms
func.func @reductions_and_norms(%x: tensor<1x8x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>,
                                %m: tensor<1x8xi64>) {
  // CHECK: attn.reduce_sum %{{.*}} {axes = array<i64: 2>} : tensor<1x8x64xf32> -> tensor<1x8x1xf32>
  %0 = attn.reduce_sum %x {axes = array<i64: 2>} : tensor<1x8x64xf32> -> tensor<1x8x1xf32>
  // CHECK: attn.reduce_mean %{{.*}} {axes = array<i64: 1, 2>, keepdims = false} : tensor<1x8x64xf32> -> tensor<1xf32>
  %1 = attn.reduce_mean %x {axes = array<i64: 1, 2>, keepdims = false} : tensor<1x8x64xf32> -> tensor<1xf32>
  // CHECK: attn.reduce_max
  %2 = attn.reduce_max %x {axes = array<i64: 0>} : tensor<1x8x64xf32> -> tensor<1x8x64xf32>
  // CHECK: attn.reduce_min
  %3 = attn.reduce_min %x {axes = array<i64: 0, 1, 2>, keepdims = false} : tensor<1x8x64xf32> -> tensor<f32>
  // CHECK: attn.cumsum %{{.*}} {axis = 1 : i64, exclusive = true} : tensor<1x8xi64>
  %4 = attn.cumsum %m {axis = 1 : i64, exclusive = true} : tensor<1x8xi64>
  // CHECK: attn.softmax %{{.*}} {axis = 2 : i64} : tensor<1x8x64xf32>
  %5 = attn.softmax %x {axis = 2 : i64} : tensor<1x8x64xf32>
  // CHECK: attn.log_softmax %{{.*}} {axis = 2 : i64} : tensor<1x8x64xf32>
  %6 = attn.log_softmax %x {axis = 2 : i64} : tensor<1x8x64xf32>
  // CHECK: attn.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
  %7 = attn.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<1x8x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x8x64xf32>
  // CHECK: attn.layer_norm %{{.*}}, %{{.*}} {axis = 2 : i64
  %8 = attn.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<1x8x64xf32>, tensor<64xf32>) -> tensor<1x8x64xf32>
  // CHECK: attn.rms_norm %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 9.99999997E-7 : f32}
  %9 = attn.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-06 : f32}
      : (tensor<1x8x64xf32>, tensor<64xf32>) -> tensor<1x8x64xf32>
  return
}

// Run-time dims (shapes.C2, slice.C4): a reshape keeps the input's `?`s in
// order with the same element count between them; a slice takes a `?`
// whole.
// CHECK-LABEL: func.func @run_time_dims
// CHECK: attn.reshape %{{.+}} {shape = array<i64: 1, -9223372036854775808, 4, 16>} : tensor<1x?x64xf32> -> tensor<1x?x4x16xf32>
// CHECK: attn.reshape %{{.+}} {shape = array<i64: -9223372036854775808, 64, 1>} : tensor<1x?x4x16xf32> -> tensor<?x64x1xf32>
// CHECK: attn.slice %{{.+}} {offsets = array<i64: 0, 0, 16>, sizes = array<i64: 1, -9223372036854775808, 16>, strides = array<i64: 1, 1, 1>} : tensor<1x?x64xf32> -> tensor<1x?x16xf32>
// CHECK: attn.slice %{{.+}}[%{{.+}}] {offsets = array<i64: 0, 2>, sizes = array<i64: -9223372036854775808, -9223372036854775808>, strides = array<i64: 1, 1>} : tensor<?x64xf32> -> tensor<?x?xf32>
func.func @run_time_dims(%x: tensor<1x?x64xf32>, %rows: tensor<?x64xf32>, %n: index)
    -> (tensor<?x64x1xf32>, tensor<1x?x16xf32>, tensor<?x?xf32>) {
  %heads = attn.reshape %x {shape = array<i64: 1, -9223372036854775808, 4, 16>} : tensor<1x?x64xf32> -> tensor<1x?x4x16xf32>
  %rows2 = attn.reshape %heads {shape = array<i64: -9223372036854775808, 64, 1>} : tensor<1x?x4x16xf32> -> tensor<?x64x1xf32>
  %part = attn.slice %x {offsets = array<i64: 0, 0, 16>, sizes = array<i64: 1, -9223372036854775808, 16>, strides = array<i64: 1, 1, 1>} : tensor<1x?x64xf32> -> tensor<1x?x16xf32>
  // A run-time dim taken whole beside a static one cut to a run-time count.
  %cut = attn.slice %rows[%n] {offsets = array<i64: 0, 2>, sizes = array<i64: -9223372036854775808, -9223372036854775808>, strides = array<i64: 1, 1>} : tensor<?x64xf32> -> tensor<?x?xf32>
  return %rows2, %part, %cut : tensor<?x64x1xf32>, tensor<1x?x16xf32>, tensor<?x?xf32>
}

{-#
  dialect_resources: {
    builtin: {
      weights: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// RUN: attnc-opt %s -split-input-file -verify-diagnostics
// One case per verifier error; names cite spec.md constraints where one applies.

func.func @sdpa_c1_query_not_rank_4(%q: tensor<4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+2 {{'attn.sdpa' op failed to infer returned types}}
  // expected-error @+1 {{'attn.sdpa' op expected rank-4 query, key and value, found ranks 3, 4 and 4}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32} : (tensor<4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c2_element_types_differ(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf16>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+2 {{'attn.sdpa' op failed to infer returned types}}
  // expected-error @+1 {{'attn.sdpa' op expected key element type 'f16' to match query element type 'f32'}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf16>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c2_batch_differs(%q: tensor<1x4x8x16xf32>, %k: tensor<2x4x8x16xf32>, %v: tensor<2x4x8x16xf32>) {
  // expected-error @+2 {{'attn.sdpa' op failed to infer returned types}}
  // expected-error @+1 {{'attn.sdpa' op expected query, key and value batch (1, 2, 2) to match}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c3_key_and_value_heads_differ(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+2 {{'attn.sdpa' op failed to infer returned types}}
  // expected-error @+1 {{'attn.sdpa' op expected key heads (2) to match value heads (4)}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c3_kv_heads_do_not_divide_q_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x3x8x16xf32>, %v: tensor<1x3x8x16xf32>) {
  // expected-error @+2 {{'attn.sdpa' op failed to infer returned types}}
  // expected-error @+1 {{'attn.sdpa' op expected key heads (3) to divide query heads (4)}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c4_key_and_value_lengths_differ(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x9x16xf32>) {
  // expected-error @+2 {{'attn.sdpa' op failed to infer returned types}}
  // expected-error @+1 {{'attn.sdpa' op expected key length (8) to match value length (9)}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x9x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c5_head_dims_differ(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x8xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+2 {{'attn.sdpa' op failed to infer returned types}}
  // expected-error @+1 {{'attn.sdpa' op expected key head dim (8) to match query head dim (16)}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_result_type_not_the_inferred_one(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+2 {{'attn.sdpa' op failed to infer returned types}}
  // expected-error @+1 {{'attn.sdpa' op inferred type(s) 'tensor<1x4x8x16xf32>' are incompatible with return type(s) of operation 'tensor<1x4x8x32xf32>'}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x32xf32>
  return
}

// -----

func.func @sdpa_c6_offset_shape(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %off: tensor<2xi64>) {
  // expected-error @+1 {{'attn.sdpa' op expected offset of shape [] or [1], found [2]}}
  %o = attn.sdpa %q, %k, %v offset(%off) {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<2xi64>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c7_key_mask_shape(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %km: tensor<1x1x8xi1>) {
  // expected-error @+1 {{'attn.sdpa' op expected key_mask of shape [1, 8], found [1, 1, 8]}}
  %o = attn.sdpa %q, %k, %v key_mask(%km) {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x1x8xi1>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c7_key_mask_element_type(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %km: tensor<1x8xi64>) {
  // expected-error @+1 {{'attn.sdpa' op expected key_mask element type i1 or 'f32', found 'i64'}}
  %o = attn.sdpa %q, %k, %v key_mask(%km) {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x8xi64>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c8_dense_mask_element_type(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %m: tensor<8x8xi64>) {
  // expected-error @+1 {{'attn.sdpa' op expected dense_mask element type i1 or 'f32', found 'i64'}}
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<8x8xi64>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c8_dense_mask_does_not_broadcast(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>, %m: tensor<1x8x9xf32>) {
  // expected-error @+1 {{'attn.sdpa' op expected dense_mask [1, 8, 9] to broadcast to the scores [1, 4, 8, 8]}}
  %o = attn.sdpa %q, %k, %v dense_mask(%m) {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x8x9xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c9_scale_not_finite(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{'attn.sdpa' op expected a finite scale, found INF}}
  %o = attn.sdpa %q, %k, %v {scale = 0x7F800000 : f32} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @window_negative_bound(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected a non-negative window bound or 'inf', found -1}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32, mask = #attn.window<left = -1, right = 0>} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @binary_shapes_do_not_broadcast(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{'attn.add' op failed to infer returned types}}
  // expected-error @+1 {{'attn.add' op expected broadcast-compatible operand shapes, found [2, 3], [4, 3]}}
  %r = attn.add %a, %b : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @binary_element_types_differ(%a: tensor<2x3xf32>, %b: tensor<2x3xi64>) {
  // expected-error @+2 {{'attn.mul' op failed to infer returned types}}
  // expected-error @+1 {{'attn.mul' op expected rhs element type 'i64' to match lhs element type 'f32'}}
  %r = attn.mul %a, %b : (tensor<2x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return
}

// -----

func.func @compare_result_must_be_bool(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'attn.less' op result #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<2x3xf32>'}}
  %r = attn.less %a, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @where_branch_types_differ(%c: tensor<2x3xi1>, %a: tensor<2x3xf32>, %b: tensor<f16>) {
  // expected-error @+2 {{'attn.where' op failed to infer returned types}}
  // expected-error @+1 {{'attn.where' op expected false_value element type 'f16' to match true_value element type 'f32'}}
  %r = attn.where %c, %a, %b : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<f16>) -> tensor<2x3xf32>
  return
}

// -----

func.func @where_shapes_do_not_broadcast(%c: tensor<3x2xi1>, %a: tensor<2x3xf32>, %b: tensor<f32>) {
  // expected-error @+2 {{'attn.where' op failed to infer returned types}}
  // expected-error @+1 {{'attn.where' op expected broadcast-compatible operand shapes, found [3, 2], [2, 3], []}}
  %r = attn.where %c, %a, %b : (tensor<3x2xi1>, tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @clip_min_above_max(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'attn.clip' op expected min (6.000000e+00) to be at most max (0.000000e+00)}}
  %r = attn.clip %a {min = 6.0 : f64, max = 0.0 : f64} : tensor<2x3xf32>
  return
}

// -----

func.func @unary_float_op_on_integers(%a: tensor<2xi64>) {
  // expected-error @+1 {{'attn.exp' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<2xi64>'}}
  %r = attn.exp %a : tensor<2xi64>
  return
}

// -----

func.func @cast_changes_shape(%a: tensor<2xi64>) {
  // expected-error @+1 {{'attn.cast' op all non-scalar operands/results must have the same shape and base type}}
  %r = attn.cast %a : tensor<2xi64> -> tensor<3xf32>
  return
}

// -----

func.func @matmul_scalar_operand(%a: tensor<f32>, %b: tensor<2x3xf32>) {
  // expected-error @+2 {{'attn.matmul' op failed to infer returned types}}
  // expected-error @+1 {{'attn.matmul' op expected operands of rank >= 1, found ranks 0 and 2}}
  %r = attn.matmul %a, %b : (tensor<f32>, tensor<2x3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @matmul_contraction_dims_differ(%a: tensor<4x5xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{'attn.matmul' op failed to infer returned types}}
  // expected-error @+1 {{'attn.matmul' op expected contraction dims to match, found lhs [4, 5] and rhs [4, 3]}}
  %r = attn.matmul %a, %b : (tensor<4x5xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @matmul_batch_dims_do_not_broadcast(%a: tensor<2x4x5xf32>, %b: tensor<3x5x3xf32>) {
  // expected-error @+2 {{'attn.matmul' op failed to infer returned types}}
  // expected-error @+1 {{'attn.matmul' op expected broadcast-compatible batch dims, found [2] and [3]}}
  %r = attn.matmul %a, %b : (tensor<2x4x5xf32>, tensor<3x5x3xf32>) -> tensor<2x4x3xf32>
  return
}

// -----

func.func @matmul_element_types_differ(%a: tensor<4x5xf32>, %b: tensor<5x3xf16>) {
  // expected-error @+2 {{'attn.matmul' op failed to infer returned types}}
  // expected-error @+1 {{'attn.matmul' op expected rhs element type 'f16' to match lhs element type 'f32'}}
  %r = attn.matmul %a, %b : (tensor<4x5xf32>, tensor<5x3xf16>) -> tensor<4x3xf32>
  return
}

// -----

func.func @linear_weight_not_rank_2(%x: tensor<8x64xf32>, %w: tensor<1x64x32xf32>) {
  // expected-error @+2 {{'attn.linear' op failed to infer returned types}}
  // expected-error @+1 {{'attn.linear' op expected input of rank >= 1 and a rank-2 weight, found ranks 2 and 3}}
  %r = attn.linear %x, %w : (tensor<8x64xf32>, tensor<1x64x32xf32>) -> tensor<8x32xf32>
  return
}

// -----

func.func @linear_features_differ(%x: tensor<8x64xf32>, %w: tensor<64x32xf32>) {
  // expected-error @+2 {{'attn.linear' op failed to infer returned types}}
  // expected-error @+1 {{'attn.linear' op expected input features (64) to match weight features (32)}}
  %r = attn.linear %x, %w {transpose_weight = true} : (tensor<8x64xf32>, tensor<64x32xf32>) -> tensor<8x64xf32>
  return
}

// -----

func.func @linear_bias_does_not_broadcast(%x: tensor<8x64xf32>, %w: tensor<64x32xf32>, %b: tensor<16xf32>) {
  // expected-error @+2 {{'attn.linear' op failed to infer returned types}}
  // expected-error @+1 {{'attn.linear' op expected bias [16] to broadcast to the result [8, 32]}}
  %r = attn.linear %x, %w, %b : (tensor<8x64xf32>, tensor<64x32xf32>, tensor<16xf32>) -> tensor<8x32xf32>
  return
}

// -----

func.func @conv_c1_rank_5(%x: tensor<1x2x4x4x4xf32>, %w: tensor<2x2x1x1x1xf32>) {
  // expected-error @+2 {{'attn.conv' op failed to infer returned types}}
  // expected-error @+1 {{'attn.conv' op expected input and weight of rank 3 or 4, found ranks 5 and 5}}
  %r = attn.conv %x, %w {strides = array<i64: 1, 1, 1>, pads = array<i64: 0, 0, 0, 0, 0, 0>, dilations = array<i64: 1, 1, 1>} : (tensor<1x2x4x4x4xf32>, tensor<2x2x1x1x1xf32>) -> tensor<1x2x4x4x4xf32>
  return
}

// -----

func.func @conv_attribute_lengths(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) {
  // expected-error @+2 {{'attn.conv' op failed to infer returned types}}
  // expected-error @+1 {{'attn.conv' op expected 2 strides, 2 dilations and 4 pads, found 1, 2 and 4}}
  %r = attn.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return
}

// -----

func.func @conv_zero_stride(%x: tensor<1x2x4xf32>, %w: tensor<2x2x1xf32>) {
  // expected-error @+2 {{'attn.conv' op failed to infer returned types}}
  // expected-error @+1 {{'attn.conv' op expected positive strides and dilations and non-negative pads}}
  %r = attn.conv %x, %w {strides = array<i64: 0>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<1x2x4xf32>, tensor<2x2x1xf32>) -> tensor<1x2x4xf32>
  return
}

// -----

func.func @conv_c2_groups_do_not_split_channels(%x: tensor<1x6x4xf32>, %w: tensor<4x2x1xf32>) {
  // expected-error @+2 {{'attn.conv' op failed to infer returned types}}
  // expected-error @+1 {{'attn.conv' op expected groups (2) to divide the filters (4) and input channels (6) to equal weight channels (2) times groups}}
  %r = attn.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, groups = 2 : i64} : (tensor<1x6x4xf32>, tensor<4x2x1xf32>) -> tensor<1x4x4xf32>
  return
}

// -----

func.func @conv_bias_shape(%x: tensor<1x2x4xf32>, %w: tensor<4x2x1xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{'attn.conv' op failed to infer returned types}}
  // expected-error @+1 {{'attn.conv' op expected bias of shape [4], found [2]}}
  %r = attn.conv %x, %w, %b {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<1x2x4xf32>, tensor<4x2x1xf32>, tensor<2xf32>) -> tensor<1x4x4xf32>
  return
}

// -----

func.func @conv_kernel_larger_than_input(%x: tensor<1x2x4xf32>, %w: tensor<2x2x5xf32>) {
  // expected-error @+2 {{'attn.conv' op failed to infer returned types}}
  // expected-error @+1 {{'attn.conv' op expected padded spatial dim 0 (4) to hold the dilated kernel (5)}}
  %r = attn.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>} : (tensor<1x2x4xf32>, tensor<2x2x5xf32>) -> tensor<1x2x1xf32>
  return
}

// -----

func.func @transpose_not_a_permutation(%x: tensor<1x2x3xf32>) {
  // expected-error @+2 {{'attn.transpose' op failed to infer returned types}}
  // expected-error @+1 {{'attn.transpose' op expected permutation to be a permutation of [0, 3), found [0, 2, 2]}}
  %r = attn.transpose %x {permutation = array<i64: 0, 2, 2>} : tensor<1x2x3xf32> -> tensor<1x3x3xf32>
  return
}

// -----

func.func @reshape_unresolved_dim(%x: tensor<1x2x3xf32>) {
  // expected-error @+2 {{'attn.reshape' op failed to infer returned types}}
  // expected-error @+1 {{'attn.reshape' op expected a resolved shape with non-negative dims, found [-1, 6]}}
  %r = attn.reshape %x {shape = array<i64: -1, 6>} : tensor<1x2x3xf32> -> tensor<1x6xf32>
  return
}

// -----

func.func @reshape_changes_element_count(%x: tensor<1x2x3xf32>) {
  // expected-error @+2 {{'attn.reshape' op failed to infer returned types}}
  // expected-error @+1 {{'attn.reshape' op expected shape [4, 2] to hold the input's 6 elements}}
  %r = attn.reshape %x {shape = array<i64: 4, 2>} : tensor<1x2x3xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @broadcast_to_incompatible(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'attn.broadcast_to' op failed to infer returned types}}
  // expected-error @+1 {{'attn.broadcast_to' op expected input [2, 3] to broadcast with shape [4, 1]}}
  %r = attn.broadcast_to %x {shape = array<i64: 4, 1>} : tensor<2x3xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @tile_repeat_count(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'attn.tile' op failed to infer returned types}}
  // expected-error @+1 {{'attn.tile' op expected 2 non-negative repeats, found [2]}}
  %r = attn.tile %x {repeats = array<i64: 2>} : tensor<2x3xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @slice_c1_attribute_lengths(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'attn.slice' op failed to infer returned types}}
  // expected-error @+1 {{'attn.slice' op expected 2 offsets, sizes and strides, found 1, 2 and 2}}
  %r = attn.slice %x {offsets = array<i64: 0>, sizes = array<i64: 2, 2>, strides = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_c2_zero_stride(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'attn.slice' op failed to infer returned types}}
  // expected-error @+1 {{'attn.slice' op expected a non-zero stride and a non-negative size in dim 1, found stride 0 and size 2}}
  %r = attn.slice %x {offsets = array<i64: 0, 0>, sizes = array<i64: 2, 2>, strides = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_c3_reads_out_of_bounds(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'attn.slice' op failed to infer returned types}}
  // expected-error @+1 {{'attn.slice' op expected dim 1 indices 2 to 4 to lie in [0, 3)}}
  %r = attn.slice %x {offsets = array<i64: 0, 2>, sizes = array<i64: 2, 2>, strides = array<i64: 1, 2>} : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @concat_axis_out_of_range(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+2 {{'attn.concat' op failed to infer returned types}}
  // expected-error @+1 {{'attn.concat' op expected axis in [0, 2), found 2}}
  %r = attn.concat %a, %b {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_rank_differs(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{'attn.concat' op failed to infer returned types}}
  // expected-error @+1 {{'attn.concat' op expected input 1 ('tensor<3xf32>') to have the element type and rank of input 0 ('tensor<2x3xf32>')}}
  %r = attn.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @concat_other_dims_differ(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+2 {{'attn.concat' op failed to infer returned types}}
  // expected-error @+1 {{'attn.concat' op expected input 1 [2, 4] to match input 0 outside axis 0, found [2, 3]}}
  %r = attn.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @kv_append_rows_differ(%past: tensor<1x4x?x16xf32>, %new: tensor<1x2x1x16xf32>) {
  // expected-error @+2 {{'attn.kv_append' op failed to infer returned types}}
  // expected-error @+1 {{'attn.kv_append' op expected the rows [1, 2, 1, 16] to match the cache [1, 4, ?, 16] outside axis 2}}
  %r = attn.kv_append %past, %new {axis = 2 : i64, capacity = 8 : i64} : (tensor<1x4x?x16xf32>, tensor<1x2x1x16xf32>) -> tensor<1x4x?x16xf32>
  return
}

// -----

func.func @kv_append_over_capacity(%past: tensor<1x4x7x16xf32>, %new: tensor<1x4x2x16xf32>) {
  // expected-error @+2 {{'attn.kv_append' op failed to infer returned types}}
  // expected-error @+1 {{'attn.kv_append' op expected the cache's 7 and the rows' 2 positions to fit its capacity 8}}
  %r = attn.kv_append %past, %new {axis = 2 : i64, capacity = 8 : i64} : (tensor<1x4x7x16xf32>, tensor<1x4x2x16xf32>) -> tensor<1x4x9x16xf32>
  return
}

// -----

func.func @kv_append_ring_too_small(%past: tensor<1x4x?x16xf32>, %new: tensor<1x4x4x16xf32>) {
  // expected-error @+2 {{'attn.kv_append' op failed to infer returned types}}
  // expected-error @+1 {{'attn.kv_append' op expected a ring of at least 1 slot and of room for the rows' 4 positions, found 3}}
  %r = attn.kv_append %past, %new {axis = 2 : i64, capacity = 8 : i64, ring = 3 : i64} : (tensor<1x4x?x16xf32>, tensor<1x4x4x16xf32>) -> tensor<1x4x?x16xf32>
  return
}

// -----

func.func @kv_window_no_slots(%cache: tensor<1x4x?x16xf32>) {
  // expected-error @+2 {{'attn.kv_window' op failed to infer returned types}}
  // expected-error @+1 {{'attn.kv_window' op expected a positive number of slots, found 0}}
  %r:2 = attn.kv_window %cache {axis = 2 : i64, slots = 0 : i64} : tensor<1x4x?x16xf32> -> (tensor<1x4x?x16xf32>, tensor<i64>)
  return
}

// -----

func.func @kv_window_bad_axis(%cache: tensor<1x4x?x16xf32>) {
  // expected-error @+2 {{'attn.kv_window' op failed to infer returned types}}
  // expected-error @+1 {{'attn.kv_window' op expected axis in [0, 4), found 4}}
  %r:2 = attn.kv_window %cache {axis = 4 : i64, slots = 8 : i64} : tensor<1x4x?x16xf32> -> (tensor<1x4x?x16xf32>, tensor<i64>)
  return
}

// -----

func.func @kv_append_no_capacity(%past: tensor<1x4x?x16xf32>, %new: tensor<1x4x1x16xf32>) {
  // expected-error @+2 {{'attn.kv_append' op failed to infer returned types}}
  // expected-error @+1 {{'attn.kv_append' op expected a positive capacity, found 0}}
  %r = attn.kv_append %past, %new {axis = 2 : i64, capacity = 0 : i64} : (tensor<1x4x?x16xf32>, tensor<1x4x1x16xf32>) -> tensor<1x4x?x16xf32>
  return
}

// -----

func.func @kv_append_element_types_differ(%past: tensor<1x4x?x16xf32>, %new: tensor<1x4x1x16xf16>) {
  // expected-error @+2 {{'attn.kv_append' op failed to infer returned types}}
  // expected-error @+1 {{'attn.kv_append' op expected the rows ('tensor<1x4x1x16xf16>') to have the element type and rank of the cache ('tensor<1x4x?x16xf32>')}}
  %r = attn.kv_append %past, %new {axis = 2 : i64, capacity = 8 : i64} : (tensor<1x4x?x16xf32>, tensor<1x4x1x16xf16>) -> tensor<1x4x?x16xf32>
  return
}

// -----

func.func @concat_no_inputs() {
  // expected-error @+2 {{'attn.concat' op failed to infer returned types}}
  // expected-error @+1 {{'attn.concat' op expected at least one input}}
  %r = attn.concat {axis = 0 : i64} : () -> tensor<2x3xf32>
  return
}

// -----

func.func @gather_axis_out_of_range(%t: tensor<10x4xf32>, %i: tensor<2xi64>) {
  // expected-error @+2 {{'attn.gather' op failed to infer returned types}}
  // expected-error @+1 {{'attn.gather' op expected axis in [0, 2), found 3}}
  %r = attn.gather %t, %i {axis = 3 : i64} : (tensor<10x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  return
}

// -----

func.func @gather_float_indices(%t: tensor<10x4xf32>, %i: tensor<2xf32>) {
  // expected-error @+1 {{'attn.gather' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<2xf32>'}}
  %r = attn.gather %t, %i {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @trilu_rank_1(%x: tensor<4xf32>) {
  // expected-error @+1 {{'attn.trilu' op expected an input of rank >= 2, found rank 1}}
  %r = attn.trilu %x {upper = true, diagonal = 0 : i64} : tensor<4xf32>
  return
}

// -----

func.func @reduce_axes_unsorted(%x: tensor<1x2x3xf32>) {
  // expected-error @+2 {{'attn.reduce_sum' op failed to infer returned types}}
  // expected-error @+1 {{'attn.reduce_sum' op expected sorted unique axes in [0, 3), found [2, 1]}}
  %r = attn.reduce_sum %x {axes = array<i64: 2, 1>} : tensor<1x2x3xf32> -> tensor<1x1x1xf32>
  return
}

// -----

func.func @reduce_axis_out_of_range(%x: tensor<1x2x3xf32>) {
  // expected-error @+2 {{'attn.reduce_max' op failed to infer returned types}}
  // expected-error @+1 {{'attn.reduce_max' op expected sorted unique axes in [0, 3), found [3]}}
  %r = attn.reduce_max %x {axes = array<i64: 3>} : tensor<1x2x3xf32> -> tensor<1x2x3xf32>
  return
}

// -----

func.func @cumsum_axis_out_of_range(%x: tensor<1x8xi64>) {
  // expected-error @+1 {{'attn.cumsum' op expected axis in [0, 2), found 5}}
  %r = attn.cumsum %x {axis = 5 : i64} : tensor<1x8xi64>
  return
}

// -----

func.func @softmax_axis_out_of_range(%x: tensor<1x2x8x8xf32>) {
  // expected-error @+1 {{'attn.softmax' op expected axis in [0, 4), found 4}}
  %r = attn.softmax %x {axis = 4 : i64} : tensor<1x2x8x8xf32>
  return
}

// -----

func.func @log_softmax_axis_out_of_range(%x: tensor<8xf32>) {
  // expected-error @+1 {{'attn.log_softmax' op expected axis in [0, 1), found 1}}
  %r = attn.log_softmax %x {axis = 1 : i64} : tensor<8xf32>
  return
}

// -----

func.func @layer_norm_scale_does_not_broadcast(%x: tensor<1x8x64xf32>, %g: tensor<32xf32>) {
  // expected-error @+2 {{'attn.layer_norm' op failed to infer returned types}}
  // expected-error @+1 {{'attn.layer_norm' op expected scale [32] to broadcast to the normalized dims [64]}}
  %r = attn.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<1x8x64xf32>, tensor<32xf32>) -> tensor<1x8x64xf32>
  return
}

// -----

func.func @layer_norm_axis_out_of_range(%x: tensor<1x8x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+2 {{'attn.layer_norm' op failed to infer returned types}}
  // expected-error @+1 {{'attn.layer_norm' op expected axis in [0, 3), found 3}}
  %r = attn.layer_norm %x, %g {axis = 3 : i64, epsilon = 1.0e-5 : f32} : (tensor<1x8x64xf32>, tensor<64xf32>) -> tensor<1x8x64xf32>
  return
}

// -----

func.func @layer_norm_bias_element_type(%x: tensor<1x8x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf16>) {
  // expected-error @+2 {{'attn.layer_norm' op failed to infer returned types}}
  // expected-error @+1 {{'attn.layer_norm' op expected bias element type 'f16' to match input element type 'f32'}}
  %r = attn.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<1x8x64xf32>, tensor<64xf32>, tensor<64xf16>) -> tensor<1x8x64xf32>
  return
}

// -----

func.func @rms_norm_scale_does_not_broadcast(%x: tensor<1x8x64xf32>, %g: tensor<8x64xf32>) {
  // expected-error @+2 {{'attn.rms_norm' op failed to infer returned types}}
  // expected-error @+1 {{'attn.rms_norm' op expected scale [8, 64] to broadcast to the normalized dims [64]}}
  %r = attn.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-6 : f32} : (tensor<1x8x64xf32>, tensor<8x64xf32>) -> tensor<1x8x64xf32>
  return
}


// -----

func.func @sdpa_c11_layout_swaps_heads(%q: tensor<1x8x4x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // A [B, S, H, D] query read as head-major has 8 heads, which 4 kv heads
  // divide, but 4 queries against 8 keys: the result type is wrong.
  // expected-error @+2 {{'attn.sdpa' op failed to infer returned types}}
  // expected-error @+1 {{'attn.sdpa' op inferred type(s) 'tensor<1x8x4x16xf32>' are incompatible with return type(s) of operation 'tensor<1x4x8x16xf32>'}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32, layout = #attn.layout<query = bshd, result = bshd>} : (tensor<1x8x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @sdpa_c11_layout_key_heads_mismatch(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // k read sequence-major has 8 heads of 4 keys; v has 4 heads of 8.
  // expected-error @+2 {{'attn.sdpa' op failed to infer returned types}}
  // expected-error @+1 {{'attn.sdpa' op expected key heads (8) to match value heads (4)}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32, layout = #attn.layout<key = bshd>} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @layout_c2_all_head_major(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected at least one bshd tensor: an all-bhsd sdpa has no layout attribute}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32, layout = #attn.layout<query = bhsd>} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @layout_c1_out_of_order(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected query, key, value or result, in that order, found 'query'}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32, layout = #attn.layout<key = bshd, query = bshd>} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @layout_c1_unknown_layout(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) {
  // expected-error @+1 {{expected bhsd or bshd for key, found 'bsdh'}}
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32, layout = #attn.layout<key = bsdh>} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

// The decision attributes check their own fields.
// expected-error @+1 {{expected q_block and kv_block of at least 1, found 0 and 64}}
func.func @sdpa_tiling_zero_block() attributes {attn.tiling = #attn.sdpa_tiling<q_block = 0>} {
  return
}

// -----

// expected-error @+1 {{avx512 needs vector_width 16 (512-bit vectors of f32), found 8}}
func.func @sdpa_tiling_avx512_needs_16_lanes() attributes {attn.tiling = #attn.sdpa_tiling<vector_width = 8, avx512 = true>} {
  return
}

// -----

// expected-error @+1 {{expected vector_width 0, 4, 8 or 16, found 12}}
func.func @sdpa_tiling_vector_width() attributes {attn.tiling = #attn.sdpa_tiling<vector_width = 12>} {
  return
}

// -----

// expected-error @+1 {{duplicate or unknown struct parameter name: q_blocks}}
func.func @sdpa_tiling_unknown_key() attributes {attn.tiling = #attn.sdpa_tiling<q_blocks = 8>} {
  return
}

// -----

// expected-error @+1 {{expected register_rows in [1, 16], found 17}}
func.func @matmul_tiling_register_rows() attributes {attn.tiling = #attn.matmul_tiling<vector_width = 16, register_rows = 17>} {
  return
}

// -----

// expected-error @+1 {{expected task_rows, k_block and tasks of at least 1, found 128, 0 and 16}}
func.func @matmul_tiling_positive_tasks() attributes {attn.tiling = #attn.matmul_tiling<k_block = 0>} {
  return
}

// -----

// expected-error @+1 {{expected chunk_panels of at least 0, found -1}}
func.func @matmul_tiling_negative_chunk() attributes {attn.tiling = #attn.matmul_tiling<chunk_panels = -1>} {
  return
}

// -----

func.func @reshape_moves_a_run_time_dim(%x: tensor<?x4x16xf32>) {
  // expected-error @+2 {{'attn.reshape' op failed to infer returned types}}
  // expected-error @+1 {{'attn.reshape' op expected shape [16, 4, ?] to keep the input's run-time dims in order, with the same element count between them, found input [?, 4, 16]}}
  %r = attn.reshape %x {shape = array<i64: 16, 4, -9223372036854775808>} : tensor<?x4x16xf32> -> tensor<16x4x?xf32>
  return
}

// -----

func.func @reshape_invents_a_run_time_dim(%x: tensor<2x64xf32>) {
  // expected-error @+2 {{'attn.reshape' op failed to infer returned types}}
  // expected-error @+1 {{'attn.reshape' op expected shape [2, ?] to keep the input's run-time dims in order, with the same element count between them, found input [2, 64]}}
  %r = attn.reshape %x {shape = array<i64: 2, -9223372036854775808>} : tensor<2x64xf32> -> tensor<2x?xf32>
  return
}

// -----

func.func @slice_cuts_a_run_time_dim(%x: tensor<1x?x64xf32>) {
  // expected-error @+2 {{'attn.slice' op failed to infer returned types}}
  // expected-error @+1 {{'attn.slice' op expected a run-time size in dim 1 only for a run-time dim taken whole (offset 0, stride 1) or a static dim cut at stride 1 to a dynamic size}}
  %r = attn.slice %x {offsets = array<i64: 0, 1, 0>, sizes = array<i64: 1, -9223372036854775808, 64>, strides = array<i64: 1, 1, 1>} : tensor<1x?x64xf32> -> tensor<1x?x64xf32>
  return
}

// -----

func.func @slice_count_missing(%x: tensor<1x64x64xf32>) {
  // expected-error @+2 {{'attn.slice' op failed to infer returned types}}
  // expected-error @+1 {{'attn.slice' op expected one dynamic size per '?' size of a static dim (1), found 0}}
  %r = attn.slice %x {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, -9223372036854775808, 64>, strides = array<i64: 1, 1, 1>} : tensor<1x64x64xf32> -> tensor<1x?x64xf32>
  return
}

// RUN: attnc-opt %s -attn-tile-sdpa -split-input-file -verify-diagnostics

// A tiling the op cannot use is rejected, naming the field.
func.func @vector_kernel_bad_width(%q: tensor<1x1x8x12xf32>, %k: tensor<1x1x8x12xf32>, %v: tensor<1x1x8x12xf32>)
    -> tensor<1x1x8x12xf32> {
  // expected-error @+1 {{attn-tile-sdpa: the vector kernel needs head sizes (12, 12) that are multiples of vector_width 8}}
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, attn.tiling = #attn.sdpa_tiling<vector_width = 8>}
      : (tensor<1x1x8x12xf32>, tensor<1x1x8x12xf32>, tensor<1x1x8x12xf32>) -> tensor<1x1x8x12xf32>
  return %o : tensor<1x1x8x12xf32>
}

// -----

// The attribute must be an #attn.sdpa_tiling (its own verifier checks its
// fields: test/dialects/attn/invalid.mlir).
func.func @tiling_of_another_kind(%q: tensor<1x1x8x8xf32>, %k: tensor<1x1x8x8xf32>, %v: tensor<1x1x8x8xf32>)
    -> tensor<1x1x8x8xf32> {
  // expected-error @+1 {{'attn.tiling' must be an #attn.sdpa_tiling, got 64 : i64}}
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, attn.tiling = 64}
      : (tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32>
  return %o : tensor<1x1x8x8xf32>
}

// -----

// The two size classes of run-time lengths share one vector width.
func.func @decode_tiling_other_width(%q: tensor<1x1x?x16xf32>, %k: tensor<1x1x?x16xf32>)
    -> tensor<1x1x?x16xf32> {
  // expected-error @+1 {{attn-tile-sdpa: 'attn.decode_tiling' must use the same vector_width as 'attn.tiling'}}
  %o = attn.sdpa %q, %k, %k {scale = 0.25 : f32,
      attn.tiling = #attn.sdpa_tiling<vector_width = 16, register_rows = 4, register_column_vectors = 1>,
      attn.decode_tiling = #attn.sdpa_tiling<q_block = 1, vector_width = 8, register_rows = 1, register_column_vectors = 1>}
      : (tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>) -> tensor<1x1x?x16xf32>
  return %o : tensor<1x1x?x16xf32>
}

// -----

// 'attn.decode_tiling' is checked like 'attn.tiling'.
func.func @decode_tiling_of_another_kind(%q: tensor<1x1x?x16xf32>, %k: tensor<1x1x?x16xf32>)
    -> tensor<1x1x?x16xf32> {
  // expected-error @+1 {{'attn.decode_tiling' must be an #attn.sdpa_tiling, got 1 : i64}}
  %o = attn.sdpa %q, %k, %k {scale = 0.25 : f32,
      attn.tiling = #attn.sdpa_tiling<vector_width = 16, register_rows = 4, register_column_vectors = 1>,
      attn.decode_tiling = 1}
      : (tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>) -> tensor<1x1x?x16xf32>
  return %o : tensor<1x1x?x16xf32>
}

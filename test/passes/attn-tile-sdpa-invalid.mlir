// RUN: attnc-opt %s -attn-tile-sdpa -split-input-file -verify-diagnostics

// A tiling the op cannot use is rejected, naming the field.
func.func @vector_kernel_bad_width(%q: tensor<1x1x8x12xf32>, %k: tensor<1x1x8x12xf32>, %v: tensor<1x1x8x12xf32>)
    -> tensor<1x1x8x12xf32> {
  // expected-error @+1 {{attn-tile-sdpa: the vector kernel needs head sizes (12, 12) that are multiples of vector_width 8}}
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, "attn.tiling" = {vector_width = 8}}
      : (tensor<1x1x8x12xf32>, tensor<1x1x8x12xf32>, tensor<1x1x8x12xf32>) -> tensor<1x1x8x12xf32>
  return %o : tensor<1x1x8x12xf32>
}

// -----

// The attribute must be a dictionary of known keys with integer values.
func.func @tiling_unknown_key(%q: tensor<1x1x8x8xf32>, %k: tensor<1x1x8x8xf32>, %v: tensor<1x1x8x8xf32>)
    -> tensor<1x1x8x8xf32> {
  // expected-error @+1 {{'attn.tiling' has an unknown key 'q_blocks'}}
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, "attn.tiling" = {q_blocks = 8}}
      : (tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32>
  return %o : tensor<1x1x8x8xf32>
}

// -----

func.func @tiling_zero_block(%q: tensor<1x1x8x8xf32>, %k: tensor<1x1x8x8xf32>, %v: tensor<1x1x8x8xf32>)
    -> tensor<1x1x8x8xf32> {
  // expected-error @+1 {{attn-tile-sdpa: block sizes must be at least 1, got q-block 0 and kv-block 64}}
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, "attn.tiling" = {q_block = 0}}
      : (tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32>
  return %o : tensor<1x1x8x8xf32>
}

// -----

func.func @tiling_not_a_dictionary(%q: tensor<1x1x8x8xf32>, %k: tensor<1x1x8x8xf32>, %v: tensor<1x1x8x8xf32>)
    -> tensor<1x1x8x8xf32> {
  // expected-error @+1 {{'attn.tiling' must be a dictionary, got 64 : i64}}
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, "attn.tiling" = 64}
      : (tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32>
  return %o : tensor<1x1x8x8xf32>
}

// -----

// AVX-512's instructions work on 16 f32 lanes.
func.func @avx512_needs_16_lanes(%q: tensor<1x1x8x8xf32>, %k: tensor<1x1x8x8xf32>, %v: tensor<1x1x8x8xf32>)
    -> tensor<1x1x8x8xf32> {
  // expected-error @+1 {{attn-tile-sdpa: avx512 needs vector_width 16 (512-bit vectors of f32), got 8}}
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, "attn.tiling" = {vector_width = 8, avx512 = 1}}
      : (tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32>
  return %o : tensor<1x1x8x8xf32>
}

// -----

func.func @avx512_is_a_flag(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x16xf32>)
    -> tensor<1x1x8x16xf32> {
  // expected-error @+1 {{attn-tile-sdpa: avx512 must be 0 or 1, got 2}}
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, "attn.tiling" = {vector_width = 16, avx512 = 2}}
      : (tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x1x8x16xf32>
  return %o : tensor<1x1x8x16xf32>
}

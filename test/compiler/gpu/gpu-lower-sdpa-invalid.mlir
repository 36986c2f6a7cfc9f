// RUN: attnc-opt %s -split-input-file -gpu-lower-sdpa -verify-diagnostics

func.func @offset(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>, %p: tensor<i64>) -> tensor<1x2x1x8xf32> {
  // expected-error @below {{is not supported by the CUDA backend yet: a query offset (KV-cache decoding)}}
  %o = attn.sdpa %q, %k, %v offset(%p) {scale = 0.5 : f32} : (tensor<1x2x1x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<i64>) -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

func.func @key_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>, %m: tensor<1x16xi1>) -> tensor<1x2x4x8xf32> {
  // expected-error @below {{is not supported by the CUDA backend yet: a key mask}}
  %o = attn.sdpa %q, %k, %v key_mask(%m) {scale = 0.5 : f32} : (tensor<1x2x4x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x16xi1>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

func.func @run_time_dims(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @below {{is not supported by the CUDA backend yet: run-time dims}}
  %o = attn.sdpa %q, %k, %v {scale = 0.5 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

func.func @half(%q: tensor<1x2x4x8xf16>, %k: tensor<1x2x16x8xf16>, %v: tensor<1x2x16x8xf16>) -> tensor<1x2x4x8xf16> {
  // expected-error @below {{is not supported by the CUDA backend yet: element type 16-bit (only f32 so far)}}
  %o = attn.sdpa %q, %k, %v {scale = 0.5 : f32} : (tensor<1x2x4x8xf16>, tensor<1x2x16x8xf16>, tensor<1x2x16x8xf16>) -> tensor<1x2x4x8xf16>
  return %o : tensor<1x2x4x8xf16>
}

// RUN: attnc-opt %s -split-input-file -attn-absorb-head-layout=explain=true -verify-diagnostics -o /dev/null

// With `explain`, why a Transpose around an attn.sdpa stays, or why heads
// folded into the batch stay folded, as remarks at the attn.sdpa.

func.func @shared_transposes_stay(%q: tensor<1x8x4x16xf32>, %k: tensor<1x8x4x16xf32>, %v: tensor<1x8x4x16xf32>)
    -> (tensor<1x8x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) {
  %qt = attn.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  %kt = attn.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  %vt = attn.transpose %v {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  // expected-remark @+3 {{attn-absorb-head-layout: already has a layout}}
  // expected-remark @+2 {{attn-absorb-head-layout: no operand is a head/sequence Transpose of its own}}
  // expected-remark @+1 {{attn-absorb-head-layout: the result has other uses than one Transpose}}
  %o = attn.sdpa %qt, %kt, %vt {scale = 0.25 : f32}
      : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %ot = attn.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x4x8x16xf32> -> tensor<1x8x4x16xf32>
  return %ot, %kt, %o : tensor<1x8x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
}

// -----

func.func @other_permutation(%q: tensor<1x4x16x8xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<4x1x8x16xf32> {
  %qt = attn.transpose %q {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x16x8xf32> -> tensor<1x4x8x16xf32>
  // expected-remark @+3 {{attn-absorb-head-layout: has heads of its own}}
  // expected-remark @+2 {{attn-absorb-head-layout: no operand is a head/sequence Transpose of its own}}
  // expected-remark @+1 {{attn-absorb-head-layout: the result is not a head/sequence Transpose}}
  %o = attn.sdpa %qt, %k, %v {scale = 1.0 : f32}
      : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %ot = attn.transpose %o {permutation = array<i64: 1, 0, 2, 3>} : tensor<1x4x8x16xf32> -> tensor<4x1x8x16xf32>
  return %ot : tensor<4x1x8x16xf32>
}

// -----

func.func @folded_key_mask_stays(%q: tensor<2x4x8x16xf32>, %keep: tensor<8x8xi1>) -> tensor<8x1x8x16xf32> {
  %qf = attn.reshape %q {shape = array<i64: 8, 1, 8, 16>} : tensor<2x4x8x16xf32> -> tensor<8x1x8x16xf32>
  // expected-remark @+3 {{attn-absorb-head-layout: its key mask is per folded batch row}}
  // expected-remark @+2 {{attn-absorb-head-layout: no operand is a head/sequence Transpose of its own}}
  // expected-remark @+1 {{attn-absorb-head-layout: the result is not a head/sequence Transpose}}
  %o = attn.sdpa %qf, %qf, %qf key_mask(%keep) {scale = 1.0 : f32}
      : (tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8x8xi1>) -> tensor<8x1x8x16xf32>
  return %o : tensor<8x1x8x16xf32>
}

// -----

func.func @folded_head_counts_differ(%q: tensor<2x4x8x16xf32>, %k: tensor<4x2x8x16xf32>) -> tensor<8x1x8x16xf32> {
  %qf = attn.reshape %q {shape = array<i64: 8, 1, 8, 16>} : tensor<2x4x8x16xf32> -> tensor<8x1x8x16xf32>
  %kf = attn.reshape %k {shape = array<i64: 8, 1, 8, 16>} : tensor<4x2x8x16xf32> -> tensor<8x1x8x16xf32>
  // expected-remark @+3 {{attn-absorb-head-layout: q, k and v fold different heads}}
  // expected-remark @+2 {{attn-absorb-head-layout: no operand is a head/sequence Transpose of its own}}
  // expected-remark @+1 {{attn-absorb-head-layout: the result is not a head/sequence Transpose}}
  %o = attn.sdpa %qf, %kf, %kf {scale = 1.0 : f32}
      : (tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>) -> tensor<8x1x8x16xf32>
  return %o : tensor<8x1x8x16xf32>
}

// -----

func.func @folded_heads_not_views(%q: tensor<8x1x8x16xf32>, %k: tensor<2x4x8x16xf32>) -> tensor<8x1x8x16xf32> {
  %kf = attn.reshape %k {shape = array<i64: 8, 1, 8, 16>} : tensor<2x4x8x16xf32> -> tensor<8x1x8x16xf32>
  // expected-remark @+3 {{attn-absorb-head-layout: q, k, v are not all [B·H, 1, L, D] views}}
  // expected-remark @+2 {{attn-absorb-head-layout: no operand is a head/sequence Transpose of its own}}
  // expected-remark @+1 {{attn-absorb-head-layout: the result is not a head/sequence Transpose}}
  %o = attn.sdpa %q, %kf, %kf {scale = 1.0 : f32}
      : (tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>) -> tensor<8x1x8x16xf32>
  return %o : tensor<8x1x8x16xf32>
}

// -----

func.func @folded_offset_per_row(%q: tensor<2x4x8x16xf32>, %off: tensor<8xi64>) -> tensor<8x1x8x16xf32> {
  %qf = attn.reshape %q {shape = array<i64: 8, 1, 8, 16>} : tensor<2x4x8x16xf32> -> tensor<8x1x8x16xf32>
  // expected-remark @+3 {{attn-absorb-head-layout: its offset is per folded batch row}}
  // expected-remark @+2 {{attn-absorb-head-layout: no operand is a head/sequence Transpose of its own}}
  // expected-remark @+1 {{attn-absorb-head-layout: the result is not a head/sequence Transpose}}
  %o = attn.sdpa %qf, %qf, %qf offset(%off) {mask = #attn.window<left = inf, right = 0>, scale = 1.0 : f32}
      : (tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8xi64>) -> tensor<8x1x8x16xf32>
  return %o : tensor<8x1x8x16xf32>
}

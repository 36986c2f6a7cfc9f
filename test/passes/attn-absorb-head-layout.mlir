// RUN: attnc-opt %s -attn-absorb-head-layout -split-input-file | FileCheck %s

// The exporter's multi-head layout: q, k, v Transposed from [B, S, H, D]
// and the output Transposed back. All four Transposes fold into the op.
// CHECK-LABEL: func.func @all_four
// CHECK-SAME: (%[[Q:.+]]: tensor<1x8x4x16xf32>, %[[K:.+]]: tensor<1x8x4x16xf32>, %[[V:.+]]: tensor<1x8x4x16xf32>)
// CHECK-NOT: attn.transpose
// CHECK: %[[O:.+]] = attn.sdpa %[[Q]], %[[K]], %[[V]] {layout = #attn.layout<query = bshd, key = bshd, value = bshd, result = bshd>, mask = #attn.window<left = inf, right = 0>, scale = 2.500000e-01 : f32} : (tensor<1x8x4x16xf32>, tensor<1x8x4x16xf32>, tensor<1x8x4x16xf32>) -> tensor<1x8x4x16xf32>
// CHECK-NOT: attn.transpose
// CHECK: return %[[O]]
func.func @all_four(%q: tensor<1x8x4x16xf32>, %k: tensor<1x8x4x16xf32>, %v: tensor<1x8x4x16xf32>) -> tensor<1x8x4x16xf32> {
  %qt = attn.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  %kt = attn.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  %vt = attn.transpose %v {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  %o = attn.sdpa %qt, %kt, %vt {scale = 0.25 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %ot = attn.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x4x8x16xf32> -> tensor<1x8x4x16xf32>
  return %ot : tensor<1x8x4x16xf32>
}

// -----

// Grouped-query heads (Hq = 4, Hkv = 2), masks and offset kept as they are.
// CHECK-LABEL: func.func @grouped_query_with_masks
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} offset(%{{.+}}) key_mask(%{{.+}}) {layout = #attn.layout<query = bshd, key = bshd, value = bshd>, scale = 1.000000e+00 : f32} : (tensor<2x8x4x16xf32>, tensor<2x12x2x16xf32>, tensor<2x12x2x16xf32>, tensor<i64>, tensor<2x12xi1>) -> tensor<2x4x8x16xf32>
func.func @grouped_query_with_masks(%q: tensor<2x8x4x16xf32>, %k: tensor<2x12x2x16xf32>, %v: tensor<2x12x2x16xf32>,
                                    %off: tensor<i64>, %keep: tensor<2x12xi1>) -> tensor<2x4x8x16xf32> {
  %qt = attn.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x8x4x16xf32> -> tensor<2x4x8x16xf32>
  %kt = attn.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x12x2x16xf32> -> tensor<2x2x12x16xf32>
  %vt = attn.transpose %v {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x12x2x16xf32> -> tensor<2x2x12x16xf32>
  %o = attn.sdpa %qt, %kt, %vt offset(%off) key_mask(%keep) {scale = 1.0 : f32}
      : (tensor<2x4x8x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x16xf32>, tensor<i64>, tensor<2x12xi1>) -> tensor<2x4x8x16xf32>
  return %o : tensor<2x4x8x16xf32>
}

// -----

// A Transpose someone else also reads stays (absorbing it saves nothing);
// so does the result's when the result has another use.
// CHECK-LABEL: func.func @shared_transposes_stay
// CHECK: %[[KT:.+]] = attn.transpose
// CHECK: %[[O:.+]] = attn.sdpa %{{.+}}, %[[KT]], %{{.+}} {layout = #attn.layout<query = bshd, value = bshd>, scale
// CHECK: attn.transpose %[[O]]
func.func @shared_transposes_stay(%q: tensor<1x8x4x16xf32>, %k: tensor<1x8x4x16xf32>, %v: tensor<1x8x4x16xf32>)
    -> (tensor<1x8x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) {
  %qt = attn.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  %kt = attn.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  %vt = attn.transpose %v {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  %o = attn.sdpa %qt, %kt, %vt {scale = 0.25 : f32}
      : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %ot = attn.transpose %o {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x4x8x16xf32> -> tensor<1x8x4x16xf32>
  return %ot, %kt, %o : tensor<1x8x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
}

// -----

// Other permutations are not the head/sequence swap: nothing changes.
// CHECK-LABEL: func.func @other_permutation
// CHECK: attn.transpose %{{.+}} {permutation = array<i64: 0, 1, 3, 2>}
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {scale = 1.000000e+00 : f32}
// CHECK: attn.transpose %{{.+}} {permutation = array<i64: 1, 0, 2, 3>}
func.func @other_permutation(%q: tensor<1x4x16x8xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<4x1x8x16xf32> {
  %qt = attn.transpose %q {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x16x8xf32> -> tensor<1x4x8x16xf32>
  %o = attn.sdpa %qt, %k, %v {scale = 1.0 : f32}
      : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %ot = attn.transpose %o {permutation = array<i64: 1, 0, 2, 3>} : tensor<1x4x8x16xf32> -> tensor<4x1x8x16xf32>
  return %ot : tensor<4x1x8x16xf32>
}

// -----

// A Transpose of a sequence-major operand makes it head-major again; with
// no sequence-major tensor left, the attribute goes (layout.C2).
// CHECK-LABEL: func.func @flip_back
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {scale = 1.000000e+00 : f32} : (tensor<1x4x8x16xf32>
func.func @flip_back(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %qt = attn.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x4x8x16xf32> -> tensor<1x8x4x16xf32>
  %o = attn.sdpa %qt, %k, %v {scale = 1.0 : f32, layout = #attn.layout<query = bshd>}
      : (tensor<1x8x4x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

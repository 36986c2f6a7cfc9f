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

// -----

// Heads folded into the batch: the sdpa runs over [B·H, 1, L, D] Reshapes
// of [B, H, L, D] tensors. Unfolded, it has its 4 real heads; a per-row
// dense mask [B·H, 1, S, T] is reshaped alike, and the Reshape back to the
// folded result is what the graph reads.
// CHECK-LABEL: func.func @heads_folded_into_batch
// CHECK-SAME: (%[[Q:.+]]: tensor<2x4x8x16xf32>, %[[K:.+]]: tensor<2x4x6x16xf32>, %[[V:.+]]: tensor<2x4x6x16xf32>, %[[M:.+]]: tensor<8x1x8x6xf32>)
// CHECK: %[[M4:.+]] = attn.reshape %[[M]] {shape = array<i64: 2, 4, 8, 6>}
// CHECK: %[[O:.+]] = attn.sdpa %[[Q]], %[[K]], %[[V]] dense_mask(%[[M4]]) {mask = #attn.window<left = inf, right = 0>, scale = 2.500000e-01 : f32} : (tensor<2x4x8x16xf32>, tensor<2x4x6x16xf32>, tensor<2x4x6x16xf32>, tensor<2x4x8x6xf32>) -> tensor<2x4x8x16xf32>
// CHECK: %[[F:.+]] = attn.reshape %[[O]] {shape = array<i64: 8, 1, 8, 16>}
// CHECK: return %[[F]]
func.func @heads_folded_into_batch(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x6x16xf32>, %v: tensor<2x4x6x16xf32>,
                                   %m: tensor<8x1x8x6xf32>) -> tensor<8x1x8x16xf32> {
  %qf = attn.reshape %q {shape = array<i64: 8, 1, 8, 16>} : tensor<2x4x8x16xf32> -> tensor<8x1x8x16xf32>
  %kf = attn.reshape %k {shape = array<i64: 8, 1, 6, 16>} : tensor<2x4x6x16xf32> -> tensor<8x1x6x16xf32>
  %vf = attn.reshape %v {shape = array<i64: 8, 1, 6, 16>} : tensor<2x4x6x16xf32> -> tensor<8x1x6x16xf32>
  %o = attn.sdpa %qf, %kf, %vf dense_mask(%m) {scale = 0.25 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<8x1x8x16xf32>, tensor<8x1x6x16xf32>, tensor<8x1x6x16xf32>, tensor<8x1x8x6xf32>) -> tensor<8x1x8x16xf32>
  return %o : tensor<8x1x8x16xf32>
}

// -----

// Unfolded, then the head Transposes go too: q, k, v and the result end
// up read in the graph's [B, S, H, D].
// CHECK-LABEL: func.func @heads_folded_then_absorbed
// CHECK-NOT: attn.transpose
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {layout = #attn.layout<query = bshd, key = bshd, value = bshd, result = bshd>, scale = 2.500000e-01 : f32} : (tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>, tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32>
// CHECK-NOT: attn.transpose
func.func @heads_folded_then_absorbed(%q: tensor<2x8x4x16xf32>, %k: tensor<2x8x4x16xf32>, %v: tensor<2x8x4x16xf32>) -> tensor<2x8x4x16xf32> {
  %qt = attn.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x8x4x16xf32> -> tensor<2x4x8x16xf32>
  %kt = attn.transpose %k {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x8x4x16xf32> -> tensor<2x4x8x16xf32>
  %vt = attn.transpose %v {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x8x4x16xf32> -> tensor<2x4x8x16xf32>
  %qf = attn.reshape %qt {shape = array<i64: 8, 1, 8, 16>} : tensor<2x4x8x16xf32> -> tensor<8x1x8x16xf32>
  %kf = attn.reshape %kt {shape = array<i64: 8, 1, 8, 16>} : tensor<2x4x8x16xf32> -> tensor<8x1x8x16xf32>
  %vf = attn.reshape %vt {shape = array<i64: 8, 1, 8, 16>} : tensor<2x4x8x16xf32> -> tensor<8x1x8x16xf32>
  %o = attn.sdpa %qf, %kf, %vf {scale = 0.25 : f32}
      : (tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>) -> tensor<8x1x8x16xf32>
  %o4 = attn.reshape %o {shape = array<i64: 2, 4, 8, 16>} : tensor<8x1x8x16xf32> -> tensor<2x4x8x16xf32>
  %ot = attn.transpose %o4 {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x4x8x16xf32> -> tensor<2x8x4x16xf32>
  return %ot : tensor<2x8x4x16xf32>
}

// -----

// A key mask per folded batch row, or q and k folding different head
// counts, keep the folded op.
// CHECK-LABEL: func.func @folded_key_mask_stays
// CHECK: attn.sdpa {{.+}} key_mask(%{{.+}}) {scale = 1.000000e+00 : f32} : (tensor<8x1x8x16xf32>
// CHECK-LABEL: func.func @folded_head_counts_differ
// CHECK: attn.sdpa {{.+}} : (tensor<8x1x8x16xf32>
func.func @folded_key_mask_stays(%q: tensor<2x4x8x16xf32>, %keep: tensor<8x8xi1>) -> tensor<8x1x8x16xf32> {
  %qf = attn.reshape %q {shape = array<i64: 8, 1, 8, 16>} : tensor<2x4x8x16xf32> -> tensor<8x1x8x16xf32>
  %o = attn.sdpa %qf, %qf, %qf key_mask(%keep) {scale = 1.0 : f32}
      : (tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8x8xi1>) -> tensor<8x1x8x16xf32>
  return %o : tensor<8x1x8x16xf32>
}
func.func @folded_head_counts_differ(%q: tensor<2x4x8x16xf32>, %k: tensor<4x2x8x16xf32>) -> tensor<8x1x8x16xf32> {
  %qf = attn.reshape %q {shape = array<i64: 8, 1, 8, 16>} : tensor<2x4x8x16xf32> -> tensor<8x1x8x16xf32>
  %kf = attn.reshape %k {shape = array<i64: 8, 1, 8, 16>} : tensor<4x2x8x16xf32> -> tensor<8x1x8x16xf32>
  %o = attn.sdpa %qf, %kf, %kf {scale = 1.0 : f32}
      : (tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>) -> tensor<8x1x8x16xf32>
  return %o : tensor<8x1x8x16xf32>
}

// -----

// torch's MHA repeats a [B, T] key padding mask per head over the folded
// rows ([B, 1, 1, T] expanded to [B, H, 1, T], viewed as [B·H, T]): the
// same for every head of a batch row, so the op unfolds and its key mask
// becomes [B, T] again.
// CHECK-LABEL: func.func @key_mask_repeated_per_head
// CHECK-SAME: (%[[Q:.+]]: tensor<2x4x8x16xf32>, %[[PAD:.+]]: tensor<2x8xi1>)
// CHECK: %[[P4:.+]] = attn.reshape %[[PAD]] {shape = array<i64: 2, 1, 1, 8>}
// CHECK: %[[KEEP:.+]] = attn.not %[[P4]] : tensor<2x1x1x8xi1>
// CHECK: %[[K2:.+]] = attn.reshape %[[KEEP]] {shape = array<i64: 2, 8>}
// CHECK: attn.sdpa %[[Q]], %[[Q]], %[[Q]] key_mask(%[[K2]]) {scale = 1.000000e+00 : f32} : (tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x16xf32>, tensor<2x8xi1>)
func.func @key_mask_repeated_per_head(%q: tensor<2x4x8x16xf32>, %pad: tensor<2x8xi1>) -> tensor<8x1x8x16xf32> {
  %qf = attn.reshape %q {shape = array<i64: 8, 1, 8, 16>} : tensor<2x4x8x16xf32> -> tensor<8x1x8x16xf32>
  %p4 = attn.reshape %pad {shape = array<i64: 2, 1, 1, 8>} : tensor<2x8xi1> -> tensor<2x1x1x8xi1>
  %ph = attn.broadcast_to %p4 {shape = array<i64: 2, 4, 1, 8>} : tensor<2x1x1x8xi1> -> tensor<2x4x1x8xi1>
  %pf = attn.reshape %ph {shape = array<i64: 8, 1, 8>} : tensor<2x4x1x8xi1> -> tensor<8x1x8xi1>
  %keep = attn.not %pf : tensor<8x1x8xi1>
  %km = attn.reshape %keep {shape = array<i64: 8, 8>} : tensor<8x1x8xi1> -> tensor<8x8xi1>
  %o = attn.sdpa %qf, %qf, %qf key_mask(%km) {scale = 1.0 : f32}
      : (tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8x1x8x16xf32>, tensor<8x8xi1>) -> tensor<8x1x8x16xf32>
  return %o : tensor<8x1x8x16xf32>
}

// -----

// torch's nn.MultiheadAttention folds heads from [L, B, H·D] projections:
// reshape to [L, B·H, D], transpose [1, 0, 2]. Unfolded to [B, H, L, D]
// by one Reshape and one Transpose each (the graph's own Transposes are
// left unused), so the op has its 4 heads.
// CHECK-LABEL: func.func @heads_folded_sequence_first
// CHECK-SAME: (%[[X:.+]]: tensor<7x2x32xf32>)
// CHECK-COUNT-3: attn.transpose %{{.+}} {permutation = array<i64: 1, 2, 0, 3>} : tensor<7x2x4x8xf32> -> tensor<2x4x7x8xf32>
// CHECK: %[[O:.+]] = attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} {scale = 1.000000e+00 : f32} : (tensor<2x4x7x8xf32>, tensor<2x4x7x8xf32>, tensor<2x4x7x8xf32>) -> tensor<2x4x7x8xf32>
// CHECK: attn.reshape %[[O]] {shape = array<i64: 8, 1, 7, 8>}
func.func @heads_folded_sequence_first(%x: tensor<7x2x32xf32>) -> tensor<8x1x7x8xf32> {
  %s = attn.reshape %x {shape = array<i64: 7, 8, 8>} : tensor<7x2x32xf32> -> tensor<7x8x8xf32>
  %t = attn.transpose %s {permutation = array<i64: 1, 0, 2>} : tensor<7x8x8xf32> -> tensor<8x7x8xf32>
  %f = attn.reshape %t {shape = array<i64: 8, 1, 7, 8>} : tensor<8x7x8xf32> -> tensor<8x1x7x8xf32>
  %o = attn.sdpa %f, %f, %f {scale = 1.0 : f32}
      : (tensor<8x1x7x8xf32>, tensor<8x1x7x8xf32>, tensor<8x1x7x8xf32>) -> tensor<8x1x7x8xf32>
  return %o : tensor<8x1x7x8xf32>
}

// RUN: attnc-opt %s -attn-fuse-sdpa -split-input-file | FileCheck %s

// GPT-2 style: K transposed by Transpose, Div scale on the scores, causal
// Where with -inf. The boolean mask becomes an exact additive dense mask;
// transposing kᵀ back cancels the exporter's Transpose.
// CHECK-LABEL: func.func @transpose_div_where
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>, %[[C:[^:]+]]: tensor<4x4xi1>)
// CHECK: %[[BIAS:.+]] = attn.where %[[C]], %{{.+}}, %{{.+}} : (tensor<4x4xi1>, tensor<f32>, tensor<f32>) -> tensor<4x4xf32>
// CHECK: %[[O:.+]] = attn.sdpa %[[Q]], %[[K]], %[[V]] dense_mask(%[[BIAS]]) {scale = 1.250000e-01 : f32}
// CHECK: return %[[O]]
// CHECK-NOT: attn.softmax
func.func @transpose_div_where(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>,
                               %c: tensor<4x4xi1>) -> tensor<1x2x4x8xf32> {
  %eight = attn.constant dense<8.0> : tensor<f32>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %kt = attn.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x2x4x8xf32> -> tensor<1x2x8x4xf32>
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %d = attn.div %s, %eight : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %m = attn.where %c, %d, %ninf : (tensor<4x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = attn.softmax %m {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Scale on q and on k (Whisper style), an additive mask added after the
// product; no Transpose: kᵀ comes straight from a matmul.
// CHECK-LABEL: func.func @scaled_q_and_k_additive_mask
// CHECK-SAME: %[[MASK:[^:]+]]: tensor<1x1x4x4xf32>
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} dense_mask(%[[MASK]]) {scale = 2.500000e-01 : f32}
func.func @scaled_q_and_k_additive_mask(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>,
                                        %v: tensor<1x2x4x8xf32>, %mask: tensor<1x1x4x4xf32>)
    -> tensor<1x2x4x8xf32> {
  %half = attn.constant dense<0.5> : tensor<f32>
  %qs = attn.mul %q, %half : (tensor<1x2x4x8xf32>, tensor<f32>) -> tensor<1x2x4x8xf32>
  %ks = attn.mul %half, %kt : (tensor<f32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  %s = attn.matmul %qs, %ks : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %m = attn.add %s, %mask : (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = attn.softmax %m {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A scale outside the mask add scales the mask too (baddbmm-like order).
// CHECK-LABEL: func.func @scale_after_mask
// CHECK-SAME: %[[MASK:[^:]+]]: tensor<4x4xf32>
// CHECK: %[[SCALED:.+]] = attn.mul %[[MASK]], %{{.+}} : (tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
// CHECK: attn.sdpa {{.+}} dense_mask(%[[SCALED]]) {scale = 5.000000e-01 : f32}
func.func @scale_after_mask(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>,
                            %v: tensor<1x2x4x8xf32>, %mask: tensor<4x4xf32>) -> tensor<1x2x4x8xf32> {
  %half = attn.constant dense<0.5> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %m = attn.add %mask, %s : (tensor<4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %x = attn.mul %m, %half : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = attn.softmax %x {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Softmax written out: exp(x - max) * reciprocal(sum) is raised first.
// CHECK-LABEL: func.func @manual_softmax
// CHECK: attn.sdpa
// CHECK-NOT: attn.exp
func.func @manual_softmax(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>)
    -> tensor<1x2x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %max = attn.reduce_max %s {axes = array<i64: 3>} : tensor<1x2x4x4xf32> -> tensor<1x2x4x1xf32>
  %sh = attn.sub %s, %max : (tensor<1x2x4x4xf32>, tensor<1x2x4x1xf32>) -> tensor<1x2x4x4xf32>
  %e = attn.exp %sh : tensor<1x2x4x4xf32>
  %sum = attn.reduce_sum %e {axes = array<i64: 3>} : tensor<1x2x4x4xf32> -> tensor<1x2x4x1xf32>
  %r = attn.reciprocal %sum : tensor<1x2x4x1xf32>
  %p = attn.mul %e, %r : (tensor<1x2x4x4xf32>, tensor<1x2x4x1xf32>) -> tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Grouped-query attention: repeat_kv (Reshape/Expand/Reshape) folds into
// Hkv = 2 < Hq = 4 without copying k or v.
// CHECK-LABEL: func.func @grouped_query_repeat_kv
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x4x4x8xf32>, %[[K:[^:]+]]: tensor<1x2x4x8xf32>, %[[V:[^:]+]]: tensor<1x2x4x8xf32>)
// CHECK: attn.sdpa %[[Q]], %[[K]], %[[V]] {scale = 1.000000e+00 : f32} : (tensor<1x4x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x4x4x8xf32>
func.func @grouped_query_repeat_kv(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>)
    -> tensor<1x4x4x8xf32> {
  %k5 = attn.reshape %k {shape = array<i64: 1, 2, 1, 4, 8>} : tensor<1x2x4x8xf32> -> tensor<1x2x1x4x8xf32>
  %ke = attn.broadcast_to %k5 {shape = array<i64: 1, 2, 2, 4, 8>} : tensor<1x2x1x4x8xf32> -> tensor<1x2x2x4x8xf32>
  %kr = attn.reshape %ke {shape = array<i64: 1, 4, 4, 8>} : tensor<1x2x2x4x8xf32> -> tensor<1x4x4x8xf32>
  %v5 = attn.reshape %v {shape = array<i64: 1, 2, 1, 4, 8>} : tensor<1x2x4x8xf32> -> tensor<1x2x1x4x8xf32>
  %ve = attn.broadcast_to %v5 {shape = array<i64: 1, 2, 2, 4, 8>} : tensor<1x2x1x4x8xf32> -> tensor<1x2x2x4x8xf32>
  %vr = attn.reshape %ve {shape = array<i64: 1, 4, 4, 8>} : tensor<1x2x2x4x8xf32> -> tensor<1x4x4x8xf32>
  %kt = attn.transpose %kr {permutation = array<i64: 0, 1, 3, 2>} : tensor<1x4x4x8xf32> -> tensor<1x4x8x4xf32>
  %s = attn.matmul %q, %kt : (tensor<1x4x4x8xf32>, tensor<1x4x8x4xf32>) -> tensor<1x4x4x4xf32>
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x4x4x4xf32>
  %o = attn.matmul %p, %vr : (tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}

// -----

// Multi-query attention through matmul broadcasting: one kv head.
// CHECK-LABEL: func.func @multi_query_broadcast
// CHECK: attn.sdpa {{.+}} : (tensor<1x4x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>) -> tensor<1x4x4x8xf32>
func.func @multi_query_broadcast(%q: tensor<1x4x4x8xf32>, %kt: tensor<1x1x8x4xf32>, %v: tensor<1x1x4x8xf32>)
    -> tensor<1x4x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x4x4x8xf32>, tensor<1x1x8x4xf32>) -> tensor<1x4x4x4xf32>
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x4x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x4x4x4xf32>, tensor<1x1x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}

// -----

// Heads folded into the batch: [B*H, S, D] becomes [B*H, 1, S, D] and back.
// CHECK-LABEL: func.func @heads_folded_3d
// CHECK-DAG: %[[Q4:.+]] = attn.reshape %{{.+}} {shape = array<i64: 6, 1, 4, 8>}
// CHECK-DAG: %[[M4:.+]] = attn.reshape %{{.+}} {shape = array<i64: 1, 1, 4, 4>}
// CHECK: %[[O:.+]] = attn.sdpa %[[Q4]], %{{.+}}, %{{.+}} dense_mask(%[[M4]])
// CHECK: attn.reshape %[[O]] {shape = array<i64: 6, 4, 8>}
func.func @heads_folded_3d(%q: tensor<6x4x8xf32>, %kt: tensor<6x8x4xf32>, %v: tensor<6x4x8xf32>,
                           %mask: tensor<4x4xf32>) -> tensor<6x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<6x4x8xf32>, tensor<6x8x4xf32>) -> tensor<6x4x4xf32>
  %m = attn.add %s, %mask : (tensor<6x4x4xf32>, tensor<4x4xf32>) -> tensor<6x4x4xf32>
  %p = attn.softmax %m {axis = 2 : i64} : tensor<6x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<6x4x4xf32>, tensor<6x4x8xf32>) -> tensor<6x4x8xf32>
  return %o : tensor<6x4x8xf32>
}

// -----

// HF seq2seq (BART): 3-D scores [B*H, S, T] viewed as [B, H, S, T] for the
// mask and viewed back; q, k and v take the same view, so the op has the
// real 2 x 3 heads and the [B, 1, S, T] mask keeps its meaning.
// CHECK-LABEL: func.func @seq2seq_mask_on_a_view
// CHECK-DAG: %[[Q4:.+]] = attn.reshape %{{.+}} {shape = array<i64: 2, 3, 4, 8>}
// CHECK-DAG: %[[K4:.+]] = attn.reshape %{{.+}} {shape = array<i64: 2, 3, 5, 8>}
// CHECK-DAG: %[[V4:.+]] = attn.reshape %{{.+}} {shape = array<i64: 2, 3, 5, 8>}
// CHECK: %[[O:.+]] = attn.sdpa %[[Q4]], %[[K4]], %[[V4]] dense_mask(%{{.+}}) {{.*}}tensor<2x1x4x5xf32>) -> tensor<2x3x4x8xf32>
// CHECK: attn.reshape %[[O]] {shape = array<i64: 6, 4, 8>}
// CHECK-NOT: attn.softmax
func.func @seq2seq_mask_on_a_view(%q: tensor<6x4x8xf32>, %kt: tensor<6x8x5xf32>, %v: tensor<6x5x8xf32>,
                                  %mask: tensor<2x1x4x5xf32>) -> tensor<6x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<6x4x8xf32>, tensor<6x8x5xf32>) -> tensor<6x4x5xf32>
  %s4 = attn.reshape %s {shape = array<i64: 2, 3, 4, 5>} : tensor<6x4x5xf32> -> tensor<2x3x4x5xf32>
  %m4 = attn.add %s4, %mask : (tensor<2x3x4x5xf32>, tensor<2x1x4x5xf32>) -> tensor<2x3x4x5xf32>
  %m = attn.reshape %m4 {shape = array<i64: 6, 4, 5>} : tensor<2x3x4x5xf32> -> tensor<6x4x5xf32>
  %p = attn.softmax %m {axis = 2 : i64} : tensor<6x4x5xf32>
  %o = attn.matmul %p, %v : (tensor<6x4x5xf32>, tensor<6x5x8xf32>) -> tensor<6x4x8xf32>
  return %o : tensor<6x4x8xf32>
}

// -----

// NeMo's conformer: scores filled with -1e4 where the mask is set, and the
// probabilities zeroed again with the same mask after the softmax. Together
// they hide those keys: one hide mask, -inf where the condition holds.
// CHECK-LABEL: func.func @masked_before_and_zeroed_after
// CHECK: %[[M:.+]] = attn.where %{{.+}}, %{{.+}}, %{{.+}} : (tensor<2x1x4x4xi1>, tensor<f32>, tensor<f32>) -> tensor<2x1x4x4xf32>
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} dense_mask(%[[M]]) {scale = 0.353553{{[0-9]*}} : f32}
// CHECK-NOT: attn.softmax
func.func @masked_before_and_zeroed_after(%q: tensor<2x2x4x8xf32>, %kt: tensor<2x2x8x4xf32>, %v: tensor<2x2x4x8xf32>,
                                          %mask: tensor<2x1x4x4xi1>) -> tensor<2x2x4x8xf32> {
  %d = attn.constant dense<2.828427> : tensor<f32>
  %fill = attn.constant dense<-1.0e4> : tensor<f32>
  %zero = attn.constant dense<0.0> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<2x2x4x8xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x4x4xf32>
  %sd = attn.div %s, %d : (tensor<2x2x4x4xf32>, tensor<f32>) -> tensor<2x2x4x4xf32>
  %m = attn.where %mask, %fill, %sd : (tensor<2x1x4x4xi1>, tensor<f32>, tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %p = attn.softmax %m {axis = 3 : i64} : tensor<2x2x4x4xf32>
  %z = attn.where %mask, %zero, %p : (tensor<2x1x4x4xi1>, tensor<f32>, tensor<2x2x4x4xf32>) -> tensor<2x2x4x4xf32>
  %o = attn.matmul %z, %v : (tensor<2x2x4x4xf32>, tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// The same with a keep mask: scores kept where it holds (else -1e4) and the
// probabilities multiplied by it as 0/1 floats.
// CHECK-LABEL: func.func @kept_before_and_multiplied_after
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} dense_mask(%{{.+}})
// CHECK-NOT: attn.softmax
func.func @kept_before_and_multiplied_after(%q: tensor<2x2x4x8xf32>, %kt: tensor<2x2x8x4xf32>, %v: tensor<2x2x4x8xf32>,
                                            %keep: tensor<2x1x4x4xi1>) -> tensor<2x2x4x8xf32> {
  %fill = attn.constant dense<-1.0e4> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<2x2x4x8xf32>, tensor<2x2x8x4xf32>) -> tensor<2x2x4x4xf32>
  %m = attn.where %keep, %s, %fill : (tensor<2x1x4x4xi1>, tensor<2x2x4x4xf32>, tensor<f32>) -> tensor<2x2x4x4xf32>
  %p = attn.softmax %m {axis = 3 : i64} : tensor<2x2x4x4xf32>
  %k = attn.cast %keep : tensor<2x1x4x4xi1> -> tensor<2x1x4x4xf32>
  %z = attn.mul %p, %k : (tensor<2x2x4x4xf32>, tensor<2x1x4x4xf32>) -> tensor<2x2x4x4xf32>
  %o = attn.matmul %z, %v : (tensor<2x2x4x4xf32>, tensor<2x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// OPT: the masked scores clamped with max(w, finfo.min). Clamping the mask
// instead gives the same values, so the op's dense mask is max(mask, c);
// rows that see only padding keep the graph's average over every key.
// CHECK-LABEL: func.func @clamped_scores
// CHECK: %[[C:.+]] = attn.max %arg3, %{{.+}} : (tensor<1x1x4x4xf32>, tensor<f32>) -> tensor<1x1x4x4xf32>
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} dense_mask(%[[C]])
// CHECK-NOT: attn.softmax
func.func @clamped_scores(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>,
                          %mask: tensor<1x1x4x4xf32>) -> tensor<1x2x4x8xf32> {
  %fmin = attn.constant dense<-3.40282347E+38> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %m = attn.add %s, %mask : (tensor<1x2x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c = attn.max %m, %fmin : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = attn.softmax %c {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// HF's `q_proj(x) * scaling` comes before the head split: the constant
// factor behind the reshapes and the transpose joins the op's scale and the
// Mul goes.
// CHECK-LABEL: func.func @scale_behind_head_views
// CHECK-NOT: attn.mul
// CHECK: attn.sdpa {{.+}} {scale = 2.500000e-01 : f32}
// CHECK-NOT: attn.mul
func.func @scale_behind_head_views(%x: tensor<2x4x24xf32>, %kt: tensor<6x8x4xf32>, %v: tensor<6x4x8xf32>)
    -> tensor<6x4x8xf32> {
  %c = attn.constant dense<0.25> : tensor<f32>
  %xs = attn.mul %x, %c : (tensor<2x4x24xf32>, tensor<f32>) -> tensor<2x4x24xf32>
  %x4 = attn.reshape %xs {shape = array<i64: 2, 4, 3, 8>} : tensor<2x4x24xf32> -> tensor<2x4x3x8xf32>
  %xt = attn.transpose %x4 {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x4x3x8xf32> -> tensor<2x3x4x8xf32>
  %q = attn.reshape %xt {shape = array<i64: 6, 4, 8>} : tensor<2x3x4x8xf32> -> tensor<6x4x8xf32>
  %s = attn.matmul %q, %kt : (tensor<6x4x8xf32>, tensor<6x8x4xf32>) -> tensor<6x4x4xf32>
  %p = attn.softmax %s {axis = 2 : i64} : tensor<6x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<6x4x4xf32>, tensor<6x4x8xf32>) -> tensor<6x4x8xf32>
  return %o : tensor<6x4x8xf32>
}

// -----

// Not fused: the probabilities are also a graph output.
// CHECK-LABEL: func.func @probabilities_returned
// CHECK: attn.softmax
// CHECK-NOT: attn.sdpa
func.func @probabilities_returned(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>)
    -> (tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o, %p : tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>
}

// -----

// Not fused: a Where fill of -1e4 does not hide keys exactly (a row where
// every key is masked would differ).
// CHECK-LABEL: func.func @where_fill_too_small
// CHECK: attn.softmax
// CHECK-NOT: attn.sdpa
func.func @where_fill_too_small(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>,
                                %c: tensor<4x4xi1>) -> tensor<1x2x4x8xf32> {
  %fill = attn.constant dense<-1.0e4> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %m = attn.where %c, %s, %fill : (tensor<4x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = attn.softmax %m {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Not fused: softmax over the query axis is not attention.
// CHECK-LABEL: func.func @softmax_over_queries
// CHECK-NOT: attn.sdpa
func.func @softmax_over_queries(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>)
    -> tensor<1x2x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %p = attn.softmax %s {axis = 2 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Not fused: scores scaled by a run-time value.
// CHECK-LABEL: func.func @scale_not_constant
// CHECK-NOT: attn.sdpa
func.func @scale_not_constant(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>,
                              %t: tensor<f32>) -> tensor<1x2x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %d = attn.div %s, %t : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %p = attn.softmax %d {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Run-time lengths (a KV cache: S new queries over T = past + S keys): the
// sequence dims may be `?`; attn.sdpa takes the operands as they are.
// CHECK-LABEL: func.func @run_time_lengths
// CHECK: attn.sdpa %arg0, %{{.+}}, %arg2 {scale = 1.250000e-01 : f32} : (tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) -> tensor<1x2x?x64xf32>
func.func @run_time_lengths(%q: tensor<1x2x?x64xf32>, %kt: tensor<1x2x64x?xf32>, %v: tensor<1x2x?x64xf32>)
    -> tensor<1x2x?x64xf32> {
  %c = attn.constant dense<8.0> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<1x2x?x64xf32>, tensor<1x2x64x?xf32>) -> tensor<1x2x?x?xf32>
  %d = attn.div %s, %c : (tensor<1x2x?x?xf32>, tensor<f32>) -> tensor<1x2x?x?xf32>
  %p = attn.softmax %d {axis = 3 : i64} : tensor<1x2x?x?xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x?x?xf32>, tensor<1x2x?x64xf32>) -> tensor<1x2x?x64xf32>
  return %o : tensor<1x2x?x64xf32>
}

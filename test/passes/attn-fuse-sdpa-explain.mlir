// RUN: attnc-opt %s -split-input-file -attn-fuse-sdpa=explain=true -verify-diagnostics -o /dev/null

// With `explain`, each pattern that still does not match an op says why, as
// a remark at the op: what keeps an exported attention from fusing.

// The probabilities are also a graph output.
func.func @probabilities_returned(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>)
    -> (tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: the attention probabilities have other uses (e.g. a graph output); fusing would drop them}}
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o, %p : tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>
}

// -----

// A Where fill of -1e4 does not hide keys exactly.
func.func @where_fill_too_small(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>,
                                %c: tensor<4x4xi1>) -> tensor<1x2x4x8xf32> {
  %fill = attn.constant dense<-1.0e4> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %m = attn.where %c, %s, %fill : (tensor<4x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: a Where fills with -10000.000000, which does not hide keys exactly (needs -inf or <= -1e9, or <= -1e4 with the same mask zeroing the probabilities after the softmax)}}
  %p = attn.softmax %m {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Softmax over the query axis is not attention.
func.func @softmax_over_queries(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>)
    -> tensor<1x2x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: softmax is not over the last (key) axis}}
  %p = attn.softmax %s {axis = 2 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Scores scaled by a run-time value; the division is not a written-out
// softmax either.
func.func @scale_not_constant(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>,
                              %t: tensor<f32>) -> tensor<1x2x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: not exp(x) / sum(exp(x))}}
  %d = attn.div %s, %t : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: scores are scaled by something other than a positive constant scalar}}
  %p = attn.softmax %d {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A written-out softmax whose division broadcasts the sums over a wider
// result is not softmax(x).
func.func @softmax_division_broadcasts(%x: tensor<4xf32>) -> tensor<3x4xf32> {
  %e = attn.exp %x : tensor<4xf32>
  %sum = attn.reduce_sum %e {axes = array<i64: 0>, keepdims = true} : tensor<4xf32> -> tensor<1xf32>
  %wide = attn.constant dense<1.0> : tensor<3x4xf32>
  %ew = attn.mul %wide, %e : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: not exp(x) / sum(exp(x))}}
  %p = attn.div %ew, %sum : (tensor<3x4xf32>, tensor<1xf32>) -> tensor<3x4xf32>
  return %p : tensor<3x4xf32>
}

// -----

// An attn.sdpa whose k and v are not repeat_kv expansions keeps them, and
// one that reads k or v sequence-major is not looked at.
func.func @repeat_kv_not_folded(%q: tensor<1x4x4x8xf32>, %k: tensor<1x4x4x8xf32>, %kseq: tensor<1x4x4x8xf32>)
    -> (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) {
  // expected-remark @+1 {{attn-fuse-sdpa: k and v are not both repeat_kv expansions}}
  %o = attn.sdpa %q, %k, %k {scale = 1.0 : f32} : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: k or v is sequence-major}}
  %s = attn.sdpa %q, %kseq, %kseq {scale = 1.0 : f32, layout = #attn.layout<key = bshd, value = bshd>} : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %o, %s : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>
}

// -----

// k and v expanded from different kv head counts (2 and 1).
func.func @repeat_kv_different_heads(%q: tensor<1x4x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x1x4x8xf32>)
    -> tensor<1x4x4x8xf32> {
  %k5 = attn.reshape %k {shape = array<i64: 1, 2, 1, 4, 8>} : tensor<1x2x4x8xf32> -> tensor<1x2x1x4x8xf32>
  %ke = attn.broadcast_to %k5 {shape = array<i64: 1, 2, 2, 4, 8>} : tensor<1x2x1x4x8xf32> -> tensor<1x2x2x4x8xf32>
  %kr = attn.reshape %ke {shape = array<i64: 1, 4, 4, 8>} : tensor<1x2x2x4x8xf32> -> tensor<1x4x4x8xf32>
  %v5 = attn.reshape %v {shape = array<i64: 1, 1, 1, 4, 8>} : tensor<1x1x4x8xf32> -> tensor<1x1x1x4x8xf32>
  %ve = attn.broadcast_to %v5 {shape = array<i64: 1, 1, 4, 4, 8>} : tensor<1x1x1x4x8xf32> -> tensor<1x1x4x4x8xf32>
  %vr = attn.reshape %ve {shape = array<i64: 1, 4, 4, 8>} : tensor<1x1x4x4x8xf32> -> tensor<1x4x4x8xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: k and v repeat different head counts}}
  %o = attn.sdpa %q, %kr, %vr {scale = 1.0 : f32} : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %o : tensor<1x4x4x8xf32>
}

// -----

// The raw scores are also a graph output.
func.func @scores_returned(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>)
    -> (tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: the Q·Kᵀ scores have other uses}}
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o, %s : tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>
}

// -----

// A softmax over values that are no product of q and kᵀ.
func.func @scores_not_a_product(%x: tensor<1x2x4x4xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %e = attn.exp %x : tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: unexpected attn.exp between the Q·Kᵀ product and the softmax}}
  %p = attn.softmax %e {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// mask - scores is not a masking of the scores.
func.func @scores_subtracted_from_mask(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>,
                                       %m: tensor<4x4xf32>) -> tensor<1x2x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %d = attn.sub %m, %s : (tensor<4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: scores are subtracted from a mask, not masked}}
  %p = attn.softmax %d {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A Where whose fill is a run-time value.
func.func @where_fill_not_constant(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>,
                                   %c: tensor<4x4xi1>, %fill: tensor<f32>) -> tensor<1x2x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %m = attn.where %c, %s, %fill : (tensor<4x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: a Where on the scores does not fill with a constant}}
  %p = attn.softmax %m {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// An add of two values, neither of them the scores.
func.func @mask_add_without_scores(%a: tensor<1x2x4x4xf32>, %b: tensor<1x2x4x4xf32>, %v: tensor<1x2x4x8xf32>)
    -> tensor<1x2x4x8xf32> {
  %s = attn.add %a, %b : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: neither side of a mask add leads to the Q·Kᵀ product}}
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Softmax over rank-2 scores: no batch or head dims.
func.func @rank_two_scores(%q: tensor<4x8xf32>, %kt: tensor<8x4xf32>, %v: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: scores have rank 2; expected [B, H, S, T] or [B*H, S, T]}}
  %p = attn.softmax %s {axis = 1 : i64} : tensor<4x4xf32>
  %o = attn.matmul %p, %v : (tensor<4x4xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

// The probabilities are the right operand of the output product.
func.func @probabilities_on_the_right(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>)
    -> tensor<1x2x8x4xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: the attention probabilities are not multiplied by V}}
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %v, %p : (tensor<1x2x8x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

// A softmax of a graph input: no product to fuse.
func.func @scores_from_an_argument(%s: tensor<1x2x4x4xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-remark @+1 {{attn-fuse-sdpa: scores are not computed from a Q·Kᵀ product (found a function argument)}}
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// The masked scores are also a graph output.
func.func @masked_scores_returned(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>,
                                  %m: tensor<4x4xf32>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %a = attn.add %s, %m : (tensor<1x2x4x4xf32>, tensor<4x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: an intermediate scores value (attn.add) has other uses}}
  %p = attn.softmax %a {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o, %a : tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>
}

// -----

// kᵀ of rank 3 broadcast over a rank-4 q.
func.func @key_rank_differs(%q: tensor<1x2x4x8xf32>, %kt: tensor<2x8x4xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<2x8x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: q, kᵀ and v do not all have the scores' rank 4}}
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A head count known only at run time (sequence lengths may be, heads not).
func.func @dynamic_heads(%q: tensor<1x?x4x8xf32>, %kt: tensor<1x?x8x4xf32>, %v: tensor<1x?x4x8xf32>) -> tensor<1x?x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x?x4x8xf32>, tensor<1x?x8x4xf32>) -> tensor<1x?x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: q, k and v need static batch, head and channel dims (only the sequence lengths may be run-time dims)}}
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x?x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x?x4x4xf32>, tensor<1x?x4x8xf32>) -> tensor<1x?x4x8xf32>
  return %o : tensor<1x?x4x8xf32>
}

// -----

// k has two heads, v one (broadcast by the output product).
func.func @key_value_heads_differ(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x1x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: k and v differ in batch/head dim 1}}
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x1x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// One query head broadcast over two key heads.
func.func @query_broadcast_over_keys(%q: tensor<1x1x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x1x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: k's batch/head dim 1 (2) neither matches q's (1) nor broadcasts}}
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// One k and v shared by every batch row.
func.func @key_value_broadcast_over_batch(%q: tensor<2x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<2x2x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<2x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<2x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: k and v broadcast over the batch dim, which attn.sdpa does not model}}
  %p = attn.softmax %s {axis = 3 : i64} : tensor<2x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<2x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}


// -----

// A reshape of the scores that is not a [B, H, S, T] view of [B*H, S, T].
func.func @scores_reshaped_otherwise(%q: tensor<6x5x8xf32>, %kt: tensor<6x8x4xf32>, %v: tensor<6x5x8xf32>)
    -> tensor<6x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<6x5x8xf32>, tensor<6x8x4xf32>) -> tensor<6x5x4xf32>
  %m = attn.reshape %s {shape = array<i64: 6, 4, 5>} : tensor<6x5x4xf32> -> tensor<6x4x5xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: scores are reshaped other than between [B*H, S, T] and a [B, H, S, T] view of them}}
  %p = attn.softmax %m {axis = 2 : i64} : tensor<6x4x5xf32>
  %o = attn.matmul %p, %v : (tensor<6x4x5xf32>, tensor<6x5x8xf32>) -> tensor<6x4x8xf32>
  return %o : tensor<6x4x8xf32>
}

// -----

// A mask added to the folded scores as well as to their view.
func.func @mask_outside_the_view(%q: tensor<6x4x8xf32>, %kt: tensor<6x8x5xf32>, %v: tensor<6x5x8xf32>,
                                 %mask: tensor<4x5xf32>, %mask4: tensor<2x1x4x5xf32>) -> tensor<6x4x8xf32> {
  %s = attn.matmul %q, %kt : (tensor<6x4x8xf32>, tensor<6x8x5xf32>) -> tensor<6x4x5xf32>
  %s4 = attn.reshape %s {shape = array<i64: 2, 3, 4, 5>} : tensor<6x4x5xf32> -> tensor<2x3x4x5xf32>
  %m4 = attn.add %s4, %mask4 : (tensor<2x3x4x5xf32>, tensor<2x1x4x5xf32>) -> tensor<2x3x4x5xf32>
  %m = attn.reshape %m4 {shape = array<i64: 6, 4, 5>} : tensor<2x3x4x5xf32> -> tensor<6x4x5xf32>
  %mm = attn.add %m, %mask : (tensor<6x4x5xf32>, tensor<4x5xf32>) -> tensor<6x4x5xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: a mask is added to the [B*H, S, T] scores outside their [B, H, S, T] view}}
  %p = attn.softmax %mm {axis = 2 : i64} : tensor<6x4x5xf32>
  %o = attn.matmul %p, %v : (tensor<6x4x5xf32>, tensor<6x5x8xf32>) -> tensor<6x4x8xf32>
  return %o : tensor<6x4x8xf32>
}

// -----

// The [B, H, S, T] view is of a 4-D product, not of [B*H, S, T] scores.
func.func @view_of_a_4d_product(%q: tensor<2x3x4x8xf32>, %kt: tensor<2x3x8x5xf32>, %v: tensor<6x5x8xf32>)
    -> tensor<6x4x8xf32> {
  %s4 = attn.matmul %q, %kt : (tensor<2x3x4x8xf32>, tensor<2x3x8x5xf32>) -> tensor<2x3x4x5xf32>
  %m = attn.reshape %s4 {shape = array<i64: 6, 4, 5>} : tensor<2x3x4x5xf32> -> tensor<6x4x5xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: the [B, H, S, T] view of the scores is not of a [B*H, S, T] product}}
  %p = attn.softmax %m {axis = 2 : i64} : tensor<6x4x5xf32>
  %o = attn.matmul %p, %v : (tensor<6x4x5xf32>, tensor<6x5x8xf32>) -> tensor<6x4x8xf32>
  return %o : tensor<6x4x8xf32>
}

// -----

// The probabilities are zeroed after the softmax where the scores were not
// masked before it: renormalizing would change the kept ones.
func.func @zeroed_without_a_mask_before(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>,
                                        %c: tensor<1x1x4x4xi1>) -> tensor<1x2x4x8xf32> {
  %zero = attn.constant dense<0.0> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: the probabilities are zeroed after the softmax where the scores were not masked the same way before it}}
  %p = attn.softmax %s {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %z = attn.where %c, %zero, %p : (tensor<1x1x4x4xi1>, tensor<f32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = attn.matmul %z, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A max at a constant that is not far below every score changes scores.
func.func @max_at_a_small_constant(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>)
    -> tensor<1x2x4x8xf32> {
  %c = attn.constant dense<-1.0e4> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %m = attn.max %s, %c : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: scores go through a max other than one clamp at a constant <= -1e30 with no scale after it}}
  %p = attn.softmax %m {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A boolean mask inside the clamp: its -inf would become the clamp's value.
func.func @where_inside_a_clamp(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>,
                                %keep: tensor<4x4xi1>) -> tensor<1x2x4x8xf32> {
  %fmin = attn.constant dense<-3.40282347E+38> : tensor<f32>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %w = attn.where %keep, %s, %ninf : (tensor<4x4xi1>, tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %m = attn.max %w, %fmin : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: a Where masks the scores inside a clamp}}
  %p = attn.softmax %m {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// The zeroed probabilities are also a graph output.
func.func @zeroed_probabilities_returned(%q: tensor<1x2x4x8xf32>, %kt: tensor<1x2x8x4xf32>, %v: tensor<1x2x4x8xf32>,
                                         %c: tensor<1x1x4x4xi1>) -> (tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>) {
  %zero = attn.constant dense<0.0> : tensor<f32>
  %fill = attn.constant dense<-1.0e4> : tensor<f32>
  %s = attn.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %m = attn.where %c, %fill, %s : (tensor<1x1x4x4xi1>, tensor<f32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @+1 {{attn-fuse-sdpa: the zeroed attention probabilities have other uses}}
  %p = attn.softmax %m {axis = 3 : i64} : tensor<1x2x4x4xf32>
  %z = attn.where %c, %zero, %p : (tensor<1x1x4x4xi1>, tensor<f32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = attn.matmul %z, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o, %z : tensor<1x2x4x8xf32>, tensor<1x2x4x4xf32>
}

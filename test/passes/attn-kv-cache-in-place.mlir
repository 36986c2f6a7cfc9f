// RUN: attnc-opt %s -split-input-file -attn-kv-cache-in-place=capacity=64 | FileCheck %s

// A decoder's two caches as exported: each present is Concat(past, new)
// along the run-time length, returned and read by attention. Both become
// in-place appends with the capacity; the attention reads the append.
// CHECK-LABEL: func.func @two_caches
// CHECK-SAME: (%[[Q:.+]]: tensor<1x2x1x8xf32>, %[[PK:.+]]: tensor<1x2x?x8xf32>, %[[PV:.+]]: tensor<1x2x?x8xf32>, %[[NK:.+]]: tensor<1x2x1x8xf32>, %[[NV:.+]]: tensor<1x2x1x8xf32>)
// CHECK: %[[K:.+]] = attn.kv_append %[[PK]], %[[NK]] {axis = 2 : i64, capacity = 64 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
// CHECK: %[[V:.+]] = attn.kv_append %[[PV]], %[[NV]] {axis = 2 : i64, capacity = 64 : i64}
// CHECK: %[[O:.+]] = attn.sdpa %[[Q]], %[[K]], %[[V]]
// CHECK: return %[[O]], %[[K]], %[[V]]
// CHECK-NOT: attn.concat
func.func @two_caches(%q: tensor<1x2x1x8xf32>, %past_k: tensor<1x2x?x8xf32>, %past_v: tensor<1x2x?x8xf32>,
                      %new_k: tensor<1x2x1x8xf32>, %new_v: tensor<1x2x1x8xf32>)
    -> (tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %k = attn.concat %past_k, %new_k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %v = attn.concat %past_v, %new_v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %o = attn.sdpa %q, %k, %v {scale = 0.35 : f32} : (tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x1x8xf32>
  return %o, %k, %v : tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

// The past's length read for the positions (tensor.dim) is no obstacle.
// CHECK-LABEL: func.func @length_read
// CHECK: tensor.dim
// CHECK: attn.kv_append
func.func @length_read(%past: tensor<1x?x8xf32>, %new: tensor<1x?x8xf32>) -> (index, tensor<1x?x8xf32>) {
  %c1 = arith.constant 1 : index
  %n = tensor.dim %past, %c1 : tensor<1x?x8xf32>
  %all = attn.concat %past, %new {axis = 1 : i64} : (tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  return %n, %all : index, tensor<1x?x8xf32>
}

// -----

// A concat that is not returned is an ordinary concat.
// CHECK-LABEL: func.func @not_returned
// CHECK: attn.concat
// CHECK-NOT: attn.kv_append
func.func @not_returned(%past: tensor<1x?x8xf32>, %new: tensor<1x1x8xf32>) -> tensor<1x?x8xf32> {
  %all = attn.concat %past, %new {axis = 1 : i64} : (tensor<1x?x8xf32>, tensor<1x1x8xf32>) -> tensor<1x?x8xf32>
  %e = attn.exp %all : tensor<1x?x8xf32>
  return %e : tensor<1x?x8xf32>
}

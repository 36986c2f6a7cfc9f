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

// -----

// A sliding-window model: attention sees 3 positions behind each query
// and a run adds at most 4 (the seq bound), so a ring of 7 slots (14 in
// its buffer) holds all it reads, less than the capacity of 64. Both
// caches get the ring; the attention reads their last 7 positions, its
// query offset less the first one's position.
// CHECK-LABEL: func.func @window_ring
// CHECK-SAME: (%[[Q:[^:]+]]: {{.+}}, %[[PK:[^:]+]]: {{.+}}, %[[PV:[^:]+]]: {{.+}}, %[[NK:[^:]+]]: {{.+}}, %[[NV:[^:]+]]: {{.+}}, %[[OFF:[^:]+]]: tensor<i64>)
// CHECK: %[[K:.+]] = attn.kv_append %[[PK]], %[[NK]] {axis = 2 : i64, capacity = 64 : i64, ring = 7 : i64}
// CHECK: %[[V:.+]] = attn.kv_append %[[PV]], %[[NV]] {axis = 2 : i64, capacity = 64 : i64, ring = 7 : i64}
// CHECK: %[[KH:.+]], %[[KF:.+]] = attn.kv_window %[[K]] {axis = 2 : i64, slots = 7 : i64}
// CHECK: %[[VH:.+]], %{{.+}} = attn.kv_window %[[V]] {axis = 2 : i64, slots = 7 : i64}
// CHECK: %[[SHIFT:.+]] = attn.sub %[[OFF]], %[[KF]] : (tensor<i64>, tensor<i64>) -> tensor<i64>
// CHECK: %[[O:.+]] = attn.sdpa %[[Q]], %[[KH]], %[[VH]] offset(%[[SHIFT]]) {mask = #attn.window<left = 3, right = 0>
// CHECK: return %[[O]], %[[K]], %[[V]]
func.func @window_ring(%q: tensor<1x2x?x8xf32> {attnc.dim_symbols = ["", "", "seq", ""]},
                       %past_k: tensor<1x2x?x8xf32> {attnc.dim_symbols = ["", "", "past", ""]},
                       %past_v: tensor<1x2x?x8xf32> {attnc.dim_symbols = ["", "", "past", ""]},
                       %new_k: tensor<1x2x?x8xf32> {attnc.dim_symbols = ["", "", "seq", ""]},
                       %new_v: tensor<1x2x?x8xf32> {attnc.dim_symbols = ["", "", "seq", ""]},
                       %offset: tensor<i64>)
    -> (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>)
    attributes {attnc.dim_bounds = {seq = 4 : i64, past = 60 : i64}} {
  %k = attn.concat %past_k, %new_k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %v = attn.concat %past_v, %new_v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %o = attn.sdpa %q, %k, %v offset(%offset) {mask = #attn.window<left = 3, right = 0>, scale = 0.35 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<i64>) -> tensor<1x2x?x8xf32>
  return %o, %k, %v : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

// A causal model's attention sees every earlier position: no ring.
// CHECK-LABEL: func.func @causal_no_ring
// CHECK: attn.kv_append %{{.+}} {axis = 2 : i64, capacity = 64 : i64} :
// CHECK-NOT: attn.kv_window
func.func @causal_no_ring(%q: tensor<1x2x1x8xf32>, %past_k: tensor<1x2x?x8xf32>, %past_v: tensor<1x2x?x8xf32>,
                          %new_k: tensor<1x2x1x8xf32>, %new_v: tensor<1x2x1x8xf32>, %offset: tensor<i64>)
    -> (tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %k = attn.concat %past_k, %new_k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %v = attn.concat %past_v, %new_v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %o = attn.sdpa %q, %k, %v offset(%offset) {mask = #attn.window<left = inf, right = 0>, scale = 0.35 : f32} : (tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<i64>) -> tensor<1x2x1x8xf32>
  return %o, %k, %v : tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

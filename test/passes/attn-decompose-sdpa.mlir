// RUN: attnc-opt %s -attn-decompose-sdpa -split-input-file -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @no_mask
// CHECK-SAME: (%[[Q:.+]]: tensor<1x2x4x8xf32>, %[[K:.+]]: tensor<1x2x6x8xf32>, %[[V:.+]]: tensor<1x2x6x3xf32>)
// CHECK-DAG: %[[SCALE:.+]] = attn.constant dense<2.500000e-01> : tensor<f32>
// CHECK: %[[KT:.+]] = attn.transpose %[[K]] {permutation = array<i64: 0, 1, 3, 2>}
// CHECK: %[[S:.+]] = attn.matmul %[[Q]], %[[KT]] : {{.*}} -> tensor<1x2x4x6xf32>
// CHECK: %[[SCALED:.+]] = attn.mul %[[S]], %[[SCALE]]
// CHECK: %[[P:.+]] = attn.softmax %[[SCALED]] {axis = 3 : i64}
// CHECK: %[[O:.+]] = attn.matmul %[[P]], %[[V]] : {{.*}} -> tensor<1x2x4x3xf32>
// CHECK: return %[[O]]
// CHECK-NOT: attn.where
func.func @no_mask(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x6x3xf32>)
    -> tensor<1x2x4x3xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.25 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x3xf32>) -> tensor<1x2x4x3xf32>
  return %o : tensor<1x2x4x3xf32>
}

// -----

// Causal: the mask compares constant positions, so it folds to a constant;
// every row sees a key, so the empty-row guard folds away too.
// CHECK-LABEL: func.func @causal
// CHECK-DAG: %[[NEG_INF:.+]] = attn.constant dense<0xFF800000> : tensor<f32>
// CHECK-DAG: %[[VISIBLE:.+]] = attn.constant dense<{{\[\[}}true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]> : tensor<4x4xi1>
// CHECK: %[[MASKED:.+]] = attn.where %[[VISIBLE]], %{{.+}}, %[[NEG_INF]]
// CHECK: %[[P:.+]] = attn.softmax %[[MASKED]]
// CHECK: attn.matmul %[[P]]
func.func @causal(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>)
    -> tensor<1x2x4x8xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.25 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// A finite window with a per-batch offset and a key mask: all three AND.
// CHECK-LABEL: func.func @window_offset_key_mask
// CHECK-SAME: %[[OFF:[^:]+]]: tensor<2xi64>, %[[KM:[^:]+]]: tensor<2x6xi1>
// CHECK-DAG: %[[LEFT:.+]] = attn.constant dense<-2> : tensor<i64>
// CHECK-DAG: %[[RIGHT:.+]] = attn.constant dense<1> : tensor<i64>
// CHECK: %[[OFF4:.+]] = attn.reshape %[[OFF]] {shape = array<i64: 2, 1, 1, 1>}
// CHECK: %[[QPOS:.+]] = attn.add %{{.+}}, %[[OFF4]] : (tensor<4x1xi64>, tensor<2x1x1x1xi64>) -> tensor<2x1x4x1xi64>
// CHECK: %[[DIST:.+]] = attn.sub %{{.+}}, %[[QPOS]]
// CHECK: %[[GE:.+]] = attn.greater_equal %[[DIST]], %[[LEFT]]
// CHECK: %[[LE:.+]] = attn.less_equal %[[DIST]], %[[RIGHT]]
// CHECK: %[[WIN:.+]] = attn.and %[[GE]], %[[LE]]
// CHECK: %[[KM4:.+]] = attn.reshape %[[KM]] {shape = array<i64: 2, 1, 1, 6>}
// CHECK: %[[VISIBLE:.+]] = attn.and %[[WIN]], %[[KM4]]
// CHECK: attn.where %[[VISIBLE]]
func.func @window_offset_key_mask(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x6x8xf32>,
                                  %v: tensor<2x2x6x8xf32>, %off: tensor<2xi64>,
                                  %km: tensor<2x6xi1>) -> tensor<2x2x4x8xf32> {
  %o = attn.sdpa %q, %k, %v offset(%off) key_mask(%km)
      {scale = 0.25 : f32, mask = #attn.window<left = 2, right = 1>}
      : (tensor<2x2x4x8xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>, tensor<2xi64>, tensor<2x6xi1>)
      -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// Grouped-query attention: each of the 2 kv heads serves 3 query heads.
// CHECK-LABEL: func.func @grouped_query
// CHECK-SAME: %[[K:[^:]+]]: tensor<1x2x5x8xf32>
// CHECK: %[[SPLIT:.+]] = attn.reshape %[[K]] {shape = array<i64: 1, 2, 1, 5, 8>}
// CHECK: %[[REP:.+]] = attn.broadcast_to %[[SPLIT]] {shape = array<i64: 1, 2, 3, 5, 8>}
// CHECK: attn.reshape %[[REP]] {shape = array<i64: 1, 6, 5, 8>}
func.func @grouped_query(%q: tensor<1x6x4x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>)
    -> tensor<1x6x4x8xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.25 : f32}
      : (tensor<1x6x4x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) -> tensor<1x6x4x8xf32>
  return %o : tensor<1x6x4x8xf32>
}

// -----

// Dense masks: an additive one is added to the scores, a boolean one joins
// the visibility condition.
// CHECK-LABEL: func.func @dense_masks
// CHECK-SAME: %[[BIAS:[^:]+]]: tensor<1x1x4x4xf32>, %[[KEEP:[^:]+]]: tensor<4x4xi1>
// CHECK: %[[SCALED:.+]] = attn.mul
// CHECK: %[[BIASED:.+]] = attn.add %[[SCALED]], %[[BIAS]]
// CHECK: attn.softmax %[[BIASED]]
// CHECK: %[[SCALED2:.+]] = attn.mul
// CHECK: attn.where %[[KEEP]], %[[SCALED2]]
func.func @dense_masks(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>, %v: tensor<1x2x4x8xf32>,
                       %bias: tensor<1x1x4x4xf32>, %keep: tensor<4x4xi1>)
    -> (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) {
  %a = attn.sdpa %q, %k, %v dense_mask(%bias) {scale = 0.25 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x4x4xf32>)
      -> tensor<1x2x4x8xf32>
  %b = attn.sdpa %q, %k, %v dense_mask(%keep) {scale = 0.25 : f32}
      : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<4x4xi1>)
      -> tensor<1x2x4x8xf32>
  return %a, %b : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>
}

// -----

func.func @dynamic_shapes_are_reported(%q: tensor<1x2x?x8xf32>, %k: tensor<1x2x4x8xf32>,
                                       %v: tensor<1x2x4x8xf32>) -> tensor<1x2x?x8xf32> {
  // expected-error @+1 {{'attn.sdpa' op could not be decomposed: its operands have dynamic shapes}}
  %o = attn.sdpa %q, %k, %v {scale = 0.25 : f32}
      : (tensor<1x2x?x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

// An additive key mask is added to the scaled scores as [B, 1, 1, T]. It
// hides nothing, but a row whose keys all score -inf through it has no key
// left: it yields zeros (sdpa.C10), so the guard tests the scores.
// CHECK-LABEL: func.func @additive_key_mask
// CHECK-SAME: %[[KB:[^:]+]]: tensor<2x6xf32>
// CHECK-DAG: %[[NEG_INF:.+]] = attn.constant dense<0xFF800000> : tensor<f32>
// CHECK: %[[SCALED:.+]] = attn.mul
// CHECK: %[[KB4:.+]] = attn.reshape %[[KB]] {shape = array<i64: 2, 1, 1, 6>}
// CHECK: %[[BIASED:.+]] = attn.add %[[SCALED]], %[[KB4]] : (tensor<2x2x4x6xf32>, tensor<2x1x1x6xf32>) -> tensor<2x2x4x6xf32>
// CHECK: %[[P:.+]] = attn.softmax %[[BIASED]]
// CHECK: %[[DEAD:.+]] = attn.equal %[[BIASED]], %[[NEG_INF]]
// CHECK: %[[LIVE:.+]] = attn.not %[[DEAD]]
// CHECK: %[[ROW:.+]] = attn.reduce_max %[[LIVE]] {axes = array<i64: 3>} : tensor<2x2x4x6xi1> -> tensor<2x2x4x1xi1>
// CHECK: attn.where %[[ROW]], %[[P]]
func.func @additive_key_mask(%q: tensor<2x2x4x8xf32>, %k: tensor<2x2x6x8xf32>, %kb: tensor<2x6xf32>)
    -> tensor<2x2x4x8xf32> {
  %o = attn.sdpa %q, %k, %k key_mask(%kb) {scale = 0.25 : f32}
      : (tensor<2x2x4x8xf32>, tensor<2x2x6x8xf32>, tensor<2x2x6x8xf32>, tensor<2x6xf32>) -> tensor<2x2x4x8xf32>
  return %o : tensor<2x2x4x8xf32>
}

// -----

// Sequence-major tensors (sdpa.C11) are Transposed to head-major on the
// way in and the result back on the way out; the rest is the usual graph.
// CHECK-LABEL: func.func @sequence_major
// CHECK-SAME: (%[[Q:.+]]: tensor<1x8x4x16xf32>, %[[K:.+]]: tensor<1x2x6x16xf32>, %[[V:.+]]: tensor<1x6x2x16xf32>)
// CHECK: %[[QH:.+]] = attn.transpose %[[Q]] {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
// CHECK: %[[VH:.+]] = attn.transpose %[[V]] {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x6x2x16xf32> -> tensor<1x2x6x16xf32>
// CHECK: attn.matmul %[[QH]]
// CHECK: %[[O:.+]] = attn.matmul %{{.+}}, %{{.+}} : (tensor<1x4x8x6xf32>, tensor<1x4x6x16xf32>) -> tensor<1x4x8x16xf32>
// CHECK: %[[OS:.+]] = attn.transpose %[[O]] {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x4x8x16xf32> -> tensor<1x8x4x16xf32>
// CHECK: return %[[OS]]
func.func @sequence_major(%q: tensor<1x8x4x16xf32>, %k: tensor<1x2x6x16xf32>, %v: tensor<1x6x2x16xf32>)
    -> tensor<1x8x4x16xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.25 : f32, layout = #attn.layout<query = bshd, value = bshd, result = bshd>}
      : (tensor<1x8x4x16xf32>, tensor<1x2x6x16xf32>, tensor<1x6x2x16xf32>) -> tensor<1x8x4x16xf32>
  return %o : tensor<1x8x4x16xf32>
}

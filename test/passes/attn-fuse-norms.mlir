// RUN: attnc-opt %s -split-input-file -attn-fuse-norms | FileCheck %s

// BERT's LayerNorm as torch exports it before opset 17.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.+]]: tensor<2x8x32xf32>, %[[G:.+]]: tensor<32xf32>, %[[B:.+]]: tensor<32xf32>)
// CHECK-NEXT: %[[Y:.+]] = attn.layer_norm %[[X]], %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.99999996E-13 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm(%x: tensor<2x8x32xf32>, %g: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<2x8x32xf32> {
  %two = attn.constant dense<2.0> : tensor<f32>
  %eps = attn.constant dense<1.0e-12> : tensor<f32>
  %m = attn.reduce_mean %x {axes = array<i64: 2>} : tensor<2x8x32xf32> -> tensor<2x8x1xf32>
  %d = attn.sub %x, %m : (tensor<2x8x32xf32>, tensor<2x8x1xf32>) -> tensor<2x8x32xf32>
  %p = attn.pow %d, %two : (tensor<2x8x32xf32>, tensor<f32>) -> tensor<2x8x32xf32>
  %v = attn.reduce_mean %p {axes = array<i64: 2>} : tensor<2x8x32xf32> -> tensor<2x8x1xf32>
  %e = attn.add %v, %eps : (tensor<2x8x1xf32>, tensor<f32>) -> tensor<2x8x1xf32>
  %s = attn.sqrt %e : tensor<2x8x1xf32>
  %n = attn.div %d, %s : (tensor<2x8x32xf32>, tensor<2x8x1xf32>) -> tensor<2x8x32xf32>
  %gn = attn.mul %n, %g : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
  %y = attn.add %gn, %b : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
  return %y : tensor<2x8x32xf32>
}

// -----

// The square as d * d, the scale first, epsilon first, no bias after the
// scale (the sum with the residual that follows is not a bias: it is not
// shaped like the row); normalized over the last two dims.
// CHECK-LABEL: func.func @layer_norm_variants
// CHECK: %[[Y:.+]] = attn.layer_norm %arg0, %arg1 {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x4x8xf32>, tensor<4x8xf32>) -> tensor<2x4x8xf32>
// CHECK-NEXT: attn.add %[[Y]], %arg2
func.func @layer_norm_variants(%x: tensor<2x4x8xf32>, %g: tensor<4x8xf32>, %r: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %eps = attn.constant dense<1.0e-5> : tensor<f32>
  %m = attn.reduce_mean %x {axes = array<i64: 1, 2>} : tensor<2x4x8xf32> -> tensor<2x1x1xf32>
  %d = attn.sub %x, %m : (tensor<2x4x8xf32>, tensor<2x1x1xf32>) -> tensor<2x4x8xf32>
  %p = attn.mul %d, %d : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %v = attn.reduce_mean %p {axes = array<i64: 1, 2>} : tensor<2x4x8xf32> -> tensor<2x1x1xf32>
  %e = attn.add %eps, %v : (tensor<f32>, tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %s = attn.sqrt %e : tensor<2x1x1xf32>
  %n = attn.div %d, %s : (tensor<2x4x8xf32>, tensor<2x1x1xf32>) -> tensor<2x4x8xf32>
  %gn = attn.mul %g, %n : (tensor<4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %y = attn.add %gn, %r : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}

// -----

// LLaMA's RMSNorm: x * (1 / sqrt(mean(x^2) + eps)), then the scale.
// CHECK-LABEL: func.func @rms_norm
// CHECK-NEXT: %[[Y:.+]] = attn.rms_norm %arg0, %arg1 {axis = 2 : i64, epsilon = 9.99999997E-7 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm(%x: tensor<1x8x64xf32>, %g: tensor<64xf32>) -> tensor<1x8x64xf32> {
  %two = attn.constant dense<2.0> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %eps = attn.constant dense<1.0e-6> : tensor<f32>
  %p = attn.pow %x, %two : (tensor<1x8x64xf32>, tensor<f32>) -> tensor<1x8x64xf32>
  %v = attn.reduce_mean %p {axes = array<i64: 2>} : tensor<1x8x64xf32> -> tensor<1x8x1xf32>
  %e = attn.add %v, %eps : (tensor<1x8x1xf32>, tensor<f32>) -> tensor<1x8x1xf32>
  %s = attn.sqrt %e : tensor<1x8x1xf32>
  %r = attn.div %one, %s : (tensor<f32>, tensor<1x8x1xf32>) -> tensor<1x8x1xf32>
  %n = attn.mul %x, %r : (tensor<1x8x64xf32>, tensor<1x8x1xf32>) -> tensor<1x8x64xf32>
  %y = attn.mul %g, %n : (tensor<64xf32>, tensor<1x8x64xf32>) -> tensor<1x8x64xf32>
  return %y : tensor<1x8x64xf32>
}

// -----

// RMSNorm as x / sqrt(...) with x * x.
// CHECK-LABEL: func.func @rms_norm_divided
// CHECK-NEXT: attn.rms_norm %arg0, %arg1 {axis = 1 : i64
func.func @rms_norm_divided(%x: tensor<4x16xf32>, %g: tensor<16xf32>) -> tensor<4x16xf32> {
  %eps = attn.constant dense<1.0e-6> : tensor<f32>
  %p = attn.mul %x, %x : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  %v = attn.reduce_mean %p {axes = array<i64: 1>} : tensor<4x16xf32> -> tensor<4x1xf32>
  %e = attn.add %v, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %s = attn.sqrt %e : tensor<4x1xf32>
  %n = attn.div %x, %s : (tensor<4x16xf32>, tensor<4x1xf32>) -> tensor<4x16xf32>
  %y = attn.mul %n, %g : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// The deviation is also returned: the LayerNorm is not fused (x - mean
// would be computed twice), but what follows the deviation is exactly an
// RMSNorm of it.
// CHECK-LABEL: func.func @deviation_escapes
// CHECK: %[[D:.+]] = attn.sub
// CHECK-NOT: attn.layer_norm
// CHECK: %[[Y:.+]] = attn.rms_norm %[[D]], %arg1 {axis = 2 : i64
// CHECK: return %[[D]], %[[Y]]
func.func @deviation_escapes(%x: tensor<2x8x32xf32>, %g: tensor<32xf32>) -> (tensor<2x8x32xf32>, tensor<2x8x32xf32>) {
  %two = attn.constant dense<2.0> : tensor<f32>
  %eps = attn.constant dense<1.0e-5> : tensor<f32>
  %m = attn.reduce_mean %x {axes = array<i64: 2>} : tensor<2x8x32xf32> -> tensor<2x8x1xf32>
  %d = attn.sub %x, %m : (tensor<2x8x32xf32>, tensor<2x8x1xf32>) -> tensor<2x8x32xf32>
  %p = attn.pow %d, %two : (tensor<2x8x32xf32>, tensor<f32>) -> tensor<2x8x32xf32>
  %v = attn.reduce_mean %p {axes = array<i64: 2>} : tensor<2x8x32xf32> -> tensor<2x8x1xf32>
  %e = attn.add %v, %eps : (tensor<2x8x1xf32>, tensor<f32>) -> tensor<2x8x1xf32>
  %s = attn.sqrt %e : tensor<2x8x1xf32>
  %n = attn.div %d, %s : (tensor<2x8x32xf32>, tensor<2x8x1xf32>) -> tensor<2x8x32xf32>
  %y = attn.mul %n, %g : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
  return %d, %y : tensor<2x8x32xf32>, tensor<2x8x32xf32>
}

// -----

// Not fused: the mean is over a leading dim; the scale is broadcast over
// part of the normalized dims; the exponent is not 2; the root is also
// returned.
// CHECK-LABEL: func.func @not_norms
// CHECK-NOT: attn.layer_norm
// CHECK-NOT: attn.rms_norm
// CHECK: return
func.func @not_norms(%x: tensor<2x8x32xf32>, %g: tensor<32xf32>)
    -> (tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<2x8x1xf32>) {
  %two = attn.constant dense<2.0> : tensor<f32>
  %three = attn.constant dense<3.0> : tensor<f32>
  %eps = attn.constant dense<1.0e-5> : tensor<f32>
  // The root escapes.
  %p1 = attn.pow %x, %two : (tensor<2x8x32xf32>, tensor<f32>) -> tensor<2x8x32xf32>
  %v1 = attn.reduce_mean %p1 {axes = array<i64: 2>} : tensor<2x8x32xf32> -> tensor<2x8x1xf32>
  %e1 = attn.add %v1, %eps : (tensor<2x8x1xf32>, tensor<f32>) -> tensor<2x8x1xf32>
  %s1 = attn.sqrt %e1 : tensor<2x8x1xf32>
  %n1 = attn.div %x, %s1 : (tensor<2x8x32xf32>, tensor<2x8x1xf32>) -> tensor<2x8x32xf32>
  %y1 = attn.mul %n1, %g : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
  // A mean over dim 0.
  %p2 = attn.pow %x, %two : (tensor<2x8x32xf32>, tensor<f32>) -> tensor<2x8x32xf32>
  %v2 = attn.reduce_mean %p2 {axes = array<i64: 0>} : tensor<2x8x32xf32> -> tensor<1x8x32xf32>
  %e2 = attn.add %v2, %eps : (tensor<1x8x32xf32>, tensor<f32>) -> tensor<1x8x32xf32>
  %s2 = attn.sqrt %e2 : tensor<1x8x32xf32>
  %n2 = attn.div %x, %s2 : (tensor<2x8x32xf32>, tensor<1x8x32xf32>) -> tensor<2x8x32xf32>
  %y2 = attn.mul %n2, %g : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
  // Normalized over [8, 32], scaled by a [32] scale.
  %p3 = attn.pow %x, %two : (tensor<2x8x32xf32>, tensor<f32>) -> tensor<2x8x32xf32>
  %v3 = attn.reduce_mean %p3 {axes = array<i64: 1, 2>} : tensor<2x8x32xf32> -> tensor<2x1x1xf32>
  %e3 = attn.add %v3, %eps : (tensor<2x1x1xf32>, tensor<f32>) -> tensor<2x1x1xf32>
  %s3 = attn.sqrt %e3 : tensor<2x1x1xf32>
  %n3 = attn.div %x, %s3 : (tensor<2x8x32xf32>, tensor<2x1x1xf32>) -> tensor<2x8x32xf32>
  %y3 = attn.mul %n3, %g : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
  // x^3.
  %p4 = attn.pow %x, %three : (tensor<2x8x32xf32>, tensor<f32>) -> tensor<2x8x32xf32>
  %v4 = attn.reduce_mean %p4 {axes = array<i64: 2>} : tensor<2x8x32xf32> -> tensor<2x8x1xf32>
  %e4 = attn.add %v4, %eps : (tensor<2x8x1xf32>, tensor<f32>) -> tensor<2x8x1xf32>
  %s4 = attn.sqrt %e4 : tensor<2x8x1xf32>
  %n4 = attn.div %x, %s4 : (tensor<2x8x32xf32>, tensor<2x8x1xf32>) -> tensor<2x8x32xf32>
  %y4 = attn.mul %n4, %g : (tensor<2x8x32xf32>, tensor<32xf32>) -> tensor<2x8x32xf32>
  return %y1, %y2, %y3, %y4, %s1 : tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<2x8x1xf32>
}

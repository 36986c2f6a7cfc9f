// RUN: attnc-opt %s -attn-fuse-gelu -split-input-file | FileCheck %s

// torch's nn.GELU (erf form) as torch 1.13 exports it:
// Div(x, sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5.
// CHECK-LABEL: func.func @torch_erf_gelu
// CHECK: %[[G:.+]] = attn.gelu %arg0 : tensor<2x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @torch_erf_gelu(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %sqrt2 = attn.constant dense<1.41421354> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %half = attn.constant dense<0.5> : tensor<f32>
  %s = attn.div %x, %sqrt2 : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %e = attn.erf %s : tensor<2x8xf32>
  %p = attn.add %e, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %m = attn.mul %x, %p : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %y = attn.mul %m, %half : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// BERT's own gelu: x * 0.5 * (1 + erf(x * 0.7071)), the constants on the
// left and 0.5 applied to x first.
// CHECK-LABEL: func.func @bert_erf_gelu
// CHECK: attn.gelu %arg0 : tensor<1x4x8xf32>
// CHECK-NOT: attn.erf
func.func @bert_erf_gelu(%x: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %r = attn.constant dense<0.707106769> : tensor<1xf32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %half = attn.constant dense<0.5> : tensor<1x1x1xf32>
  %h = attn.mul %x, %half : (tensor<1x4x8xf32>, tensor<1x1x1xf32>) -> tensor<1x4x8xf32>
  %s = attn.mul %r, %x : (tensor<1xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %e = attn.erf %s : tensor<1x4x8xf32>
  %p = attn.add %one, %e : (tensor<f32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %y = attn.mul %h, %p : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// GPT-2's gelu_new: 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
// with Pow(x, 3), and a second one with x * x * x.
// CHECK-LABEL: func.func @gpt2_tanh_gelu
// CHECK: %[[A:.+]] = attn.gelu %arg0 approximate = tanh : tensor<4x8xf32>
// CHECK: %[[B:.+]] = attn.gelu %arg1 approximate = tanh : tensor<4x8xf32>
// CHECK-NOT: attn.tanh
// CHECK: return %[[A]], %[[B]]
func.func @gpt2_tanh_gelu(%x: tensor<4x8xf32>, %z: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %half = attn.constant dense<0.5> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %three = attn.constant dense<3.0> : tensor<f32>
  %c = attn.constant dense<0.044715> : tensor<f32>
  %k = attn.constant dense<0.797884583> : tensor<f32>
  %hx = attn.mul %half, %x : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %cube = attn.pow %x, %three : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %t = attn.mul %c, %cube : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %sum = attn.add %x, %t : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %arg = attn.mul %k, %sum : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %th = attn.tanh %arg : tensor<4x8xf32>
  %p = attn.add %one, %th : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = attn.mul %hx, %p : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %z2 = attn.mul %z, %z : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %z3 = attn.mul %z2, %z : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %t2 = attn.mul %z3, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %sum2 = attn.add %t2, %z : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %arg2 = attn.mul %sum2, %k : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %th2 = attn.tanh %arg2 : tensor<4x8xf32>
  %p2 = attn.add %th2, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %m2 = attn.mul %z, %p2 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y2 = attn.mul %m2, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %y, %y2 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Near misses stay as they are: another constant (0.6 instead of 0.5), the
// erf of another value than the factor, and an intermediate (the erf) with
// a second use.
// CHECK-LABEL: func.func @near_misses
// CHECK-NOT: attn.gelu
// CHECK-COUNT-3: attn.erf
func.func @near_misses(%x: tensor<8xf32>, %w: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %sqrt2 = attn.constant dense<1.41421354> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %half = attn.constant dense<0.5> : tensor<f32>
  %notHalf = attn.constant dense<0.6> : tensor<f32>
  %s = attn.div %x, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e = attn.erf %s : tensor<8xf32>
  %p = attn.add %e, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %m = attn.mul %x, %p : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %a = attn.mul %m, %notHalf : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %sw = attn.div %w, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %ew = attn.erf %sw : tensor<8xf32>
  %pw = attn.add %ew, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %mw = attn.mul %x, %pw : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %b = attn.mul %mw, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %s3 = attn.div %w, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e3 = attn.erf %s3 : tensor<8xf32>
  %p3 = attn.add %e3, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %m3 = attn.mul %w, %p3 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %c = attn.mul %m3, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %a, %b, %c, %e3 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// GPT-2's Conv1D: the 2-D product is reshaped back to 3-D before the
// activation. The gelu moves above the reshape (which only feeds it), next
// to the product; a reshape with another use stays below its gelu.
// CHECK-LABEL: func.func @gelu_above_reshape
// CHECK: %[[G:.+]] = attn.gelu %arg0 approximate = tanh : tensor<8x16xf32>
// CHECK: %[[R:.+]] = attn.reshape %[[G]] {shape = array<i64: 1, 8, 16>}
// CHECK: %[[R2:.+]] = attn.reshape %arg1
// CHECK: attn.gelu %[[R2]] : tensor<1x8x16xf32>
// CHECK: return %[[R]]
func.func @gelu_above_reshape(%y: tensor<8x16xf32>, %z: tensor<8x16xf32>) -> (tensor<1x8x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32>) {
  %r = attn.reshape %y {shape = array<i64: 1, 8, 16>} : tensor<8x16xf32> -> tensor<1x8x16xf32>
  %g = attn.gelu %r approximate = tanh : tensor<1x8x16xf32>
  %r2 = attn.reshape %z {shape = array<i64: 1, 8, 16>} : tensor<8x16xf32> -> tensor<1x8x16xf32>
  %g2 = attn.gelu %r2 : tensor<1x8x16xf32>
  return %g, %g2, %r2 : tensor<1x8x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32>
}

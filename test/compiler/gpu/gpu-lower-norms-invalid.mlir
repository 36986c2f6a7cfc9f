// RUN: attnc-opt %s -gpu-lower-norms="warps-per-block=0" -verify-diagnostics

// A block needs at least one warp (and at most 32: 1024 threads).
// expected-error@+1 {{gpu-lower-norms: warps-per-block must be in [1, 32]}}
func.func @no_warps(%x: tensor<3x64xf32>, %g: tensor<64xf32>) -> tensor<3x64xf32> {
  %y = attn.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-06 : f32}
      : (tensor<3x64xf32>, tensor<64xf32>) -> tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}

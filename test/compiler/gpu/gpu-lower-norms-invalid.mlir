// RUN: attnc-opt %s -gpu-lower-norms="warps-per-block=0" -verify-diagnostics
// RUN: not attnc-opt %s -gpu-lower-norms="held-row=5000" 2>&1 | FileCheck %s --check-prefix=HELD

// A lane holds at most 128 elements of a row (4096 for the warp).
// HELD: gpu-lower-norms: held-row must be in [0, 4096]

// A block needs at least one warp (and at most 32: 1024 threads).
// expected-error@+1 {{gpu-lower-norms: warps-per-block must be in [1, 32]}}
func.func @no_warps(%x: tensor<3x64xf32>, %g: tensor<64xf32>) -> tensor<3x64xf32> {
  %y = attn.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-06 : f32}
      : (tensor<3x64xf32>, tensor<64xf32>) -> tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}

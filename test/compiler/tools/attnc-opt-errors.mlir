// Malformed IR and verifier failures: a located diagnostic, a non-zero exit.
// RUN: not attnc-opt %s --split-input-file 2>&1 | FileCheck %s

// CHECK: attnc-opt-errors.mlir:[[@LINE+2]]:{{[0-9]+}}: error: 'attn.sdpa' op expected key heads (3) to divide query heads (4)
func.func @verifier_failure(%q: tensor<1x4x8x16xf32>, %k: tensor<1x3x8x16xf32>, %v: tensor<1x3x8x16xf32>) {
  %o = attn.sdpa %q, %k, %v {scale = 1.0 : f32} : (tensor<1x4x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

// CHECK: attnc-opt-errors.mlir:[[@LINE+2]]:{{[0-9]+}}: error: expected 'left'
func.func @syntax_error(%q: tensor<1x4x8x16xf32>) {
  %o = attn.sdpa %q, %q, %q {scale = 1.0 : f32, mask = #attn.window<lft = 1, right = 0>} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}

// -----

// CHECK: attnc-opt-errors.mlir:[[@LINE+1]]:{{[0-9]+}}: error: custom op 'attn.no_such_op' is unknown
%x = attn.no_such_op : tensor<f32>

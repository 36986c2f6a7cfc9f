// RUN: attnc-opt %s -attn-tile-matmul="vector-width=16 register-rows=0" -verify-diagnostics -split-input-file
// RUN: attnc-opt %s -attn-tile-matmul="vector-width=16 k-block=0" -verify-diagnostics -split-input-file
// RUN: attnc-opt %s -attn-tile-matmul="vector-width=16 tasks=0" -verify-diagnostics -split-input-file

// A kernel shape with a non-positive size is refused before anything is
// rewritten.
// expected-error @+1 {{attn-tile-matmul: register-rows, register-column-vectors, task-rows, k-block and tasks must be positive}}
func.func @non_positive_kernel_shape(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %y = attn.matmul %x, %w : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

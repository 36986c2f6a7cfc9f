// RUN: attnc-opt %s -attn-tile-matmul="vector-width=16 register-rows=0" -verify-diagnostics -split-input-file
// RUN: attnc-opt %s -attn-tile-matmul="vector-width=16 k-block=0" -verify-diagnostics -split-input-file
// RUN: attnc-opt %s -attn-tile-matmul="vector-width=16 tasks=0" -verify-diagnostics -split-input-file
// RUN: not attnc-opt %s -attn-tile-matmul -split-input-file 2>&1 | FileCheck %s --check-prefix=KIND

// A kernel shape with a non-positive size is refused before anything is
// rewritten.
// expected-error @+1 {{attn-tile-matmul: register-rows, register-column-vectors, task-rows, k-block and tasks must be positive}}
func.func @non_positive_kernel_shape(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %y = attn.matmul %x, %w : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// An attn.tiling of another kind is refused, naming what it is.
// KIND: error: 'attn.tiling' must be an #attn.matmul_tiling, got #attn.sdpa_tiling<>
// (The runs with bad options refuse them first, here too.)
// expected-error @+1 {{attn-tile-matmul: register-rows, register-column-vectors, task-rows, k-block and tasks must be positive}}
func.func @tiling_of_another_kind(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %y = attn.matmul %x, %w {attn.tiling = #attn.sdpa_tiling<>} : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

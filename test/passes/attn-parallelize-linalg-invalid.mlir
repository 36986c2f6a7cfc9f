// RUN: attnc-opt %s -attn-parallelize-linalg="task-elements=0" -verify-diagnostics
// RUN: attnc-opt %s -attn-parallelize-linalg="max-tasks=0" -verify-diagnostics

// Options that cannot size a task are refused.
// expected-error @+1 {{attn-parallelize-linalg: min-elements, task-elements and max-tasks must be positive}}
func.func @non_positive_task_size(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  return %x : tensor<4x8xf32>
}

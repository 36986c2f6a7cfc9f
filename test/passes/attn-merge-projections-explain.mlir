// RUN: attnc-opt %s -split-input-file -attn-merge-projections=explain=true -verify-diagnostics -o /dev/null

// With `explain`, why a matmul or linear stays its own product, as a remark
// at the op.

func.func @run_time_weight(%x: tensor<3x4xf32>, %w: tensor<4x4xf32>) -> tensor<3x4xf32> {
  // expected-remark @+1 {{attn-merge-projections: the weight is not a constant 2-D float matrix}}
  %a = attn.matmul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  return %a : tensor<3x4xf32>
}

// -----

func.func @vector_input(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %w = attn.constant dense<1.0> : tensor<4x4xf32>
  // expected-remark @+1 {{attn-merge-projections: the input is not a matrix or a batch of rows}}
  %a = attn.matmul %x, %w : (tensor<4xf32>, tensor<4x4xf32>) -> tensor<4xf32>
  // expected-remark @+1 {{attn-merge-projections: the input is not a matrix or a batch of rows}}
  %b = attn.matmul %x, %w : (tensor<4xf32>, tensor<4x4xf32>) -> tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}

// -----

func.func @run_time_bias(%x: tensor<3x4xf32>, %b: tensor<4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %w = attn.constant dense<1.0> : tensor<4x4xf32>
  // expected-remark @+1 {{attn-merge-projections: the bias is not a constant vector of the output's columns}}
  %a = attn.linear %x, %w, %b : (tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  // expected-remark @+1 {{attn-merge-projections: the bias is not a constant vector of the output's columns}}
  %c = attn.linear %x, %w, %b : (tensor<3x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  return %a, %c : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

func.func @alone(%x: tensor<3x4xf32>, %y: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %w = attn.constant dense<1.0> : tensor<4x4xf32>
  // expected-remark @+1 {{attn-merge-projections: no other projection of the same input has a constant weight of the same form}}
  %a = attn.matmul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  // expected-remark @+1 {{attn-merge-projections: no other projection of the same input has a constant weight of the same form}}
  %b = attn.matmul %y, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  return %a, %b : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// A weight whose bytes are not in the module (a resource without a blob).
func.func @unreadable_weight(%x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %w = attn.constant dense_resource<not_in_this_file> : tensor<4x4xf32>
  // expected-remark @+1 {{attn-merge-projections: a weight's or bias's bytes cannot be read}}
  %a = attn.matmul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %b = attn.matmul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  return %a, %b : tensor<3x4xf32>, tensor<3x4xf32>
}

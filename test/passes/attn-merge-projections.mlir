// RUN: attnc-opt %s -split-input-file -attn-merge-projections | FileCheck %s

// nn.Linear as torch exports it on 3-D activations (MatMul + Add): q, k, v
// of one input become one product by [Wq | Wk | Wv] plus [bq | bk | bv],
// and slices of its last dim. K may be narrower than q (grouped heads).
// CHECK-LABEL: func.func @matmul_add_qkv
// CHECK-DAG: %[[W:.*]] = attn.constant dense_resource<merged_weight{{.*}}> : tensor<4x10xf32>
// CHECK-DAG: %[[B:.*]] = attn.constant dense_resource<merged_bias{{.*}}> : tensor<10xf32>
// CHECK: %[[P:.*]] = attn.matmul %arg0, %[[W]] : (tensor<1x3x4xf32>, tensor<4x10xf32>) -> tensor<1x3x10xf32>
// CHECK: %[[Y:.*]] = attn.add %[[P]], %[[B]] : (tensor<1x3x10xf32>, tensor<10xf32>) -> tensor<1x3x10xf32>
// CHECK-DAG: %[[Q:.*]] = attn.slice %[[Y]] {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 3, 4>, strides = array<i64: 1, 1, 1>}
// CHECK-DAG: %[[K:.*]] = attn.slice %[[Y]] {offsets = array<i64: 0, 0, 4>, sizes = array<i64: 1, 3, 2>, strides = array<i64: 1, 1, 1>}
// CHECK-DAG: %[[V:.*]] = attn.slice %[[Y]] {offsets = array<i64: 0, 0, 6>, sizes = array<i64: 1, 3, 4>, strides = array<i64: 1, 1, 1>}
// CHECK: return %[[Q]], %[[K]], %[[V]]
func.func @matmul_add_qkv(%x: tensor<1x3x4xf32>) -> (tensor<1x3x4xf32>, tensor<1x3x2xf32>, tensor<1x3x4xf32>) {
  %wq = attn.constant dense<1.0> : tensor<4x4xf32>
  %bq = attn.constant dense<0.5> : tensor<4xf32>
  %wk = attn.constant dense<2.0> : tensor<4x2xf32>
  %bk = attn.constant dense<0.25> : tensor<2xf32>
  %wv = attn.constant dense<3.0> : tensor<4x4xf32>
  %bv = attn.constant dense<0.125> : tensor<4xf32>
  %q0 = attn.matmul %x, %wq : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
  %q = attn.add %q0, %bq : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
  %k0 = attn.matmul %x, %wk : (tensor<1x3x4xf32>, tensor<4x2xf32>) -> tensor<1x3x2xf32>
  // The bias may come first, as some exporters write it.
  %k = attn.add %bk, %k0 : (tensor<2xf32>, tensor<1x3x2xf32>) -> tensor<1x3x2xf32>
  %v0 = attn.matmul %x, %wv : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
  %v = attn.add %v0, %bv : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
  return %q, %k, %v : tensor<1x3x4xf32>, tensor<1x3x2xf32>, tensor<1x3x4xf32>
}

// -----

// The merged weight holds each row of W1 followed by the same row of W2:
// [[1], [4]] and [[2, 3], [5, 6]] make [[1, 2, 3], [4, 5, 6]] (f32
// little-endian 1.0 = 0000803F ... 6.0 = 0000C040, after the blob's
// alignment header).
// CHECK-LABEL: func.func @weight_bytes_interleave_rows
// CHECK: attn.matmul %arg0, %{{.*}} : (tensor<5x2xf32>, tensor<2x3xf32>) -> tensor<5x3xf32>
// CHECK-NOT: attn.add
// CHECK: merged_weight{{.*}}: "0x{{[0-9A-F]+}}0000803F0000004000004040000080400000A0400000C040"
func.func @weight_bytes_interleave_rows(%x: tensor<5x2xf32>) -> (tensor<5x1xf32>, tensor<5x2xf32>) {
  %w1 = attn.constant dense<[[1.0], [4.0]]> : tensor<2x1xf32>
  %w2 = attn.constant dense<[[2.0, 3.0], [5.0, 6.0]]> : tensor<2x2xf32>
  %a = attn.matmul %x, %w1 : (tensor<5x2xf32>, tensor<2x1xf32>) -> tensor<5x1xf32>
  %b = attn.matmul %x, %w2 : (tensor<5x2xf32>, tensor<2x2xf32>) -> tensor<5x2xf32>
  return %a, %b : tensor<5x1xf32>, tensor<5x2xf32>
}

// -----

// Gemm's form: attn.linear with [N, K] weights (transpose_weight) stacks
// the weights' rows and joins the biases.
// CHECK-LABEL: func.func @linear_transposed
// CHECK: %[[Y:.*]] = attn.linear %arg0, %{{.*}}, %{{.*}} {transpose_weight = true} : (tensor<2x4xf32>, tensor<6x4xf32>, tensor<6xf32>) -> tensor<2x6xf32>
// CHECK: attn.slice %[[Y]] {offsets = array<i64: 0, 0>, sizes = array<i64: 2, 2>
// CHECK: attn.slice %[[Y]] {offsets = array<i64: 0, 2>, sizes = array<i64: 2, 4>
func.func @linear_transposed(%x: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x4xf32>) {
  %w1 = attn.constant dense<1.0> : tensor<2x4xf32>
  %b1 = attn.constant dense<1.0> : tensor<2xf32>
  %w2 = attn.constant dense<2.0> : tensor<4x4xf32>
  %b2 = attn.constant dense<2.0> : tensor<4xf32>
  %a = attn.linear %x, %w1, %b1 {transpose_weight = true} : (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  %b = attn.linear %x, %w2, %b2 {transpose_weight = true} : (tensor<2x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %a, %b : tensor<2x2xf32>, tensor<2x4xf32>
}

// -----

// Projections of different forms stay apart: with and without a bias, a
// weight computed at run time, a different input.
// CHECK-LABEL: func.func @different_forms_stay
// CHECK-COUNT-2: attn.matmul %arg0
// CHECK: attn.matmul %arg0, %arg1
// CHECK: attn.matmul %arg2
// CHECK-NOT: attn.slice
func.func @different_forms_stay(%x: tensor<3x4xf32>, %w: tensor<4x4xf32>, %y: tensor<3x4xf32>)
    -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
  %w1 = attn.constant dense<1.0> : tensor<4x4xf32>
  %w2 = attn.constant dense<2.0> : tensor<4x4xf32>
  %b2 = attn.constant dense<2.0> : tensor<4xf32>
  %a = attn.matmul %x, %w1 : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %b0 = attn.matmul %x, %w2 : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %b = attn.add %b0, %b2 : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %c = attn.matmul %x, %w : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %d = attn.matmul %y, %w1 : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  return %a, %b, %c, %d : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// A product whose add has other uses keeps its bias apart: the add stays on
// the slice.
// CHECK-LABEL: func.func @shared_product_keeps_its_add
// CHECK: %[[P:.*]] = attn.matmul %arg0, %{{.*}} : (tensor<3x4xf32>, tensor<4x8xf32>) -> tensor<3x8xf32>
// CHECK: %[[A:.*]] = attn.slice %[[P]] {offsets = array<i64: 0, 0>
// CHECK: attn.add %[[A]]
func.func @shared_product_keeps_its_add(%x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
  %w1 = attn.constant dense<1.0> : tensor<4x4xf32>
  %w2 = attn.constant dense<2.0> : tensor<4x4xf32>
  %b1 = attn.constant dense<2.0> : tensor<4xf32>
  %a = attn.matmul %x, %w1 : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %a1 = attn.add %a, %b1 : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %b = attn.matmul %x, %w2 : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  return %a, %a1, %b : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}

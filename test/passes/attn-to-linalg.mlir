// RUN: attnc-opt %s -attn-to-linalg -split-input-file -verify-diagnostics | FileCheck %s

// Broadcasting lives in the indexing maps: the [4] operand reads dim 1 only.
// CHECK-DAG: #[[$ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME: (%[[X:.+]]: tensor<2x4xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK: %[[INIT:.+]] = tensor.empty() : tensor<2x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[B]] : tensor<2x4xf32>, tensor<4xf32>) outs(%[[INIT]] : tensor<2x4xf32>)
// CHECK: arith.addf
// CHECK-NOT: attn.
func.func @add_broadcast(%x: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = attn.add %x, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// A unit dim stretched over a longer one reads index 0.
// CHECK-DAG: #[[$COL0:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @compare_stretches_unit_dim
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[$COL0]], #{{.+}}]
// CHECK: arith.cmpi slt
func.func @compare_stretches_unit_dim(%a: tensor<3x5xi64>, %b: tensor<3x1xi64>) -> tensor<3x5xi1> {
  %0 = attn.less %a, %b : (tensor<3x5xi64>, tensor<3x1xi64>) -> tensor<3x5xi1>
  return %0 : tensor<3x5xi1>
}

// -----

// Batched matmul with a broadcast batch dim on the rhs: one generic,
// loops (batch, m, k, n) so the inner loop streams rows, rhs batch index
// pinned to 0.
// CHECK-DAG: #[[$LHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[$RHS:.+]] = affine_map<(d0, d1, d2, d3) -> (0, d2, d3)>
// CHECK-DAG: #[[$OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @matmul_broadcast_batch
// CHECK: %[[ZERO:.+]] = linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[$LHS]], #[[$RHS]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
// CHECK-SAME: outs(%[[ZERO]] : tensor<2x3x5xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_broadcast_batch(%a: tensor<2x3x4xf32>, %b: tensor<1x4x5xf32>) -> tensor<2x3x5xf32> {
  %0 = attn.matmul %a, %b : (tensor<2x3x4xf32>, tensor<1x4x5xf32>) -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

// Softmax: max-reduce, exp(x - max), sum-reduce, divide.
// CHECK-LABEL: func.func @softmax
// CHECK: %[[MAX:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: %[[EXP:.+]] = linalg.generic
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = attn.softmax %x {axis = 1 : i64} : tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Reshape goes through the flat view; transpose is linalg.transpose.
// CHECK-LABEL: func.func @reshape_transpose
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %{{.+}} {{\[\[}}0, 1, 2]] : tensor<1x4x6xf32> into tensor<24xf32>
// CHECK: %[[SPLIT:.+]] = tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1, 2, 3]] output_shape [1, 4, 2, 3]
// CHECK: linalg.transpose ins(%[[SPLIT]] : tensor<1x4x2x3xf32>) outs(%{{.+}} : tensor<1x2x4x3xf32>) permutation = [0, 2, 1, 3]
func.func @reshape_transpose(%x: tensor<1x4x6xf32>) -> tensor<1x2x4x3xf32> {
  %0 = attn.reshape %x {shape = array<i64: 1, 4, 2, 3>} : tensor<1x4x6xf32> -> tensor<1x4x2x3xf32>
  %1 = attn.transpose %0 {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x4x2x3xf32> -> tensor<1x2x4x3xf32>
  return %1 : tensor<1x2x4x3xf32>
}

// -----

// A forward slice is a tensor.extract_slice.
// CHECK-LABEL: func.func @forward_slice
// CHECK: tensor.extract_slice %{{.+}}[0, 64] [8, 32] [1, 2] : tensor<8x192xf32> to tensor<8x32xf32>
// CHECK-NOT: linalg.generic
func.func @forward_slice(%x: tensor<8x192xf32>) -> tensor<8x32xf32> {
  %0 = attn.slice %x {offsets = array<i64: 0, 64>, sizes = array<i64: 8, 32>, strides = array<i64: 1, 2>} : tensor<8x192xf32> -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

// A backward slice takes the same elements forward from its last index
// (7 - 2 * 3 = 1), then reverses that dim.
// CHECK-DAG: #[[$REV:.+]] = affine_map<(d0) -> (-d0 + 3)>
// CHECK-LABEL: func.func @reversed_slice
// CHECK: %[[FWD:.+]] = tensor.extract_slice %{{.+}}[1] [4] [2] : tensor<8xf32> to tensor<4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$REV]], #{{.+}}]{{.*}} ins(%[[FWD]]
func.func @reversed_slice(%x: tensor<8xf32>) -> tensor<4xf32> {
  %0 = attn.slice %x {offsets = array<i64: 7>, sizes = array<i64: 4>, strides = array<i64: -2>} : tensor<8xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Gather wraps negative indices and clamps the rest before tensor.extract.
// CHECK-LABEL: func.func @gather_rows
// CHECK: linalg.generic
// CHECK: arith.index_cast
// CHECK: arith.select
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %{{.+}}[%{{.+}}, %{{.+}}] : tensor<10x4xf32>
func.func @gather_rows(%t: tensor<10x4xf32>, %i: tensor<3xi64>) -> tensor<3x4xf32> {
  %0 = attn.gather %t, %i {axis = 0 : i64} : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// attn.sdpa is not this pass's business: the conversion reports it.
func.func @sdpa_is_left_to_other_passes(%q: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  // expected-error @+1 {{failed to legalize operation 'attn.sdpa' that was explicitly marked illegal}}
  %0 = attn.sdpa %q, %q, %q {scale = 1.0 : f32} : (tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32>
  return %0 : tensor<1x1x2x4xf32>
}

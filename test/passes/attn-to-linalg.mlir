// RUN: attnc-opt %s -attn-to-linalg -split-input-file -verify-diagnostics | FileCheck %s
// RUN: attnc-opt %s -attn-to-linalg -split-input-file -mlir-print-local-scope -verify-diagnostics | FileCheck %s --check-prefix=CONV

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

// -----

// Unsigned integers: the function becomes signless and the ops that depend
// on signedness take their unsigned forms.
// CHECK-LABEL: func.func @unsigned_ops
// CHECK-SAME: (%{{.+}}: tensor<2x4xi8>, %{{.+}}: tensor<2x4xi8>) -> (tensor<2x4xi8>, tensor<2x4xi8>, tensor<2x4xi1>, tensor<2x4xi8>, tensor<2x4xi8>)
// CHECK: arith.divui
// CHECK: arith.maxui
// CHECK: arith.cmpi ult
// CHECK: arith.maxui
// CHECK: arith.maxui
// CHECK: arith.minui
// CHECK-NOT: ui8
func.func @unsigned_ops(%a: tensor<2x4xui8>, %b: tensor<2x4xui8>) -> (tensor<2x4xui8>, tensor<2x4xui8>, tensor<2x4xi1>, tensor<2x4xui8>, tensor<2x4xui8>) {
  %0 = attn.div %a, %b : (tensor<2x4xui8>, tensor<2x4xui8>) -> tensor<2x4xui8>
  %1 = attn.max %a, %b : (tensor<2x4xui8>, tensor<2x4xui8>) -> tensor<2x4xui8>
  %2 = attn.less %a, %b : (tensor<2x4xui8>, tensor<2x4xui8>) -> tensor<2x4xi1>
  %3 = attn.relu %a : tensor<2x4xui8>
  %4 = attn.clip %a {max = 2.500000e+02 : f64, min = 1.000000e+02 : f64} : tensor<2x4xui8>
  return %0, %1, %2, %3, %4 : tensor<2x4xui8>, tensor<2x4xui8>, tensor<2x4xi1>, tensor<2x4xui8>, tensor<2x4xui8>
}

// -----

// Conversions read the signedness of each side: uitofp from unsigned,
// fptoui into unsigned, extui to widen unsigned, extsi to widen signed into
// unsigned; abs of unsigned is the value itself.
// CHECK-LABEL: func.func @unsigned_casts
// CHECK: arith.uitofp %{{.+}} : i32 to f32
// CHECK: arith.fptoui %{{.+}} : f32 to i32
// CHECK: arith.extui %{{.+}} : i8 to i32
// CHECK: arith.extsi %{{.+}} : i8 to i64
// CHECK-NOT: math.absi
func.func @unsigned_casts(%w: tensor<4xui32>, %f: tensor<4xf32>, %a: tensor<4xui8>, %s: tensor<4xi8>) -> (tensor<4xf32>, tensor<4xui32>, tensor<4xi32>, tensor<4xui64>, tensor<4xui8>) {
  %0 = attn.cast %w : tensor<4xui32> -> tensor<4xf32>
  %1 = attn.cast %f : tensor<4xf32> -> tensor<4xui32>
  %2 = attn.cast %a : tensor<4xui8> -> tensor<4xi32>
  %3 = attn.cast %s : tensor<4xi8> -> tensor<4xui64>
  %4 = attn.abs %a : tensor<4xui8>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xui32>, tensor<4xi32>, tensor<4xui64>, tensor<4xui8>
}

// -----

// An unsigned max reduction starts from 0 and an unsigned min from all
// ones; constants keep their bytes, typed signless.
// CHECK-LABEL: func.func @unsigned_reductions
// CHECK: arith.constant 0 : i8
// CHECK: arith.maxui
// CHECK: arith.constant -1 : i8
// CHECK: arith.minui
// CHECK: arith.constant dense<[7, -1]> : tensor<2xi8>
func.func @unsigned_reductions(%a: tensor<2x4xui8>) -> (tensor<2xui8>, tensor<2xui8>, tensor<2xui8>) {
  %0 = attn.reduce_max %a {axes = array<i64: 1>, keepdims = false} : tensor<2x4xui8> -> tensor<2xui8>
  %1 = attn.reduce_min %a {axes = array<i64: 1>, keepdims = false} : tensor<2x4xui8> -> tensor<2xui8>
  %2 = attn.constant dense<[7, 255]> : tensor<2xui8>
  return %0, %1, %2 : tensor<2xui8>, tensor<2xui8>, tensor<2xui8>
}

// -----

// Run-time dims (shapes.C2): each `?` of a result is read from the operand
// `?` it equals; a reshape goes through the canonical shape (one group per
// `?`); a mean over a run-time dim divides by its run-time extent.
// CHECK-LABEL: func.func @run_time_dims
// CHECK: %[[SEQ:.+]] = tensor.dim %{{.+}}, %c1 : tensor<1x?x64xf32>
// CHECK: tensor.empty(%[[SEQ]]) : tensor<1x?x64xf32>
// CHECK: linalg.generic
// CHECK: tensor.collapse_shape %{{.+}} {{\[\[}}0, 1], [2]] : tensor<1x?x64xf32> into tensor<?x64xf32>
// CHECK: tensor.expand_shape %{{.+}} {{\[\[}}0, 1], [2, 3]] output_shape [1, %{{.+}}, 4, 16] : tensor<?x64xf32> into tensor<1x?x4x16xf32>
// CHECK: arith.index_cast
// CHECK: arith.sitofp
// CHECK: arith.divf
func.func @run_time_dims(%x: tensor<1x?x64xf32>) -> (tensor<1x?x4x16xf32>, tensor<1x1x64xf32>) {
  %y = attn.exp %x : tensor<1x?x64xf32>
  %heads = attn.reshape %y {shape = array<i64: 1, -9223372036854775808, 4, 16>} : tensor<1x?x64xf32> -> tensor<1x?x4x16xf32>
  %mean = attn.reduce_mean %x {axes = array<i64: 1>} : tensor<1x?x64xf32> -> tensor<1x1x64xf32>
  return %heads, %mean : tensor<1x?x4x16xf32>, tensor<1x1x64xf32>
}

// -----

// An op with a run-time dim it cannot say the extent of.
func.func @run_time_dim_without_source(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'attn.tile' op has a run-time dim that attnc cannot lower yet}}
  %r = attn.tile %x {repeats = array<i64: 2, 1>} : tensor<?x8xf32> -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// A KV cache: the past rows, then the new ones, along a run-time dim. The
// offset of the new rows and the result's length are read at run time.
// CHECK-LABEL: func.func @concat_along_run_time_dim
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG: %[[PAST:.+]] = tensor.dim %arg0, %[[C2]] : tensor<1x4x?x16xf32>
// CHECK: %[[TOTAL:.+]] = arith.addi %[[PAST]], %{{.+}} : index
// CHECK: %[[EMPTY:.+]] = tensor.empty(%[[TOTAL]]) : tensor<1x4x?x16xf32>
// CHECK: %[[FIRST:.+]] = tensor.insert_slice %arg0 into %[[EMPTY]][0, 0, 0, 0] [1, 4, %{{.+}}, 16] [1, 1, 1, 1]
// CHECK: tensor.insert_slice %arg1 into %[[FIRST]][0, 0, %{{.+}}, 0] [1, 4, 1, 16] [1, 1, 1, 1] : tensor<1x4x1x16xf32> into tensor<1x4x?x16xf32>
func.func @concat_along_run_time_dim(%past: tensor<1x4x?x16xf32>, %new: tensor<1x4x1x16xf32>) -> tensor<1x4x?x16xf32> {
  %c = attn.concat %past, %new {axis = 2 : i64} : (tensor<1x4x?x16xf32>, tensor<1x4x1x16xf32>) -> tensor<1x4x?x16xf32>
  return %c : tensor<1x4x?x16xf32>
}

// -----

// A static buffer cut to a run-time count (slice.C4): positions 0..seq of
// a table, as exporters cut position and mask buffers to the length.
// CHECK-LABEL: func.func @cut_to_run_time_count
// CHECK: %[[N:.+]] = tensor.dim %{{.+}}, %c1 : tensor<1x?x8xf32>
// CHECK: tensor.extract_slice %{{.+}}[0, 0] [%[[N]], 8] [1, 1] : tensor<64x8xf32> to tensor<?x8xf32>
func.func @cut_to_run_time_count(%x: tensor<1x?x8xf32>, %table: tensor<64x8xf32>) -> tensor<?x8xf32> {
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c1 : tensor<1x?x8xf32>
  %rows = attn.slice %table[%n] {offsets = array<i64: 0, 0>, sizes = array<i64: -9223372036854775808, 8>, strides = array<i64: 1, 1>} : tensor<64x8xf32> -> tensor<?x8xf32>
  return %rows : tensor<?x8xf32>
}

// -----

// A one-group convolution is one 2-D contraction (im2col), which a
// backend's matmul kernel takes: the padded input's windows copied into
// rows [5, 9] (o, c·k), the weight [5, 3, 3] seen as [5, 9], the
// accumulators started from the bias, the rows copied back to channels.
// CONV-LABEL: func.func @conv_as_contraction
// CONV: %[[PADDED:.+]] = tensor.insert_slice %arg0 into %{{.+}}[0, 0, 1] [1, 3, 10] [1, 1, 1] : tensor<1x3x10xf32> into tensor<1x3x11xf32>
// CONV: %[[WINDOWS:.+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2, d1 * 2 + d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]{{.+}} ins(%[[PADDED]]
// CONV: %[[COLUMNS:.+]] = tensor.collapse_shape %[[WINDOWS]] {{\[}}[0, 1], [2, 3]] : tensor<1x5x3x3xf32> into tensor<5x9xf32>
// CONV: %[[ROWS:.+]] = tensor.collapse_shape %arg1 {{\[}}[0], [1, 2]] : tensor<5x3x3xf32> into tensor<5x9xf32>
// CONV: %[[BIAS:.+]] = linalg.generic {{.+}} ins(%arg2 : tensor<5xf32>) outs(%{{.+}} : tensor<5x5xf32>)
// CONV: %[[PRODUCT:.+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[COLUMNS]], %[[ROWS]] : tensor<5x9xf32>, tensor<5x9xf32>) outs(%[[BIAS]] : tensor<5x5xf32>)
// CONV: %[[EXPANDED:.+]] = tensor.expand_shape %[[PRODUCT]] {{\[}}[0, 1], [2]] output_shape [1, 5, 5]
// CONV: %[[RESULT:.+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2, d1)>, {{.+}} ins(%[[EXPANDED]]
// CONV: return %[[RESULT]]
func.func @conv_as_contraction(%x: tensor<1x3x10xf32>, %w: tensor<5x3x3xf32>, %b: tensor<5xf32>) -> tensor<1x5x5xf32> {
  %y = attn.conv %x, %w, %b {strides = array<i64: 2>, pads = array<i64: 1, 0>, dilations = array<i64: 1>, groups = 1 : i64} : (tensor<1x3x10xf32>, tensor<5x3x3xf32>, tensor<5xf32>) -> tensor<1x5x5xf32>
  return %y : tensor<1x5x5xf32>
}

// -----

// Grouped: one loop nest over (n, g, m, o) x (c, k), the input and weight
// split into groups.
// CONV-LABEL: func.func @grouped_conv_loop_nest
// CONV: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d3 + d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
func.func @grouped_conv_loop_nest(%x: tensor<1x4x6xf32>, %w: tensor<4x2x3xf32>) -> tensor<1x4x4xf32> {
  %y = attn.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, groups = 2 : i64} : (tensor<1x4x6xf32>, tensor<4x2x3xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

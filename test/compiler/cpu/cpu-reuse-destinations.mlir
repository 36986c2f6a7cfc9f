// RUN: attnc-opt %s -cpu-reuse-destinations -split-input-file | FileCheck %s

// A result computed into a tensor.empty is computed in the caller's output
// buffer instead, through the chain of tied inits (fill, then generic).
// CHECK-LABEL: func.func @output_buffer
// CHECK-SAME: (%[[X:.+]]: memref<4x8xf32>, %[[OUT:.+]]: memref<4x8xf32>)
// CHECK: %[[DEST:.+]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: tensor.empty
// CHECK: linalg.fill ins(%{{.+}} : f32) outs(%[[DEST]] : tensor<4x8xf32>)
// CHECK: bufferization.materialize_in_destination
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @output_buffer(%x: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %t = bufferization.to_tensor %x restrict : memref<4x8xf32> to tensor<4x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<4x8xf32>) outs(%f : tensor<4x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  bufferization.materialize_in_destination %y in restrict writable %out
      : (tensor<4x8xf32>, memref<4x8xf32>) -> ()
  return
}

// -----

// A result reached through reshapes (a [4, 8] product expanded into
// [1, 4, 8] logits): the value is computed in the caller's buffer
// collapsed back to [4, 8], not copied there.
// CHECK-LABEL: func.func @output_through_reshape
// CHECK-SAME: (%{{.+}}: memref<4x8xf32>, %[[OUT:.+]]: memref<1x4x8xf32>)
// CHECK: %[[DEST:.+]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[DEST]] {{\[}}[0, 1], [2]] : tensor<1x4x8xf32> into tensor<4x8xf32>
// CHECK-NOT: tensor.empty
// CHECK: linalg.fill ins(%{{.+}} : f32) outs(%[[FLAT]] : tensor<4x8xf32>)
// CHECK: tensor.expand_shape
func.func @output_through_reshape(%x: memref<4x8xf32>, %out: memref<1x4x8xf32>) {
  %t = bufferization.to_tensor %x restrict : memref<4x8xf32> to tensor<4x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<4x8xf32>) outs(%f : tensor<4x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %logits = tensor.expand_shape %y [[0, 1], [2]] output_shape [1, 4, 8] : tensor<4x8xf32> into tensor<1x4x8xf32>
  bufferization.materialize_in_destination %logits in restrict writable %out
      : (tensor<1x4x8xf32>, memref<1x4x8xf32>) -> ()
  return
}

// -----

// A KV cache's concat: the new rows are transposed straight into their
// slice of the result. The insert of the past rows came after the
// transpose; it moves up so that the slice can be taken from it.
// CHECK-LABEL: func.func @concat_part
// CHECK: %[[PAST:.+]] = tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 0, 0] [1, 2, 5, 16]
// CHECK: %[[SLICE:.+]] = tensor.extract_slice %[[PAST]][0, 0, 5, 0] [1, 2, 3, 16] [1, 1, 1, 1]
// CHECK: %[[NEW:.+]] = linalg.transpose ins(%{{.+}} : tensor<1x3x2x16xf32>) outs(%[[SLICE]] : tensor<1x2x3x16xf32>)
// CHECK: tensor.insert_slice %[[NEW]] into %[[PAST]][0, 0, 5, 0]
func.func @concat_part(%past: tensor<1x2x5x16xf32>, %rows: tensor<1x3x2x16xf32>) -> tensor<1x2x8x16xf32> {
  %e = tensor.empty() : tensor<1x2x3x16xf32>
  %t = linalg.transpose ins(%rows : tensor<1x3x2x16xf32>) outs(%e : tensor<1x2x3x16xf32>) permutation = [0, 2, 1, 3]
  %cache = tensor.empty() : tensor<1x2x8x16xf32>
  %0 = tensor.insert_slice %past into %cache[0, 0, 0, 0] [1, 2, 5, 16] [1, 1, 1, 1] : tensor<1x2x5x16xf32> into tensor<1x2x8x16xf32>
  %1 = tensor.insert_slice %t into %0[0, 0, 5, 0] [1, 2, 3, 16] [1, 1, 1, 1] : tensor<1x2x3x16xf32> into tensor<1x2x8x16xf32>
  return %1 : tensor<1x2x8x16xf32>
}

// -----

// Left alone: a destination that depends on the value inserted into it
// (it cannot move above the computation), and a value that is not
// computed in a tensor.empty (a function argument).
// CHECK-LABEL: func.func @left_alone
// CHECK: %[[E:.+]] = tensor.empty() : tensor<4xf32>
// CHECK: linalg.fill ins(%{{.+}} : f32) outs(%[[E]] : tensor<4xf32>)
// CHECK-NOT: tensor.extract_slice
func.func @left_alone(%a: tensor<2xf32>, %big: tensor<8xf32>, %s: f32) -> tensor<8xf32> {
  %i = arith.constant 0 : index
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%s : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %c = tensor.extract %f[%i] : tensor<4xf32>
  %d = tensor.insert %c into %big[%i] : tensor<8xf32>
  %0 = tensor.insert_slice %f into %d[4] [4] [1] : tensor<4xf32> into tensor<8xf32>
  %1 = tensor.insert_slice %a into %0[1] [2] [1] : tensor<2xf32> into tensor<8xf32>
  return %1 : tensor<8xf32>
}

// -----

// A slice whose size the IR reads from the value being computed (known
// only after it) is cut with the tensor.empty's size instead, which is
// the same and known before: the value is computed in its slice.
// CHECK-LABEL: func.func @size_from_the_value
// CHECK-SAME: (%[[N:.+]]: index, %[[DEST:.+]]: tensor<64xf32>)
// CHECK-NOT: tensor.empty
// CHECK: %[[SLICE:.+]] = tensor.extract_slice %[[DEST]][0] [%[[N]]] [1] : tensor<64xf32> to tensor<?xf32>
// CHECK: %[[F:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[SLICE]] : tensor<?xf32>)
// CHECK: tensor.insert_slice %[[F]] into %[[DEST]]
func.func @size_from_the_value(%n: index, %dest: tensor<64xf32>) -> tensor<64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %c0 = arith.constant 0 : index
  %size = tensor.dim %f, %c0 : tensor<?xf32>
  %r = tensor.insert_slice %f into %dest[0] [%size] [1] : tensor<?xf32> into tensor<64xf32>
  return %r : tensor<64xf32>
}

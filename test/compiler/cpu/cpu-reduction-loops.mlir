// RUN: attnc-opt %s -split-input-file -cpu-reduction-loops | FileCheck %s

// A row sum (a LayerNorm's mean): the accumulator is loaded once, carried
// through the innermost loop, stored once; the add that combines it is
// reassociable.
// CHECK-LABEL: func.func @row_sum
// CHECK-SAME: (%[[X:.+]]: memref<8x768xf32>, %[[SUM:.+]]: memref<8xf32>)
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step
// CHECK: %[[START:.+]] = memref.load %[[SUM]][%[[I]]]
// CHECK: %[[TOTAL:.+]] = scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %[[START]]) -> (f32)
// CHECK: %[[IN:.+]] = memref.load %[[X]][%[[I]], %[[K]]]
// CHECK: %[[S:.+]] = arith.addf %[[ACC]], %[[IN]] fastmath<reassoc> : f32
// CHECK: scf.yield %[[S]] : f32
// CHECK: memref.store %[[TOTAL]], %[[SUM]][%[[I]]]
// CHECK-NOT: linalg.generic
func.func @row_sum(%x: memref<8x768xf32>, %sum: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x768xf32>) outs(%sum : memref<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A variance's sum of squares with a broadcast mean (a unit dim read at
// 0): only the ops on the accumulator's path are marked, not the square.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK: scf.for %[[I:[^ ]+]] =
// CHECK: scf.for %[[J:[^ ]+]] =
// CHECK: iter_args
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: memref.load %{{.+}}[%[[I]], %[[J]], %[[C0]]] : memref<2x4x1xf32>
// CHECK: %[[D:.+]] = arith.subf %{{.+}}, %{{.+}} : f32
// CHECK: %[[SQ:.+]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK: arith.addf %{{.+}}, %[[SQ]] fastmath<reassoc> : f32
func.func @sum_of_squares(%x: memref<2x4x32xf32>, %mean: memref<2x4x1xf32>, %out: memref<2x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, 0)>, affine_map<(d0, d1, d2) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %mean : memref<2x4x32xf32>, memref<2x4x1xf32>) outs(%out : memref<2x4xf32>) {
  ^bb0(%in: f32, %m: f32, %acc: f32):
    %d = arith.subf %in, %m : f32
    %sq = arith.mulf %d, %d : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Run-time extents: the loop bounds are the buffers' dims.
// CHECK-LABEL: func.func @run_time_rows
// CHECK: %[[ROWS:.+]] = memref.dim %{{.+}}, %{{.+}} : memref<?x64xf32>
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[ROWS]]
// CHECK: arith.maximumf %{{.+}} fastmath<reassoc>
func.func @run_time_rows(%x: memref<?x64xf32>, %max: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x64xf32>) outs(%max : memref<?xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Not a row reduction: the reduced dim is not the innermost loop (a
// column sum), nor on tensors; both stay linalg.generic.
// CHECK-LABEL: func.func @column_sum
// CHECK: linalg.generic
// CHECK-NOT: scf.for
func.func @column_sum(%x: memref<8x16xf32>, %sum: memref<16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<8x16xf32>) outs(%sum : memref<16xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// CHECK-LABEL: func.func @on_tensors
// CHECK: linalg.generic
func.func @on_tensors(%x: tensor<8x16xf32>, %sum: tensor<8xf32>) -> tensor<8xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x16xf32>) outs(%sum : tensor<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// A scalar input is used as it is, inside the loop.
// CHECK-LABEL: func.func @scalar_input
// CHECK-SAME: %[[SCALE:[^:]+]]: f32
// CHECK: scf.for
// CHECK: iter_args
// CHECK: %[[IN:.+]] = memref.load
// CHECK: %[[P:.+]] = arith.mulf %[[IN]], %[[SCALE]] : f32
// CHECK: arith.addf %{{.+}}, %[[P]] fastmath<reassoc>
func.func @scalar_input(%x: memref<4x16xf32>, %scale: f32, %sum: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x, %scale : memref<4x16xf32>, f32) outs(%sum : memref<4xf32>) {
  ^bb0(%in: f32, %s: f32, %acc: f32):
    %p = arith.mulf %in, %s : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

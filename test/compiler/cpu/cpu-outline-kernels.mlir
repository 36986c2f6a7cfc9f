// RUN: attnc-opt %s -split-input-file -cpu-outline-kernels | FileCheck %s

// Two copies of one loop nest, as two layers of a model have them: over
// the same views of different buffers, with different weights. One kernel,
// called twice; the constants (bounds) are cloned in, the memrefs passed.
// CHECK-LABEL: func.func private @kernel0
// CHECK-SAME: (%[[W:.*]]: memref<8xf32>, %[[A:.*]]: memref<4x8xf32, strided<[16, 1], offset: 8>>)
// CHECK-DAG: arith.constant 0 : index
// CHECK-DAG: arith.constant 4 : index
// CHECK: scf.parallel
// CHECK: memref.load %[[W]]
// CHECK: memref.store {{.*}}, %[[A]]
// CHECK: return
// CHECK-LABEL: func.func @two_layers
// CHECK: %[[V0:.*]] = memref.subview %arg0[0, 8] [4, 8] [1, 1]
// CHECK: call @kernel0(%arg2, %[[V0]])
// CHECK: %[[V1:.*]] = memref.subview %arg1[0, 8] [4, 8] [1, 1]
// CHECK: call @kernel0(%arg3, %[[V1]])
// CHECK-NOT: scf.parallel
// CHECK-NOT: @kernel1
func.func @two_layers(%layer0: memref<4x16xf32>, %layer1: memref<4x16xf32>,
                      %w0: memref<8xf32>, %w1: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %first = memref.subview %layer0[0, 8] [4, 8] [1, 1] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %w = memref.load %w0[%j] : memref<8xf32>
    memref.store %w, %first[%i, %j] : memref<4x8xf32, strided<[16, 1], offset: 8>>
  }
  %second = memref.subview %layer1[0, 8] [4, 8] [1, 1] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %w = memref.load %w1[%j] : memref<8xf32>
    memref.store %w, %second[%i, %j] : memref<4x8xf32, strided<[16, 1], offset: 8>>
  }
  return
}

// -----

// Loop nests that differ (the op in the body, an argument's type, a
// view's static offset) stay apart; ops without regions stay in place,
// and so does an op with results.
// CHECK-LABEL: func.func private @kernel0
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK-LABEL: func.func private @kernel1
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK-LABEL: func.func private @kernel2
// CHECK: linalg.fill
// CHECK-LABEL: func.func private @kernel3
// CHECK-SAME: offset: 2
// CHECK-LABEL: func.func private @kernel4
// CHECK-SAME: offset: 4
// CHECK-LABEL: func.func @different
// CHECK: call @kernel0(%arg0, %arg1)
// CHECK: call @kernel1(%arg0, %arg1)
// CHECK: call @kernel2(%arg1)
// CHECK: call @kernel3(
// CHECK: call @kernel4(
// CHECK: memref.copy %arg0, %arg1
// CHECK: scf.for {{.*}} iter_args
#id = affine_map<(d0) -> (d0)>
func.func @different(%a: memref<8xf32>, %b: memref<8xf32>) -> f32 {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : memref<8xf32>) outs(%b : memref<8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : memref<8xf32>) outs(%b : memref<8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.mulf %x, %y : f32
    linalg.yield %s : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%b : memref<8xf32>)
  %at2 = memref.subview %b[2] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 2>>
  linalg.fill ins(%zero : f32) outs(%at2 : memref<4xf32, strided<[1], offset: 2>>)
  %at4 = memref.subview %b[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  linalg.fill ins(%zero : f32) outs(%at4 : memref<4xf32, strided<[1], offset: 4>>)
  memref.copy %a, %b : memref<8xf32> to memref<8xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %sum = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> f32 {
    %x = memref.load %a[%i] : memref<8xf32>
    %next = arith.addf %acc, %x : f32
    scf.yield %next : f32
  }
  return %sum : f32
}

// -----

// A name already taken in the module is skipped; private functions (the
// kernels themselves, helpers) are not outlined from.
// CHECK-LABEL: func.func private @kernel0()
// CHECK: arith.constant 1
// CHECK-LABEL: func.func private @kernel1
// CHECK: linalg.fill
// CHECK-LABEL: func.func @uses_names
// CHECK: call @kernel1(%arg0)
// CHECK-LABEL: func.func private @helper
// CHECK: linalg.fill
func.func private @kernel0() -> i32 {
  %one = arith.constant 1 : i32
  return %one : i32
}
func.func @uses_names(%b: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%b : memref<8xf32>)
  return
}
func.func private @helper(%b: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%b : memref<8xf32>)
  return
}

// RUN: attnc-opt %s -split-input-file -gpu-loops-to-kernels -cse | FileCheck %s
// RUN: attnc-opt %s -split-input-file -gpu-loops-to-kernels="threads=64" | FileCheck %s --check-prefix=T64

// A 3-D elementwise loop of 2 x 100 x 70 = 14000 iterations: 55 blocks of
// 256 threads on a one-dimensional grid, the last block masked; each
// thread's indices come from its linear number, the last dimension
// fastest; the reduction loop inside runs in the thread.
// CHECK-LABEL: func.func @rows
// CHECK: gpu.launch blocks(%[[BX:[a-z0-9]+]], %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %c55, %{{[a-z0-9]+}} = %c1, %{{[a-z0-9]+}} = %c1) threads(%[[TX:[a-z0-9]+]], %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %c256, %{{[a-z0-9]+}} = %c1, %{{[a-z0-9]+}} = %c1)
// CHECK: %[[BASE:.+]] = arith.muli %[[BX]], %c256
// CHECK: %[[LINEAR:.+]] = arith.addi %[[BASE]], %[[TX]]
// CHECK: %[[IN:.+]] = arith.cmpi ult, %[[LINEAR]], %c14000
// CHECK: scf.if %[[IN]]
// CHECK: %[[K:.+]] = arith.remui %[[LINEAR]], %c70
// CHECK: %[[REST:.+]] = arith.divui %[[LINEAR]], %c70
// CHECK: %[[J:.+]] = arith.remui %[[REST]], %c100
// CHECK: %[[I:.+]] = arith.divui %[[REST]], %c100
// CHECK: scf.for
// CHECK: memref.load %{{.+}}[%[[I]], %[[J]], %[[K]], %{{.+}}]
// CHECK: memref.store %{{.+}}, %{{.+}}[%[[I]], %[[J]], %[[K]]]
// CHECK: gpu.terminator
// CHECK-NOT: scf.parallel
// T64-LABEL: func.func @rows
// T64: threads({{.+}}) in (%{{.+}} = %c64
func.func @rows(%x: memref<2x100x70x8xf32>, %out: memref<2x100x70xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %c70 = arith.constant 70 : index
  %c100 = arith.constant 100 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%c2, %c100, %c70) step (%c1, %c1, %c1) {
    %sum = scf.for %l = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %e = memref.load %x[%i, %j, %k, %l] : memref<2x100x70x8xf32>
      %s = arith.addf %acc, %e : f32
      scf.yield %s : f32
    }
    memref.store %sum, %out[%i, %j, %k] : memref<2x100x70xf32>
    scf.reduce
  }
  return
}

// -----

// Fewer iterations than a block holds: one block of exactly that many.
// CHECK-LABEL: func.func @small
// CHECK: gpu.launch blocks({{.+}}) in (%{{[a-z0-9]+}} = %c1{{(_[0-9]+)?}}, %{{[a-z0-9]+}} = %c1{{(_[0-9]+)?}}, %{{[a-z0-9]+}} = %c1{{(_[0-9]+)?}}) threads({{.+}}) in (%{{[a-z0-9]+}} = %c10{{(_[0-9]+)?}},
func.func @small(%out: memref<10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c10) step (%c1) {
    memref.store %f, %out[%i] : memref<10xf32>
    scf.reduce
  }
  return
}

// -----

// A run-time extent: the launch only when there is work (a grid of 0
// blocks would be a launch error).
// CHECK-LABEL: func.func @run_time
// CHECK: %[[ANY:.+]] = arith.cmpi ugt, %{{.+}}, %c0
// CHECK: scf.if %[[ANY]]
// CHECK: gpu.launch
// An empty static space: nothing at all.
// CHECK-LABEL: func.func @empty
// CHECK-NEXT: return
func.func @run_time(%out: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %f, %out[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

func.func @empty(%out: memref<0xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c0) step (%c1) {
    memref.store %f, %out[%i] : memref<0xf32>
    scf.reduce
  }
  return
}

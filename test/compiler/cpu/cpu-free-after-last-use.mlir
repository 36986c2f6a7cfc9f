// RUN: attnc-opt %s -split-input-file -cpu-free-after-last-use | FileCheck %s

// Each buffer is freed right after the last op that uses it or a view of
// it (a loop that reads it counts as one use), no longer at the block's
// end: %b's block can serve %c.
// CHECK-LABEL: func.func @after_last_use
// CHECK: %[[A:.+]] = memref.alloc(%arg0)
// CHECK: %[[B:.+]] = memref.alloc(%arg0)
// CHECK: linalg.fill ins(%arg1 : f32) outs(%[[A]]
// CHECK: %[[VIEW:.+]] = memref.subview %[[B]]
// CHECK: linalg.fill ins(%arg1 : f32) outs(%[[VIEW]]
// CHECK: scf.for
// CHECK: memref.load %[[B]]
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK: %[[C:.+]] = memref.alloc(%arg0)
// CHECK: memref.copy %[[A]], %[[C]]
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK: memref.copy %[[C]], %arg2
// CHECK-NEXT: memref.dealloc %[[C]]
// CHECK-NEXT: return
func.func @after_last_use(%n: index, %x: f32, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc(%n) : memref<?xf32>
  %b = memref.alloc(%n) : memref<?xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<?xf32>)
  %view = memref.subview %b[0] [%n] [1] : memref<?xf32> to memref<?xf32, strided<[1]>>
  linalg.fill ins(%x : f32) outs(%view : memref<?xf32, strided<[1]>>)
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %b[%i] : memref<?xf32>
    memref.store %v, %a[%i] : memref<?xf32>
  }
  %c = memref.alloc(%n) : memref<?xf32>
  memref.copy %a, %c : memref<?xf32> to memref<?xf32>
  memref.copy %c, %out : memref<?xf32> to memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  memref.dealloc %b : memref<?xf32>
  memref.dealloc %c : memref<?xf32>
  return
}

// -----

// A dealloc in another block than its alloc (here: inside a branch, as
// ownership-based deallocation writes a conditional free) stays.
// CHECK-LABEL: func.func @conditional_free
// CHECK: scf.if %arg1 {
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @conditional_free(%n: index, %owned: i1, %x: f32) {
  %a = memref.alloc(%n) : memref<?xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<?xf32>)
  linalg.fill ins(%x : f32) outs(%a : memref<?xf32>)
  scf.if %owned {
    memref.dealloc %a : memref<?xf32>
  }
  return
}

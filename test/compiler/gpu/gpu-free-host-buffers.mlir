// RUN: attnc-opt %s -split-input-file -gpu-free-host-buffers | FileCheck %s

// Entry-block allocations freed before the return, except one returned
// (through a view) and one already freed.
// CHECK-LABEL: func.func @frees
// CHECK: %[[A:.+]] = memref.alloc() : memref<8xf32>
// CHECK: %[[B:.+]] = memref.alloc() : memref<4x4xf32>
// CHECK: %[[C:.+]] = memref.alloc() : memref<2xf32>
// CHECK: %[[D:.+]] = memref.alloc() : memref<3xf32>
// CHECK: memref.dealloc %[[D]]
// CHECK: memref.dealloc %[[A]]
// CHECK-NEXT: memref.dealloc %[[C]]
// CHECK-NEXT: return %{{.+}}
// CHECK-NOT: memref.dealloc %[[B]]
func.func @frees(%x: memref<8xf32>) -> memref<16xf32> {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<4x4xf32>
  %c = memref.alloc() : memref<2xf32>
  %d = memref.alloc() : memref<3xf32>
  memref.copy %x, %a : memref<8xf32> to memref<8xf32>
  memref.dealloc %d : memref<3xf32>
  %flat = memref.collapse_shape %b [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  return %flat : memref<16xf32>
}

// RUN: attnc-opt %s -cpu-stack-task-buffers | FileCheck %s

// In a parallel task: a 16 KiB tile goes on the stack, a 128 KiB one
// (over 64 KiB) stays on the heap; so does anything outside a task.
// CHECK-LABEL: func.func @task_buffers
// CHECK: memref.alloc() : memref<8xf32>
// CHECK: scf.forall
// CHECK-DAG: memref.alloca() {alignment = 64 : i64} : memref<64x64xf32>
// CHECK-DAG: memref.alloc() : memref<128x256xf32>
func.func @task_buffers(%out: memref<4x64x64xf32>) {
  %outside = memref.alloc() : memref<8xf32>
  scf.forall (%i) in (4) {
    %tile = memref.alloc() {alignment = 64 : i64} : memref<64x64xf32>
    %big = memref.alloc() : memref<128x256xf32>
    %dst = memref.subview %out[%i, 0, 0] [1, 64, 64] [1, 1, 1] : memref<4x64x64xf32> to memref<64x64xf32, strided<[64, 1], offset: ?>>
    memref.copy %tile, %dst : memref<64x64xf32> to memref<64x64xf32, strided<[64, 1], offset: ?>>
    memref.dealloc %big : memref<128x256xf32>
  }
  memref.dealloc %outside : memref<8xf32>
  return
}

// At most 256 KiB per task: of five 64 KiB tiles, four go on the stack.
// CHECK-LABEL: func.func @task_stack_budget
// CHECK-COUNT-4: memref.alloca() : memref<128x128xf32>
// CHECK: memref.alloc() : memref<128x128xf32>
func.func @task_stack_budget() {
  scf.forall (%i) in (2) {
    %a = memref.alloc() : memref<128x128xf32>
    %b = memref.alloc() : memref<128x128xf32>
    %c = memref.alloc() : memref<128x128xf32>
    %d = memref.alloc() : memref<128x128xf32>
    %e = memref.alloc() : memref<128x128xf32>
  }
  return
}

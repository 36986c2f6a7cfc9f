// RUN: attnc-opt %s -cpu-copy-to-linalg | FileCheck %s

// A strided copy would call MLIR's runner library; as linalg.copy it
// becomes loops.
// CHECK-LABEL: func.func @strided_copy
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%{{.+}} : memref<4x8xf32, strided<[16, 1]>>) outs(%{{.+}} : memref<4x8xf32>)
func.func @strided_copy(%src: memref<4x16xf32>, %dst: memref<4x8xf32>) {
  %view = memref.subview %src[0, 0] [4, 8] [1, 1] : memref<4x16xf32> to memref<4x8xf32, strided<[16, 1]>>
  memref.copy %view, %dst : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
  return
}

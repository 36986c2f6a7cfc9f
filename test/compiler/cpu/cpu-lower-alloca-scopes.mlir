// RUN: attnc-opt %s -cpu-lower-alloca-scopes | FileCheck %s

// A scope with an alloca: its body inlined between stacksave and
// stackrestore, so the buffer is released when the scope ends.
// CHECK-LABEL: func.func @scope_with_alloca
// CHECK-NOT: memref.alloca_scope
// CHECK: %[[SAVED:.+]] = llvm.intr.stacksave : !llvm.ptr
// CHECK: memref.alloca() : memref<16xf32>
// CHECK: llvm.intr.stackrestore %[[SAVED]] : !llvm.ptr
func.func @scope_with_alloca(%x: f32) {
  memref.alloca_scope {
    %buf = memref.alloca() : memref<16xf32>
    %c0 = arith.constant 0 : index
    memref.store %x, %buf[%c0] : memref<16xf32>
  }
  return
}

// A scope without allocas is inlined as it is; its results carry over.
// CHECK-LABEL: func.func @scope_without_alloca
// CHECK-NOT: memref.alloca_scope
// CHECK-NOT: llvm.intr.stacksave
// CHECK: %[[S:.+]] = arith.addf
// CHECK: return %[[S]]
func.func @scope_without_alloca(%x: f32) -> f32 {
  %r = memref.alloca_scope -> (f32) {
    %s = arith.addf %x, %x : f32
    memref.alloca_scope.return %s : f32
  }
  return %r : f32
}

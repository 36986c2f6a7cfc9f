// RUN: attnc-opt %s -gpu-align-shared | FileCheck %s
// RUN: attnc-opt %s -gpu-align-shared="alignment=32" | FileCheck %s --check-prefix=WIDER
// RUN: attnc-opt %s -gpu-align-shared | mlir-opt --pass-pipeline="builtin.module(gpu.module(convert-gpu-to-nvvm))" | FileCheck %s --check-prefix=NVVM
// RUN: not attnc-opt %s -gpu-align-shared="alignment=12" 2>&1 | FileCheck %s --check-prefix=BAD

// Every shared buffer of every kernel gets llvm.align = 16 (f16 tiles
// would otherwise be 2-byte aligned); one that asks for more keeps it;
// private buffers are left alone. The NVVM lowering carries it to the
// .shared globals.
// CHECK-LABEL: gpu.func @tiles
// CHECK-SAME: workgroup(%{{.+}} : memref<64x24xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.+}} : memref<64xf32, #gpu.address_space<workgroup>> {llvm.align = 64 : i64})
// CHECK-SAME: private(%{{.+}} : memref<4xf32, #gpu.address_space<private>>)
// CHECK-LABEL: gpu.func @more
// CHECK-SAME: workgroup(%{{.+}} : memref<8xi8, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// WIDER-LABEL: gpu.func @tiles
// WIDER-SAME: {llvm.align = 32 : i64}, %{{.+}} : memref<64xf32, #gpu.address_space<workgroup>> {llvm.align = 64 : i64})
// NVVM: llvm.mlir.global internal @__wg_tiles_0() {addr_space = 3 : i32, alignment = 16 : i64}
// NVVM: llvm.mlir.global internal @__wg_tiles_1() {addr_space = 3 : i32, alignment = 64 : i64}
// BAD: gpu-align-shared: alignment must be a power of two, not 12
gpu.module @kernels {
  gpu.func @tiles(%out: memref<f16>) workgroup(%tile: memref<64x24xf16, #gpu.address_space<workgroup>>,
                                              %biases: memref<64xf32, #gpu.address_space<workgroup>> {llvm.align = 64 : i64})
      private(%row: memref<4xf32, #gpu.address_space<private>>) kernel {
    %c0 = arith.constant 0 : index
    %x = memref.load %tile[%c0, %c0] : memref<64x24xf16, #gpu.address_space<workgroup>>
    memref.store %x, %out[] : memref<f16>
    gpu.return
  }
  gpu.func @more() workgroup(%bytes: memref<8xi8, #gpu.address_space<workgroup>>) kernel {
    gpu.return
  }
}

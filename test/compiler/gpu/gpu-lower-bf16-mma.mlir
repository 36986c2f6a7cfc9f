// RUN: attnc-opt %s -split-input-file -gpu-lower-bf16-mma | FileCheck %s

// A bf16 warp product becomes nvvm.mma.sync with bf16 multiplicands: each
// fragment row of two bf16 values one i32 register (4 for A, 2 for B),
// the four f32 accumulators, and the result struct's four floats back as
// the vector<2x2xf32> the kernel carries.
// CHECK-LABEL: gpu.func @bf16_product
// CHECK-COUNT-6: vector.bitcast %{{.+}} : vector<2xbf16> to vector<1xi32>
// CHECK: %[[D:.+]] = nvvm.mma.sync A[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] B[%{{.+}}, %{{.+}}] C[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}]
// CHECK-SAME: layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK-SAME: (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK-COUNT-4: llvm.extractvalue %[[D]]
// CHECK: vector.from_elements {{.+}} : vector<2x2xf32>
// CHECK-NOT: nvgpu.mma.sync
gpu.module @kernels {
  gpu.func @bf16_product(%a: vector<4x2xbf16>, %b: vector<2x2xbf16>, %c: vector<2x2xf32>,
                         %out: memref<vector<2x2xf32>>) kernel {
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]}
        : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
    memref.store %d, %out[] : memref<vector<2x2xf32>>
    gpu.return
  }
  // The fp16 product is left to upstream's convert-nvgpu-to-nvvm.
  // CHECK-LABEL: gpu.func @fp16_product
  // CHECK: nvgpu.mma.sync
  // CHECK-NOT: nvvm.mma.sync
  gpu.func @fp16_product(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>,
                         %out: memref<vector<2x2xf32>>) kernel {
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]}
        : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    memref.store %d, %out[] : memref<vector<2x2xf32>>
    gpu.return
  }
}

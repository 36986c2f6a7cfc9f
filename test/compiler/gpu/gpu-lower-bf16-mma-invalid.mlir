// RUN: attnc-opt %s -split-input-file -gpu-lower-bf16-mma -verify-diagnostics

// Only the m16n8k16 form with f32 accumulators (the one the matmul kernel
// writes) is lowered; another bf16 shape is an error, not a silent skip
// that upstream's conversion would then reject less clearly.
gpu.module @kernels {
  gpu.func @bf16_k8(%a: vector<2x2xbf16>, %b: vector<1x2xbf16>, %c: vector<2x2xf32>,
                    %out: memref<vector<2x2xf32>>) kernel {
    // expected-error @below {{gpu-lower-bf16-mma takes m16n8k16 products of vector<4x2xbf16> and vector<2x2xbf16> into vector<2x2xf32>}}
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 8]}
        : (vector<2x2xbf16>, vector<1x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
    memref.store %d, %out[] : memref<vector<2x2xf32>>
    gpu.return
  }
}

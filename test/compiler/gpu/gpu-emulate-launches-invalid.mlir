// RUN: attnc-opt %s -split-input-file -gpu-emulate-launches -verify-diagnostics

// The emulator runs launches in program order: an asynchronous one (after
// gpu-async-region) has no CPU-thread form.
func.func @async_launch(%out: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  %t0 = gpu.wait async
  // expected-error @below {{gpu-emulate-launches takes synchronous kernels of one block (structured control flow)}}
  %t1 = gpu.launch async [%t0] blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
                   threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    memref.store %f, %out[%tx] : memref<4xf32>
    gpu.terminator
  }
  gpu.wait [%t1]
  return
}

// -----

// A warp product needs whole warps: its lanes exchange fragments.
func.func @partial_warp(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>) {
  %c1 = arith.constant 1 : index
  %c48 = arith.constant 48 : index
  // expected-error @below {{gpu-emulate-launches emulates warp-wide ops in blocks of a constant number of whole warps}}
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c48, %v = %c1, %w = %c1) {
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]}
        : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    gpu.terminator
  }
  return
}

// -----

// Only the m16n8k16 fp16/bf16 form the matmul kernel writes.
func.func @other_shape(%a: vector<2x2xf16>, %b: vector<1x2xf16>, %c: vector<2x2xf16>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c32, %v = %c1, %w = %c1) {
    // expected-error @below {{gpu-emulate-launches emulates m16n8k16 products of fp16/bf16 fragments into f32 only}}
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 8]}
        : (vector<2x2xf16>, vector<1x2xf16>, vector<2x2xf16>) -> vector<2x2xf16>
    gpu.terminator
  }
  return
}

// -----

// Only butterfly shuffles over whole warps (what the attention kernel's
// row reductions use).
func.func @down_shuffle(%x: f32) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %offset = arith.constant 1 : i32
  %width = arith.constant 32 : i32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%u = %c32, %v = %c1, %w = %c1) {
    // expected-error @below {{gpu-emulate-launches emulates xor shuffles of f32 over whole warps (width 32) only}}
    %y, %valid = gpu.shuffle down %x, %offset, %width : f32
    gpu.terminator
  }
  return
}

// -----

// ldmatrix from a buffer of another rank than 2 (the tensor-core kernels
// load from 2-D tiles or 2-D views of their stages).
func.func @matrix_load_from_3d_buffer() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%u = %c32, %v = %c1, %w = %c1)
             workgroup(%tile : memref<2x16x16xf16, #gpu.address_space<workgroup>>) {
    // expected-error @below {{gpu-emulate-launches emulates ldmatrix of 1, 2 or 4 matrices (plain or transposed) of 16-bit elements from a 2-D buffer only}}
    %m = nvgpu.ldmatrix %tile[%c0, %c0, %c0] {numTiles = 4 : i32, transpose = true}
        : memref<2x16x16xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
    gpu.terminator
  }
  return
}

// -----

// A partial copy (zero fill past a source element count) is not emulated.
func.func @partial_async_copy(%src: memref<8xf16>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1)
             workgroup(%tile : memref<8xf16, #gpu.address_space<workgroup>>) {
    // expected-error @below {{gpu-emulate-launches emulates whole asynchronous copies only (no source element count)}}
    %copy = nvgpu.device_async_copy %src[%c0], %tile[%c0], 8, %n
        : memref<8xf16> to memref<8xf16, #gpu.address_space<workgroup>>
    gpu.terminator
  }
  return
}

// RUN: attnc-opt %s -split-input-file -gpu-device-buffers -verify-diagnostics

func.func @host_reads_device_buffer(%out: memref<4xf32>) {
  %tmp = memref.alloc() : memref<4xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    %f = arith.constant 2.0 : f32
    memref.store %f, %tmp[%tx] : memref<4xf32>
    gpu.terminator
  }
  // expected-error @below {{would read or write device memory from the host}}
  %a = memref.load %tmp[%c0] : memref<4xf32>
  memref.store %a, %out[%c0] : memref<4xf32>
  return
}

// -----

// A column-major view: no row-major dense buffer covers it.
func.func @strided_argument(%in: memref<4x8xf32, strided<[1, 4]>>, %out: memref<4xf32>) {
  // expected-error @-1 {{the CUDA backend needs a kernel's buffers dense, or a caller's view of a dense buffer with room to spare, got 'memref<4x8xf32, strided<[1, 4]>>'}}
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    %a = memref.load %in[%tx, %tx] : memref<4x8xf32, strided<[1, 4]>>
    memref.store %a, %out[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @host_loop(%in: memref<4xf32>, %out: memref<4xf32>) {
  // expected-error @below {{'linalg.copy' op would run on the host, outside every kernel}}
  linalg.copy ins(%in : memref<4xf32>) outs(%out : memref<4xf32>)
  return
}

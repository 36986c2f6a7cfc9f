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

// -----

// The host fills a kernel's buffer under a condition: the one copy after
// the last store has no single place.
func.func @host_store_in_region(%n: index, %cond: i1, %out: memref<4xi64>) {
  %start = memref.alloc() : memref<1xi64>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %v = arith.index_cast %n : index to i64
  scf.if %cond {
    // expected-error @below {{'memref.store' op writes a kernel's buffer on the host inside a region; the CUDA backend copies such buffers once, before the kernels}}
    memref.store %v, %start[%c0] : memref<1xi64>
  }
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v2 = %c1, %w = %c1) {
    %s = memref.load %start[%c0] : memref<1xi64>
    memref.store %s, %out[%tx] : memref<4xi64>
    gpu.terminator
  }
  return
}

// -----

// The host stores into a kernel's buffer after the kernel read it.
func.func @host_store_after_kernel(%n: index, %out: memref<4xi64>) {
  %start = memref.alloc() : memref<1xi64>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %v = arith.index_cast %n : index to i64
  memref.store %v, %start[%c0] : memref<1xi64>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v2 = %c1, %w = %c1) {
    %s = memref.load %start[%c0] : memref<1xi64>
    memref.store %s, %out[%tx] : memref<4xi64>
    gpu.terminator
  }
  // expected-error @below {{'memref.store' op writes a kernel's buffer on the host after a kernel or copy uses it; the CUDA backend copies it once, before}}
  memref.store %v, %start[%c0] : memref<1xi64>
  return
}

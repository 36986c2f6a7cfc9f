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

// RUN: attnc-opt %s -split-input-file -gpu-loops-to-kernels -verify-diagnostics
// RUN: not attnc-opt %s -split-input-file -gpu-loops-to-kernels="threads=2048" 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS: gpu-loops-to-kernels: threads must be in [1, 1024]

// A parallel loop that reduces into a value (linalg never writes one; a
// hand-written one has no thread-per-iteration form) is refused.
func.func @parallel_reduction(%x: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{gpu-loops-to-kernels: parallel reductions are not supported}}
  %sum = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
    %e = memref.load %x[%i] : memref<8xf32>
    scf.reduce(%e : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}

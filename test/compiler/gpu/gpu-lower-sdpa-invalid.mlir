// Blocks the kernel cannot take.
// RUN: not attnc-opt %s -gpu-lower-sdpa="q-block=0" 2>&1 | FileCheck %s
// RUN: not attnc-opt %s -gpu-lower-sdpa="q-block=2048" 2>&1 | FileCheck %s
// RUN: not attnc-opt %s -gpu-lower-sdpa="kv-block=-1" 2>&1 | FileCheck %s
// RUN: not attnc-opt %s -gpu-lower-sdpa="kv-splits=-1" 2>&1 | FileCheck %s
// CHECK: gpu-lower-sdpa: q-block must be in [1, 1024], kv-block and kv-splits >= 0
// A type the tensor cores are not given.
// RUN: not attnc-opt %s -gpu-lower-sdpa="precision=fp8" 2>&1 | FileCheck %s --check-prefix=PRECISION
// PRECISION: gpu-lower-sdpa: precision must be fp32, fp16 or bf16, not 'fp8'
func.func @any(%x: memref<4xf32>) {
  return
}

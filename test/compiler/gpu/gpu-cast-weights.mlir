// RUN: attnc-opt %s -split-input-file -gpu-cast-weights=precision=fp16 | FileCheck %s
// RUN: attnc-opt %s -split-input-file -gpu-cast-weights=precision=bf16 | FileCheck %s --check-prefix=BF16
// RUN: attnc-opt %s -split-input-file -gpu-cast-weights | FileCheck %s --check-prefix=FP32
// RUN: not attnc-opt %s -split-input-file -gpu-cast-weights=precision=fp8 2>&1 | FileCheck %s --check-prefix=BAD

// A projection's constant weight becomes an fp16 constant (a new
// resource), the body extends it where it read the f32 value; the
// activation stays f32. A second product of the same weight shares the
// one fp16 copy. The f32 constant, read by nothing else, is gone (else
// the executable would carry both). With bf16 the same in bf16; with fp32
// nothing moves.
// CHECK-LABEL: func.func @projection
// CHECK-NOT: tensor<4x3xf32>
// CHECK: %[[W16:.+]] = arith.constant dense_resource<weight_fp16> : tensor<4x3xf16>
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %[[W16]] : tensor<8x4xf32>, tensor<4x3xf16>)
// CHECK: ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f16, %[[O:.+]]: f32):
// CHECK: %[[BF:.+]] = arith.extf %[[B]] : f16 to f32
// CHECK: %[[P:.+]] = arith.mulf %[[A]], %[[BF]] : f32
// CHECK: arith.addf %[[O]], %[[P]] : f32
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %[[W16]] : tensor<8x4xf32>, tensor<4x3xf16>)
// CHECK-NOT: weight_fp16_
// BF16-LABEL: func.func @projection
// BF16: arith.constant dense_resource<weight_bf16> : tensor<4x3xbf16>
// BF16: arith.extf %{{.+}} : bf16 to f32
// FP32-LABEL: func.func @projection
// FP32-NOT: f16
// BAD: gpu-cast-weights: precision must be fp32, fp16 or bf16, got 'fp8'
func.func @projection(%x: tensor<8x4xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %w = arith.constant dense<[[1.0, -2.5, 0.1], [3.0e-6, 7.0, 1.0e-3], [0.5, 0.25, -0.125], [2.0, -0.0, 2.0]]> : tensor<4x3xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x3xf32>) -> tensor<8x3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%f : tensor<8x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%f : tensor<8x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  return %r, %t : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

// Left alone: a product of two activations (no constant), and an
// elementwise op on the weight (not a contraction).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: f16
func.func @left_alone(%x: tensor<8x4xf32>, %y: tensor<4x3xf32>, %acc: tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<4x3xf32>) {
  %w = arith.constant dense<1.5> : tensor<4x3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %y : tensor<8x4xf32>, tensor<4x3xf32>) outs(%acc : tensor<8x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %e = tensor.empty() : tensor<4x3xf32>
  %d = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<4x3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %a : f32
    linalg.yield %t : f32
  } -> tensor<4x3xf32>
  return %r, %d : tensor<8x3xf32>, tensor<4x3xf32>
}

// -----

// A weight also read by an op that is no product keeps its f32 constant
// for that op; the product reads the fp16 copy.
// CHECK-LABEL: func.func @shared_weight
// CHECK-DAG: %[[W:.+]] = arith.constant dense<1.500000e+00> : tensor<4x3xf32>
// CHECK-DAG: %[[W16:.+]] = arith.constant dense_resource<weight_fp16> : tensor<4x3xf16>
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %[[W16]] : tensor<8x4xf32>, tensor<4x3xf16>)
// CHECK: linalg.generic {{.+}} ins(%[[W]] : tensor<4x3xf32>)
func.func @shared_weight(%x: tensor<8x4xf32>, %acc: tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<4x3xf32>) {
  %w = arith.constant dense<1.5> : tensor<4x3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<8x4xf32>, tensor<4x3xf32>) outs(%acc : tensor<8x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x3xf32>
  %e = tensor.empty() : tensor<4x3xf32>
  %d = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<4x3xf32>) outs(%e : tensor<4x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %a : f32
    linalg.yield %t : f32
  } -> tensor<4x3xf32>
  return %r, %d : tensor<8x3xf32>, tensor<4x3xf32>
}

// RUN: attnc-opt %s -split-input-file -gpu-fuse-elementwise | FileCheck %s

// A LayerNorm-like scale before a projection stays its own op (nothing is
// fused into a contraction); the bias add and GELU-like tail after it fuse
// with each other as upstream fusion would.
// CHECK-LABEL: func.func @projection_between_elementwise
// CHECK: %[[SCALED:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
// CHECK: arith.mulf
// CHECK: %[[PRODUCT:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[SCALED]], %{{.+}} :
// CHECK: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK-NEXT: linalg.yield
// CHECK: linalg.generic {{.+}} ins(%[[PRODUCT]]
// CHECK: arith.addf
// CHECK: math.tanh
// CHECK-NOT: linalg.generic
#id = affine_map<(m, n) -> (m, n)>
func.func @projection_between_elementwise(%x: tensor<8x32xf32>, %g: tensor<8x32xf32>, %w: tensor<32x16xf32>,
                                          %b: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %e0 = tensor.empty() : tensor<8x32xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %g : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e0 : tensor<8x32xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<8x32xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<8x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %product = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                              affine_map<(m, n, k) -> (m, n)>],
                             iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%scaled, %w : tensor<8x32xf32>, tensor<32x16xf32>) outs(%init : tensor<8x16xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %p = arith.mulf %a, %c : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  %e2 = tensor.empty() : tensor<8x16xf32>
  %biased = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%product, %b : tensor<8x16xf32>, tensor<8x16xf32>) outs(%e2 : tensor<8x16xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  %e3 = tensor.empty() : tensor<8x16xf32>
  %act = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%biased : tensor<8x16xf32>) outs(%e3 : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<8x16xf32>
  return %act : tensor<8x16xf32>
}

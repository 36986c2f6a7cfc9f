// RUN: attnc-opt %s -attn-parallelize-linalg="min-elements=1024 task-elements=4096 max-tasks=16" -split-input-file | FileCheck %s

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// An elementwise op over [1, 128, 768]: 16 tasks (98304 / 4096 = 24,
// capped at 16); the unit batch dim is skipped, the rows are cut into 16
// blocks of 8, and each task keeps whole rows of 768 for its inner loop.
// CHECK-LABEL: func.func @elementwise_rows_split
// CHECK: scf.forall (%[[ROW:.+]]) = (0) to (128) step (8) shared_outs(%[[OUT:.+]] = %{{.+}})
// CHECK: %[[IN:.+]] = tensor.extract_slice %arg0[0, %[[ROW]], 0] [1, 8, 768] [1, 1, 1]
// CHECK: linalg.generic {{.+}} ins(%[[IN]] : tensor<1x8x768xf32>)
// CHECK: math.tanh
// CHECK: tensor.parallel_insert_slice %{{.+}} into %[[OUT]][0, %[[ROW]], 0] [1, 8, 768]
func.func @elementwise_rows_split(%x: tensor<1x128x768xf32>) -> tensor<1x128x768xf32> {
  %e = tensor.empty() : tensor<1x128x768xf32>
  %y = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x128x768xf32>) outs(%e : tensor<1x128x768xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<1x128x768xf32>
  return %y : tensor<1x128x768xf32>
}

// -----

// A row reduction (LayerNorm's mean): the parallel rows are split, the
// reduced dim never is. With 2 rows of 8192 the rows are split fully (one
// task each) and nothing more can be cut.
// CHECK-LABEL: func.func @reduction_splits_only_parallel_dims
// CHECK: scf.forall (%[[ROW:.+]]) in (2)
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]{{.+}} ins(%{{.+}} : tensor<1x8192xf32>)
func.func @reduction_splits_only_parallel_dims(%x: tensor<2x8192xf32>, %init: tensor<2xf32>) -> tensor<2xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<2x8192xf32>) outs(%init : tensor<2xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// Left alone: an op below min-elements, a 1-D op (its only loop is the
// innermost), a reduction over the leading dim, and an op already inside
// a loop.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: scf.for
// CHECK: linalg.generic
// CHECK-NOT: scf.forall
func.func @left_alone(%small: tensor<4x64xf32>, %flat: tensor<65536xf32>, %cols: tensor<4096x16xf32>,
                      %init: tensor<16xf32>) -> (tensor<4x64xf32>, tensor<65536xf32>, tensor<16xf32>, tensor<4x64xf32>) {
  %a = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%small : tensor<4x64xf32>) outs(%small : tensor<4x64xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  } -> tensor<4x64xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
      ins(%flat : tensor<65536xf32>) outs(%flat : tensor<65536xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  } -> tensor<65536xf32>
  %c = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>],
                       iterator_types = ["reduction", "parallel"]}
      ins(%cols : tensor<4096x16xf32>) outs(%init : tensor<16xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  %d = scf.for %i = %c0 to %c2 step %c1 iter_args(%t = %small) -> tensor<4x64xf32> {
    %big = tensor.empty() : tensor<4x64xf32>
    %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                         iterator_types = ["parallel", "parallel"]}
        ins(%t : tensor<4x64xf32>) outs(%big : tensor<4x64xf32>) {
    ^bb0(%x: f32, %o: f32):
      %n = arith.negf %x : f32
      linalg.yield %n : f32
    } -> tensor<4x64xf32>
    scf.yield %r : tensor<4x64xf32>
  }
  return %a, %b, %c, %d : tensor<4x64xf32>, tensor<65536xf32>, tensor<16xf32>, tensor<4x64xf32>
}

// -----

#rows = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// A run-time sequence length (attnc compile --max-shape): the run-time dim
// is cut into 16 tasks whose size, ceil(seq / 16), is computed at run time.
// CHECK: #[[$CEIL:.+]] = affine_map<()[s0] -> (s0 ceildiv 16)>
// CHECK-LABEL: func.func @run_time_rows_split
// CHECK: tensor.empty
// CHECK: %[[SEQ:.+]] = tensor.dim %arg0, %{{.+}} : tensor<1x?x768xf32>
// CHECK: %[[TILE:.+]] = affine.apply #[[$CEIL]]()[%[[SEQ]]]
// CHECK: scf.forall (%[[ROW:.+]]) = (0) to (%{{.+}}) step (%[[TILE]])
// CHECK: linalg.generic
// CHECK: math.tanh
func.func @run_time_rows_split(%x: tensor<1x?x768xf32>) -> tensor<1x?x768xf32> {
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c1 : tensor<1x?x768xf32>
  %e = tensor.empty(%n) : tensor<1x?x768xf32>
  %y = linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x?x768xf32>) outs(%e : tensor<1x?x768xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<1x?x768xf32>
  return %y : tensor<1x?x768xf32>
}

// RUN: attnc-opt %s -cpu-choose-tilings="triple=x86_64-unknown-linux-gnu cpu=skylake-avx512" | FileCheck %s
// RUN: not attnc-opt %s -cpu-choose-tilings="triple=x86_64-unknown-linux-gnu cpu=haswell attention-kernel=portable" 2>&1 | FileCheck %s --check-prefix=PORTABLE
// RUN: not attnc-opt %s -cpu-choose-tilings="triple=x86_64-unknown-linux-gnu cpu=haswell tile-attention=false" 2>&1 | FileCheck %s --check-prefix=UNFUSED

// Run-time lengths (a KV cache: S new queries at a run-time offset over T
// keys): two size classes, each a typed attribute. `attn.tiling` for a
// prompt (chosen as if S = T = 1024: large q-blocks, no split) and
// `attn.decode_tiling` for one query per head over the keys (one register
// row; the kv range would be split across the cores, but a named target's
// core count is unknown).
// CHECK-LABEL: func.func @run_time_lengths
// CHECK: attn.sdpa {{.*}}attn.decode_tiling = #attn.sdpa_tiling<q_block = 1, {{.*}}register_rows = 1, {{.*}}avx512 = true>, attn.tiling = #attn.sdpa_tiling<q_block = {{[0-9][0-9]+}}, {{.*}}vector_width = 16, {{.*}}avx512 = true>
// Only the vector kernel takes run-time lengths; there is no unfused form.
// PORTABLE: error: attention with run-time lengths runs on the vector kernel only, which this op cannot use (cost model: portable kernel (--attention-kernel=portable)
// UNFUSED: error: attention with run-time lengths has no unfused form
func.func @run_time_lengths(%q: tensor<1x4x?x64xf32>, %k: tensor<1x1x?x64xf32>, %past: tensor<i64>)
    -> tensor<1x4x?x64xf32> {
  %o = attn.sdpa %q, %k, %k offset(%past) {scale = 0.125 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x4x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>, tensor<i64>) -> tensor<1x4x?x64xf32>
  return %o : tensor<1x4x?x64xf32>
}

// With bounds (a model compiled with --max-shape), the prompt class is
// chosen for the largest prompt the model takes: here at most 8 queries
// (of 4 heads sharing a kv head) over 8 keys, so a q-block of a few
// register strips, not the 252 queries chosen above for 1024 x 1024.
// CHECK-LABEL: func.func @bounded_lengths
// CHECK: attn.sdpa {{.*}}attn.tiling = #attn.sdpa_tiling<q_block = {{[1-9]|[1-3][0-9]}}, vector_width = 16,
func.func @bounded_lengths(%q: tensor<1x4x?x64xf32> {attnc.dim_symbols = ["", "", "seq", ""]},
                           %k: tensor<1x1x?x64xf32> {attnc.dim_symbols = ["", "", "total", ""]},
                           %past: tensor<i64>) -> tensor<1x4x?x64xf32>
    attributes {attnc.dim_bounds = {seq = 8 : i64, total = 8 : i64}} {
  %o = attn.sdpa %q, %k, %k offset(%past) {scale = 0.125 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x4x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>, tensor<i64>) -> tensor<1x4x?x64xf32>
  return %o : tensor<1x4x?x64xf32>
}

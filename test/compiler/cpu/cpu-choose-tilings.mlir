// RUN: attnc-opt %s -cpu-choose-tilings="triple=x86_64-unknown-linux-gnu cpu=skylake-avx512" -split-input-file | FileCheck %s --check-prefix=SKX
// RUN: attnc-opt %s -cpu-choose-tilings="triple=x86_64-unknown-linux-gnu cpu=haswell" -split-input-file | FileCheck %s --check-prefix=HSW
// RUN: attnc-opt %s -cpu-choose-tilings="triple=x86_64-unknown-linux-gnu cpu=haswell q-block=16 kv-block=32 attention-kernel=portable" -split-input-file | FileCheck %s --check-prefix=FLAGS

// Each decision is a typed attribute on its op, from the target: 16
// lanes, 8x3 matmul tiles, k-blocks of 512 (128 rows of them take a
// quarter of its 1 MiB L2) and vscalefps exponentials on Skylake-AVX512;
// 8 lanes, 6x2 tiles and k-blocks of 128 (256 KiB of L2; both the
// defaults, so not printed) on Haswell. Each task's panels go
// in chunks whose partial sums of 128 rows take half of L2 (1 MiB on
// Skylake-AVX512: 21 panels of 48 columns; 256 KiB on Haswell: 16 of 16). Flags override the
// attention blocks and kernel.
// SKX-LABEL: func.func @decisions
// SKX: attn.sdpa {{.*}}attn.tiling = #attn.sdpa_tiling<{{.*}}vector_width = 16, {{.*}}avx512 = true>
// SKX: attn.matmul {{.*}}attn.tiling = #attn.matmul_tiling<vector_width = 16, register_rows = 8, register_column_vectors = 3, {{.*}}k_block = 512, chunk_panels = 21>
// SKX: attn.linear {{.*}}attn.tiling = #attn.matmul_tiling<vector_width = 16
// HSW-LABEL: func.func @decisions
// HSW: attn.sdpa {{.*}}attn.tiling = #attn.sdpa_tiling<{{.*}}vector_width = 8, register_rows = 6>
// HSW: attn.matmul {{.*}}attn.tiling = #attn.matmul_tiling<vector_width = 8, register_column_vectors = 2, chunk_panels = 16>
// FLAGS-LABEL: func.func @decisions
// FLAGS: attn.sdpa {{.*}}attn.tiling = #attn.sdpa_tiling<q_block = 16, kv_block = 32>
func.func @decisions(%q: tensor<1x4x256x64xf32>, %k: tensor<1x4x256x64xf32>, %v: tensor<1x4x256x64xf32>,
                     %x: tensor<1x128x256xf32>, %w: tensor<256x512xf32>, %b: tensor<512xf32>)
    -> (tensor<1x4x256x64xf32>, tensor<1x128x512xf32>, tensor<1x128x512xf32>) {
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x4x256x64xf32>, tensor<1x4x256x64xf32>, tensor<1x4x256x64xf32>) -> tensor<1x4x256x64xf32>
  %y = attn.matmul %x, %w : (tensor<1x128x256xf32>, tensor<256x512xf32>) -> tensor<1x128x512xf32>
  %z = attn.linear %x, %w, %b : (tensor<1x128x256xf32>, tensor<256x512xf32>, tensor<512xf32>) -> tensor<1x128x512xf32>
  return %o, %y, %z : tensor<1x4x256x64xf32>, tensor<1x128x512xf32>, tensor<1x128x512xf32>
}

// -----

// The panel width follows the product's columns: N = 256 would pad 48-wide
// panels to 288 (12.5 % wasted), so it keeps 12x2 on Skylake-AVX512; N =
// 2048 pads them to 2064 (under 1 %) and takes 8x3. Haswell has 2-vector
// panels for both.
// SKX-LABEL: func.func @panel_width_from_columns
// SKX: attn.matmul {{.*}}#attn.matmul_tiling<vector_width = 16, register_rows = 12, register_column_vectors = 2, {{.*}}chunk_panels = 32>
// SKX: attn.matmul {{.*}}#attn.matmul_tiling<vector_width = 16, register_rows = 8, register_column_vectors = 3, {{.*}}chunk_panels = 21>
// HSW-LABEL: func.func @panel_width_from_columns
// HSW-COUNT-2: #attn.matmul_tiling<vector_width = 8, register_column_vectors = 2, chunk_panels = 16>
func.func @panel_width_from_columns(%x: tensor<128x2048xf32>, %kv: tensor<2048x256xf32>,
                                    %q: tensor<2048x2048xf32>) -> (tensor<128x256xf32>, tensor<128x2048xf32>) {
  %k = attn.matmul %x, %kv : (tensor<128x2048xf32>, tensor<2048x256xf32>) -> tensor<128x256xf32>
  %y = attn.matmul %x, %q : (tensor<128x2048xf32>, tensor<2048x2048xf32>) -> tensor<128x2048xf32>
  return %k, %y : tensor<128x256xf32>, tensor<128x2048xf32>
}

// -----

// A recorded decision stays (a user's or an earlier run's) unless flags
// set the blocks; non-f32 matmuls get none (the kernel is f32).
// SKX-LABEL: func.func @recorded_kept
// SKX: attn.sdpa {{.*}}attn.tiling = #attn.sdpa_tiling<q_block = 8, kv_block = 8>
// SKX: attn.matmul {{.*}}attn.tiling = #attn.matmul_tiling<vector_width = 4>
// SKX: attn.matmul
// SKX-NOT: attn.tiling
// SKX-SAME: tensor<4x8xi64>
// FLAGS-LABEL: func.func @recorded_kept
// FLAGS: attn.sdpa {{.*}}attn.tiling = #attn.sdpa_tiling<q_block = 16, kv_block = 32>
func.func @recorded_kept(%q: tensor<1x1x32x16xf32>, %x: tensor<4x8xf32>, %w: tensor<8x8xf32>,
                         %i: tensor<4x8xi64>, %j: tensor<8x8xi64>)
    -> (tensor<1x1x32x16xf32>, tensor<4x8xf32>, tensor<4x8xi64>) {
  %o = attn.sdpa %q, %q, %q {scale = 0.25 : f32, attn.tiling = #attn.sdpa_tiling<q_block = 8, kv_block = 8>}
      : (tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>) -> tensor<1x1x32x16xf32>
  %y = attn.matmul %x, %w {attn.tiling = #attn.matmul_tiling<vector_width = 4>} : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %n = attn.matmul %i, %j : (tensor<4x8xi64>, tensor<8x8xi64>) -> tensor<4x8xi64>
  return %o, %y, %n : tensor<1x1x32x16xf32>, tensor<4x8xf32>, tensor<4x8xi64>
}

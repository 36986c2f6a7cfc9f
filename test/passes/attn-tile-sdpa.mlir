// RUN: attnc-opt %s -attn-tile-sdpa="q-block=4 kv-block=4" -split-input-file | FileCheck %s

// Non-causal, S = T = 16, blocks of 4: every one of the 4 x 4 block pairs.
// One parallel loop over (batch, head, q-block) = 1 * 2 * 4 iterations; the
// q-blocks are taken in zigzag order (0, 3, 1, 2) so that contiguous chunks
// of iterations carry equal causal work.
// CHECK-LABEL: func.func @no_mask_visits_every_block
// CHECK: scf.forall (%[[P:.+]]) in (8) shared_outs
// CHECK: arith.select
// CHECK: %[[ACC:.+]]:3 = scf.for {{.+}} -> (tensor<?xf32>, tensor<?xf32>, tensor<?x8xf32>)
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice
// CHECK: {attn.kv_block = 4 : i64, attn.q_block = 4 : i64, attn.total_blocks = 16 : i64, attn.visited_blocks = 16 : i64}
// CHECK-NOT: attn.sdpa
func.func @no_mask_visits_every_block(%q: tensor<1x2x16x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>)
    -> tensor<1x2x16x8xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.35 : f32}
      : (tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>) -> tensor<1x2x16x8xf32>
  return %o : tensor<1x2x16x8xf32>
}

// -----

// Causal: q-block b visits kv-blocks 0..b, 1 + 2 + 3 + 4 = 10 of 16; the
// kv loop's lower bound is 0 and its upper bound comes from the block's
// last query position.
// CHECK-LABEL: func.func @causal_skips_upper_blocks
// CHECK: arith.ceildivsi
// CHECK: {attn.kv_block = 4 : i64, attn.q_block = 4 : i64, attn.total_blocks = 16 : i64, attn.visited_blocks = 10 : i64}
func.func @causal_skips_upper_blocks(%q: tensor<1x2x16x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>)
    -> tensor<1x2x16x8xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.35 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32>) -> tensor<1x2x16x8xf32>
  return %o : tensor<1x2x16x8xf32>
}

// -----

// Sliding window of 4 keys (left = 3), S = T = 32, blocks of 4: each q-block
// sees its own block and the one before: 1 + 7 * 2 = 15 of 64 pairs.
// CHECK-LABEL: func.func @window_visits_two_blocks_per_row
// CHECK: arith.floordivsi
// CHECK: {attn.kv_block = 4 : i64, attn.q_block = 4 : i64, attn.total_blocks = 64 : i64, attn.visited_blocks = 15 : i64}
func.func @window_visits_two_blocks_per_row(%q: tensor<1x1x32x8xf32>, %k: tensor<1x1x32x8xf32>, %v: tensor<1x1x32x8xf32>)
    -> tensor<1x1x32x8xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.35 : f32, mask = #attn.window<left = 3, right = 0>}
      : (tensor<1x1x32x8xf32>, tensor<1x1x32x8xf32>, tensor<1x1x32x8xf32>) -> tensor<1x1x32x8xf32>
  return %o : tensor<1x1x32x8xf32>
}

// -----

// Ragged: S = 10, T = 7 are not multiples of 4: 3 q-blocks, 2 kv-blocks,
// the last ones partial (sizes from min(4, S - start)).
// CHECK-LABEL: func.func @ragged_lengths
// CHECK: arith.minsi
// CHECK: {attn.kv_block = 4 : i64, attn.q_block = 4 : i64, attn.total_blocks = 6 : i64, attn.visited_blocks = 6 : i64}
func.func @ragged_lengths(%q: tensor<1x1x10x8xf32>, %k: tensor<1x1x7x8xf32>, %v: tensor<1x1x7x8xf32>)
    -> tensor<1x1x10x8xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.35 : f32}
      : (tensor<1x1x10x8xf32>, tensor<1x1x7x8xf32>, tensor<1x1x7x8xf32>) -> tensor<1x1x10x8xf32>
  return %o : tensor<1x1x10x8xf32>
}

// -----

// A run-time offset (KV-cache decoding) and a key mask: the visited range
// depends on the offset, so no static count is recorded. Each batch row's
// first and one-past-last visible key are computed once and bound its kv
// loop (padding at either end is never visited); inside, the key mask row
// is read per kv-block.
// CHECK-LABEL: func.func @offset_and_key_mask
// CHECK: %[[BOUNDS:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<1x12xi1>) outs(%{{.+}} : tensor<1x2xi64>)
// CHECK: tensor.extract %{{.+}}[] : tensor<i64>
// CHECK: tensor.extract %[[BOUNDS]]
// CHECK: tensor.extract_slice %{{.+}} : tensor<1x12xi1> to tensor<?xi1>
// CHECK: {attn.kv_block = 4 : i64, attn.q_block = 4 : i64, attn.total_blocks = 3 : i64}
// CHECK-NOT: attn.visited_blocks
func.func @offset_and_key_mask(%q: tensor<1x4x1x8xf32>, %k: tensor<1x2x12x8xf32>, %v: tensor<1x2x12x8xf32>,
                               %past: tensor<i64>, %pad: tensor<1x12xi1>) -> tensor<1x4x1x8xf32> {
  %o = attn.sdpa %q, %k, %v offset(%past) key_mask(%pad)
      {scale = 0.35 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x4x1x8xf32>, tensor<1x2x12x8xf32>, tensor<1x2x12x8xf32>, tensor<i64>, tensor<1x12xi1>)
      -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

// An additive key mask bounds the kv loop too: keys whose bias is -inf
// weigh exactly 0, so a row's -inf padding at either end is never visited
// (compared unordered, so a NaN bias stays visible). With no window every
// query sees the whole row, so a second pair of bounds covers the keys
// above -1e30, and a row that has one is bounded by those (finfo.min
// padding weighs exactly 0 beside them); a row without one keeps its
// non--inf range. The bias itself is still added inside.
// CHECK-LABEL: func.func @additive_key_mask_bounds
// CHECK: %[[PAIRS:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<2x12xf32>) outs(%{{.+}} : tensor<2x4xi64>)
// CHECK: %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: arith.cmpf une, %{{.+}}, %[[NEG_INF]] : f32
// CHECK: %[[LOWEST:.+]] = arith.constant -1.000000e+30 : f32
// CHECK: arith.cmpf ugt, %{{.+}}, %[[LOWEST]] : f32
// CHECK: %[[ALL:.+]] = tensor.extract_slice %[[PAIRS]][0, 0] [2, 2] [1, 1]
// CHECK: %[[WEIGHTY:.+]] = tensor.extract_slice %[[PAIRS]][0, 2] [2, 2] [1, 1]
// CHECK: %[[BOUNDS:.+]] = linalg.generic {{.+}} ins(%[[ALL]], %[[WEIGHTY]], %[[WEIGHTY]], %[[WEIGHTY]] : {{.+}}) outs(%{{.+}} : tensor<2x2xi64>)
// CHECK: tensor.extract %[[BOUNDS]]
// CHECK: tensor.extract_slice %{{.+}} : tensor<2x12xf32> to tensor<?xf32>
func.func @additive_key_mask_bounds(%q: tensor<2x2x8x8xf32>, %k: tensor<2x2x12x8xf32>, %v: tensor<2x2x12x8xf32>,
                                    %bias: tensor<2x12xf32>) -> tensor<2x2x8x8xf32> {
  %o = attn.sdpa %q, %k, %v key_mask(%bias) {scale = 0.35 : f32}
      : (tensor<2x2x8x8xf32>, tensor<2x2x12x8xf32>, tensor<2x2x12x8xf32>, tensor<2x12xf32>)
      -> tensor<2x2x8x8xf32>
  return %o : tensor<2x2x8x8xf32>
}

// -----

// With a window a query may see only finfo.min keys (its softmax then
// averages them), so only -inf bounds the kv loop: one pair of bounds.
// CHECK-LABEL: func.func @additive_key_mask_bounds_windowed
// CHECK: %[[BOUNDS:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<2x12xf32>) outs(%{{.+}} : tensor<2x2xi64>)
// CHECK-NOT: -1.000000e+30
// CHECK: tensor.extract %[[BOUNDS]]
func.func @additive_key_mask_bounds_windowed(%q: tensor<2x2x8x8xf32>, %k: tensor<2x2x12x8xf32>,
                                             %v: tensor<2x2x12x8xf32>, %bias: tensor<2x12xf32>)
    -> tensor<2x2x8x8xf32> {
  %o = attn.sdpa %q, %k, %v key_mask(%bias) {scale = 0.35 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<2x2x8x8xf32>, tensor<2x2x12x8xf32>, tensor<2x2x12x8xf32>, tensor<2x12xf32>)
      -> tensor<2x2x8x8xf32>
  return %o : tensor<2x2x8x8xf32>
}

// -----

// The same in the vector kernel: the bounds are computed once, before the
// task loop, from the additive mask. Inside, a kv-block is cut (mask code
// runs) only where some key's bias is not 0.
// CHECK-LABEL: func.func @additive_key_mask_bounds_vector_kernel
// CHECK: linalg.generic {{.+}} ins(%{{.+}} : tensor<2x12xf32>) outs(%{{.+}} : tensor<2x4xi64>)
// CHECK: arith.cmpf une
// CHECK: scf.forall
// CHECK: %[[BIAS:.+]] = vector.transfer_read {{.+}} : tensor<2x16xf32>, vector<8xf32>
// CHECK: %[[NONZERO:.+]] = arith.cmpf une, %[[BIAS]], %{{.+}} : vector<8xf32>
// CHECK: %[[ANY:.+]] = vector.reduction <or>, %[[NONZERO]] : vector<8xi1> into i1
// CHECK: %[[CUT:.+]] = arith.ori %{{.+}}, %[[ANY]] : i1
// CHECK: scf.if %[[CUT]]
func.func @additive_key_mask_bounds_vector_kernel(%q: tensor<2x2x8x8xf32>, %k: tensor<2x2x12x8xf32>,
                                                  %v: tensor<2x2x12x8xf32>, %bias: tensor<2x12xf32>)
    -> tensor<2x2x8x8xf32> {
  %o = attn.sdpa %q, %k, %v key_mask(%bias)
      {scale = 0.35 : f32, attn.tiling = #attn.sdpa_tiling<q_block = 4, kv_block = 8, vector_width = 8, register_rows = 4, register_column_vectors = 1>}
      : (tensor<2x2x8x8xf32>, tensor<2x2x12x8xf32>, tensor<2x2x12x8xf32>, tensor<2x12xf32>)
      -> tensor<2x2x8x8xf32>
  return %o : tensor<2x2x8x8xf32>
}

// -----

// The register-tiled vector kernel (an attn.tiling attribute picks it).
// Causal, S = T = 256, blocks of 48 x 64: Kᵀ is packed by kv-block in a
// parallel loop (1 x 2 x 4 blocks of [64 x 64]); the (batch, kv head,
// q-block) loop runs 1 * 2 * 6 tasks. q-block b covers positions
// [48b, 48b + 47] (the last one ragged); it visits kv-blocks
// 0 .. (48b + 47) / 64: 1 + 2 + 3 + 3 + 4 + 4 = 17 of 24. Of those, the ones
// entirely at or below the block's first query are full (no mask code):
// 0 + 0 + 1 + 2 + 3 + 3 = 9. The products are 6 x 64 register tiles
// of vector<16xf32> FMAs.
// CHECK-LABEL: func.func @vector_kernel_causal
// CHECK: scf.forall (%{{.+}}) in (8) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<1x2x4x64x64xf32>)
// CHECK: scf.forall (%{{.+}}) in (12) shared_outs
// CHECK: vector.fma %{{.+}} : vector<16xf32>
// CHECK: scf.if
// CHECK: arith.cmpi sge, %{{.+}} : vector<16xi32>
// CHECK: vector.shuffle
// CHECK: vector.fma
// CHECK-NOT: x86vector
// CHECK: {attn.full_blocks = 9 : i64, attn.kv_block = 64 : i64, attn.kv_splits = 1 : i64, attn.q_block = 48 : i64, attn.register_tile = array<i64: 6, 64>, attn.total_blocks = 24 : i64, attn.vector_width = 16 : i64, attn.visited_blocks = 17 : i64}
func.func @vector_kernel_causal(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>)
    -> tensor<1x2x256x64xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, mask = #attn.window<left = inf, right = 0>,
      attn.tiling = #attn.sdpa_tiling<q_block = 48, kv_block = 64, vector_width = 16, register_rows = 6, register_column_vectors = 4>}
      : (tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
  return %o : tensor<1x2x256x64xf32>
}

// -----

// avx512 = 1: exponentials scale by 2^n with vscalefps (the x86vector op)
// after rounding n with math.roundeven, instead of building 2^n's bits;
// without it (the case above) no x86vector op appears.
// CHECK-LABEL: func.func @vector_kernel_avx512_exponentials
// CHECK: math.roundeven %{{.+}} : vector<16xf32>
// CHECK: x86vector.avx512.mask.scalef %{{.+}} : vector<16xf32>
// CHECK-NOT: arith.shli
// CHECK: return
func.func @vector_kernel_avx512_exponentials(%q: tensor<1x1x64x64xf32>, %k: tensor<1x1x64x64xf32>,
                                             %v: tensor<1x1x64x64xf32>) -> tensor<1x1x64x64xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32,
      attn.tiling = #attn.sdpa_tiling<q_block = 48, kv_block = 64, vector_width = 16, register_rows = 6, register_column_vectors = 4, avx512 = true>}
      : (tensor<1x1x64x64xf32>, tensor<1x1x64x64xf32>, tensor<1x1x64x64xf32>) -> tensor<1x1x64x64xf32>
  return %o : tensor<1x1x64x64xf32>
}

// -----

// Sliding window of 64 keys (left = 63), S = T = 512, blocks of 64 x 64:
// every q-block sees its own kv-block and the one before (15 of 64 pairs);
// each of those is cut by a window edge, so none is full.
// CHECK-LABEL: func.func @vector_kernel_window
// CHECK: {attn.full_blocks = 0 : i64, attn.kv_block = 64 : i64, attn.kv_splits = 1 : i64, attn.q_block = 64 : i64, attn.register_tile = array<i64: 4, 16>, attn.total_blocks = 64 : i64, attn.vector_width = 8 : i64, attn.visited_blocks = 15 : i64}
func.func @vector_kernel_window(%q: tensor<1x1x512x32xf32>, %k: tensor<1x1x512x32xf32>, %v: tensor<1x1x512x32xf32>)
    -> tensor<1x1x512x32xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, mask = #attn.window<left = 63, right = 0>,
      attn.tiling = #attn.sdpa_tiling<q_block = 64, kv_block = 64, vector_width = 8, register_rows = 4, register_column_vectors = 2>}
      : (tensor<1x1x512x32xf32>, tensor<1x1x512x32xf32>, tensor<1x1x512x32xf32>) -> tensor<1x1x512x32xf32>
  return %o : tensor<1x1x512x32xf32>
}

// -----

// Decoding: one query per head, 4 query heads over 2 kv heads, so a task
// holds 2 query rows: too few to pay for packing Kᵀ. Scores are W-wide dot
// products along D over K's own rows, then a horizontal sum. Ragged: T = 100
// keys in blocks of 32, the last one cut. Flash-decoding: each of the 2
// (batch, kv head) tasks splits its 4 kv-blocks into 2 parallel parts that
// write partial (acc, m, l); a second parallel loop merges them.
// CHECK-LABEL: func.func @vector_kernel_decode
// CHECK-NOT: tensor<1x2x4x32x32xf32>
// CHECK: scf.forall (%{{.+}}) in (4) shared_outs({{.+}}) -> (tensor<4x2x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK: vector.transfer_read %{{.+}} {in_bounds = [true]} : tensor<1x2x100x32xf32>, vector<16xf32>
// CHECK: {attn.full_blocks = 3 : i64, attn.kv_block = 32 : i64, attn.kv_splits = 2 : i64, attn.q_block = 1 : i64, attn.register_tile = array<i64: 1, 16>, attn.total_blocks = 4 : i64, attn.vector_width = 16 : i64, attn.visited_blocks = 4 : i64}
// CHECK: scf.forall (%{{.+}}) in (2) shared_outs({{.+}}) -> (tensor<1x4x1x32xf32>)
// CHECK: math.exp
func.func @vector_kernel_decode(%q: tensor<1x4x1x32xf32>, %k: tensor<1x2x100x32xf32>, %v: tensor<1x2x100x32xf32>)
    -> tensor<1x4x1x32xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32,
      attn.tiling = #attn.sdpa_tiling<q_block = 1, kv_block = 32, vector_width = 16, register_rows = 1, register_column_vectors = 1, kv_splits = 2>}
      : (tensor<1x4x1x32xf32>, tensor<1x2x100x32xf32>, tensor<1x2x100x32xf32>) -> tensor<1x4x1x32xf32>
  return %o : tensor<1x4x1x32xf32>
}


// -----

// Sequence-major q, k and result (sdpa.C11) are read and written in place:
// a q-block is the slice [1, rows, 1, D] at (b, start, head, 0), and Kᵀ
// comes from [B, T, Hkv, D] by permutation [0, 2, 3, 1]. Head-major v is
// sliced as usual. Same blocks as head-major: 16 of 16 visited.
// CHECK-LABEL: func.func @sequence_major_portable
// CHECK: linalg.transpose ins(%{{.+}} : tensor<1x16x2x8xf32>) outs(%{{.+}} : tensor<1x2x8x16xf32>) permutation = [0, 2, 3, 1]
// CHECK: scf.forall
// CHECK: tensor.extract_slice %{{.+}}[%[[B:.+]], %[[START:.+]], %[[HEAD:.+]], 0] [1, %[[ROWS:.+]], 1, 8] [1, 1, 1, 1] : tensor<1x16x2x8xf32> to tensor<?x8xf32>
// CHECK: tensor.extract_slice %{{.+}}[%[[B]], %{{.+}}, %{{.+}}, 0] [1, 1, %{{.+}}, 8] [1, 1, 1, 1] : tensor<1x2x16x8xf32> to tensor<?x8xf32>
// CHECK: tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[B]], %[[START]], %[[HEAD]], 0] [1, %[[ROWS]], 1, 8] [1, 1, 1, 1] : tensor<?x8xf32> into tensor<1x16x2x8xf32>
// CHECK: {attn.kv_block = 4 : i64, attn.q_block = 4 : i64, attn.total_blocks = 16 : i64, attn.visited_blocks = 16 : i64}
func.func @sequence_major_portable(%q: tensor<1x16x2x8xf32>, %k: tensor<1x16x2x8xf32>, %v: tensor<1x2x16x8xf32>)
    -> tensor<1x16x2x8xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.35 : f32, layout = #attn.layout<query = bshd, key = bshd, result = bshd>}
      : (tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x2x16x8xf32>) -> tensor<1x16x2x8xf32>
  return %o : tensor<1x16x2x8xf32>
}

// -----

// The vector kernel on sequence-major tensors with 2 query heads per kv
// head: the packed Kᵀ reads rows of k[b, t, h, :] and transposes them in
// registers, vectors of q and v are read at (b, position, head, 0), and
// each task writes its 2 heads' rows straight into its [1, rows, 2, Dv]
// slice of the [B, S, Hq, Dv] result (row i of head g at (0, i, g, 0)).
// Causal 64 x 64 in blocks of 16: 10 of 16 pairs visited, as head-major.
// CHECK-LABEL: func.func @sequence_major_vector_kernel
// CHECK: vector.transfer_read %{{.+}} : tensor<1x64x2x16xf32>, vector<16xf32>
// CHECK: vector.shuffle %{{.+}}, %{{.+}} [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23] : vector<16xf32>, vector<16xf32>
// CHECK: tensor.parallel_insert_slice %{{.+}} : tensor<16x16xf32> into tensor<1x2x4x16x16xf32>
// CHECK: vector.transfer_read %{{.+}} : tensor<1x64x4x16xf32>, vector<16xf32>
// CHECK: vector.transfer_read %{{.+}} : tensor<1x64x2x16xf32>, vector<16xf32>
// CHECK: %[[SLICE:.+]] = tensor.extract_slice %[[OUT:.+]][%[[B:.+]], %[[Q:.+]], %[[H:.+]], 0] [1, %[[LEN:.+]], 2, 16] [1, 1, 1, 1] : tensor<1x64x4x16xf32> to tensor<1x?x2x16xf32>
// CHECK: vector.transfer_write %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %c0{{.*}}, %{{.+}}] {in_bounds = [true]} : vector<16xf32>, tensor<1x?x2x16xf32>
// CHECK: vector.transfer_write %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %c1{{.*}}, %{{.+}}] {in_bounds = [true]} : vector<16xf32>, tensor<1x?x2x16xf32>
// CHECK: tensor.parallel_insert_slice %{{.+}} into %[[OUT]][%[[B]], %[[Q]], %[[H]], 0] [1, %[[LEN]], 2, 16] [1, 1, 1, 1] : tensor<1x?x2x16xf32> into tensor<1x64x4x16xf32>
// CHECK: attn.total_blocks = 16 : i64, attn.vector_width = 16 : i64, attn.visited_blocks = 10 : i64}
func.func @sequence_major_vector_kernel(%q: tensor<1x64x4x16xf32>, %k: tensor<1x64x2x16xf32>, %v: tensor<1x64x2x16xf32>)
    -> tensor<1x64x4x16xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.25 : f32, mask = #attn.window<left = inf, right = 0>,
      layout = #attn.layout<query = bshd, key = bshd, value = bshd, result = bshd>,
      attn.tiling = #attn.sdpa_tiling<q_block = 16, kv_block = 16, vector_width = 16, register_rows = 4, register_column_vectors = 1>}
      : (tensor<1x64x4x16xf32>, tensor<1x64x2x16xf32>, tensor<1x64x2x16xf32>) -> tensor<1x64x4x16xf32>
  return %o : tensor<1x64x4x16xf32>
}

// -----

// Run-time lengths, causal with a run-time offset (a KV cache): block and
// task counts are computed from the query and key lengths at run time,
// and the kernel is emitted for two size classes, chosen per call by S x
// (query heads per kv head) >= 16: packed Kᵀ with `attn.tiling` for a
// prompt, dot products with `attn.decode_tiling` (kv range split in 2)
// for a decode step.
// CHECK-LABEL: func.func @vector_kernel_run_time_lengths
// CHECK: %[[S:.+]] = tensor.dim %arg0, %c2 : tensor<1x4x?x32xf32>
// CHECK: %[[ROWS:.+]] = arith.muli %[[S]], %c2
// CHECK: %[[MANY:.+]] = arith.cmpi sge, %[[ROWS]], %c16
// CHECK: scf.if %[[MANY]] -> (tensor<1x4x?x32xf32>)
// CHECK: tensor.empty(%{{.+}}) : tensor<1x2x?x32x32xf32>
// CHECK: {attn.kv_block = 32 : i64, attn.kv_splits = 1 : i64, attn.pack_keys = true, attn.q_block = 16 : i64, attn.register_tile = array<i64: 4, 32>, attn.vector_width = 16 : i64}
// CHECK: } else {
// CHECK: {attn.kv_block = 32 : i64, attn.kv_splits = 2 : i64, attn.pack_keys = false, attn.q_block = 1 : i64, attn.register_tile = array<i64: 1, 16>, attn.vector_width = 16 : i64}
func.func @vector_kernel_run_time_lengths(%q: tensor<1x4x?x32xf32>, %k: tensor<1x2x?x32xf32>,
                                          %v: tensor<1x2x?x32xf32>, %past: tensor<i64>)
    -> tensor<1x4x?x32xf32> {
  %o = attn.sdpa %q, %k, %v offset(%past) {scale = 0.125 : f32, mask = #attn.window<left = inf, right = 0>,
      attn.tiling = #attn.sdpa_tiling<q_block = 16, kv_block = 32, vector_width = 16, register_rows = 4, register_column_vectors = 2>,
      attn.decode_tiling = #attn.sdpa_tiling<q_block = 1, kv_block = 32, vector_width = 16, register_rows = 1, register_column_vectors = 1, kv_splits = 2>}
      : (tensor<1x4x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<i64>) -> tensor<1x4x?x32xf32>
  return %o : tensor<1x4x?x32xf32>
}

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

// The fp32 tile kernel (decode-rows=0 keeps the decode shapes on it too):
// RUN: attnc-opt %s -split-input-file -gpu-lower-sdpa="decode-rows=0" -cse | FileCheck %s
// RUN: attnc-opt %s -split-input-file -gpu-lower-sdpa="q-block=16 kv-block=8 decode-rows=0" | FileCheck %s --check-prefix=BLOCKS
// RUN: attnc-opt %s -split-input-file -gpu-lower-sdpa="kv-splits=3 decode-rows=0" -cse | FileCheck %s --check-prefix=SPLIT
// The decode kernel, and the tensor-core one:
// RUN: attnc-opt %s -split-input-file -gpu-lower-sdpa -cse | FileCheck %s --check-prefix=DECODE
// RUN: attnc-opt %s -split-input-file -gpu-lower-sdpa="kv-splits=3" -cse | FileCheck %s --check-prefix=DECODE-SPLIT
// RUN: attnc-opt %s -split-input-file -gpu-lower-sdpa="precision=fp16" -cse | FileCheck %s --check-prefix=TC
// RUN: attnc-opt %s -split-input-file -gpu-lower-sdpa="precision=fp16" -cse | FileCheck %s --check-prefix=TCBIAS

// Causal attention, S = 100: a grid of 2 query blocks x 2 heads x 1 batch
// row, 64 threads each (one per query row); block x computes query block
// 1 - x (the longer key range first). K and V tiles in shared memory
// (64 keys of 64 floats each: 32 KiB), the query row, the accumulator and
// a tile's scores private. The key range of a block ends after its last
// row (the window's right bound 0); tiles are staged, then a barrier, the
// scores, the online softmax (exp), a barrier before the next tile; the
// rows store accumulator / sum.
// CHECK-LABEL: func.func @causal
// CHECK-SAME: (%[[Q:.+]]: tensor<1x2x100x64xf32>, %[[K:.+]]: tensor<1x2x100x64xf32>, %[[V:.+]]: tensor<1x2x100x64xf32>)
// CHECK-DAG: %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only
// CHECK-DAG: %[[KB:.+]] = bufferization.to_buffer %[[K]] read_only
// CHECK-DAG: %[[VB:.+]] = bufferization.to_buffer %[[V]] read_only
// CHECK: %[[OUT:.+]] = memref.alloc() : memref<1x2x100x64xf32>
// CHECK: gpu.launch blocks(%[[BX:[a-z0-9]+]], %[[BY:[a-z0-9]+]], %[[BZ:[a-z0-9]+]]) in (%{{.+}} = %c2, %{{.+}} = %c2, %{{.+}} = %c1) threads(%[[TX:[a-z0-9]+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c64, %{{.+}} = %c1, %{{.+}} = %c1)
// CHECK-SAME: workgroup(%[[KT:[a-z0-9]+]] : memref<64x64xf32, #gpu.address_space<workgroup>>, %[[VT:[a-z0-9]+]] : memref<64x64xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: private(%[[QR:[a-z0-9]+]] : memref<64xf32, #gpu.address_space<private>>, %[[ACC:[a-z0-9]+]] : memref<64xf32, #gpu.address_space<private>>, %[[SC:[a-z0-9]+]] : memref<64xf32, #gpu.address_space<private>>)
// CHECK: %[[QBLOCK:.+]] = arith.subi %c1, %[[BX]]
// CHECK: %[[FIRST:.+]] = arith.muli %[[QBLOCK]], %c64
// CHECK: %[[ROW:.+]] = arith.addi %[[FIRST]], %[[TX]]
// CHECK: %[[SAFE:.+]] = arith.minsi %[[ROW]], %c99
// CHECK: memref.load %[[QB]][%[[BZ]], %[[BY]], %[[SAFE]], %{{.+}}]
// CHECK: %[[LAST:.+]] = arith.subi %{{.+}}, %c1
// CHECK: %[[END:.+]] = arith.addi %[[LAST]], %c1
// CHECK: %[[KEND:.+]] = arith.minsi %[[END]], %c100
// CHECK: scf.for %[[T0:.+]] = %c0 to %[[KEND]] step %c64 iter_args
// CHECK: memref.load %[[KB]]
// CHECK: memref.store %{{.+}}, %[[KT]]
// CHECK: memref.load %[[VB]]
// CHECK: memref.store %{{.+}}, %[[VT]]
// CHECK: gpu.barrier
// CHECK: math.fma
// CHECK: arith.cmpi sle
// CHECK: memref.store %{{.+}}, %[[SC]]
// CHECK: math.exp
// CHECK: math.exp
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK: memref.store %{{.+}}, %[[OUT]][%[[BZ]], %[[BY]], %[[ROW]], %{{.+}}]
// CHECK: gpu.terminator
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: attn.sdpa
// With blocks of 16 rows and 8 keys the grid has only 7 x 2 blocks, under
// the 128 that fill a GPU, and each block's 100 keys make 13 tiles: each
// key range is split into 3 parts (at least 4 tiles each), so the grid's
// x is 7 query blocks x 3 parts, and a second launch merges the parts.
// BLOCKS-LABEL: func.func @causal
// BLOCKS: gpu.launch blocks({{.+}}) in (%{{.+}} = %c21{{(_[0-9]+)?}}, %{{.+}} = %c2{{(_[0-9]+)?}}, %{{.+}} = %c1{{(_[0-9]+)?}}) threads({{.+}}) in (%{{.+}} = %c16{{(_[0-9]+)?}}, %{{.+}} = %c1{{(_[0-9]+)?}}, %{{.+}} = %c1{{(_[0-9]+)?}})
// BLOCKS-SAME: workgroup(%{{.+}} : memref<8x64xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<8x64xf32, #gpu.address_space<workgroup>>)
// BLOCKS: gpu.launch blocks({{.+}}) in (%{{.+}} = %c50{{(_[0-9]+)?}},
// With precision=fp16, the tensor-core kernel. First K and V are rounded
// to f16 once, into [1, 2, 128, 64] and V transposed [1, 2, 64, 128] (the
// 100 keys padded to 2 whole tiles, zeros after): a launch per 64-key
// tile (x 2 kv heads) stages them in shared memory (V's tile transposed,
// rows padded by 2), then writes them out. Then the attention: 2 blocks
// of 64 query rows x 2 heads, 4 warps (128 threads); K's shared tile ([64
// keys][64 + 8] in fp16) first holds the scaled queries, whose 4 A
// fragments (head dim 64 = 4 k steps, one ldmatrix.x4 each) stay in
// registers; per tile, K and V (transposed, [64][64 + 8]) copied from the
// f16 buffers by 16-byte asynchronous copies (cp.async), committed as one
// group and awaited before the barrier; the walk starts at a whole tile
// (keys from 0 here; gqa_bshd_window rounds its first key down to 64);
// B fragments by ldmatrix.x4 in pairs. The
// key walk carries 8 output fragments (value dim 64 / 8) and each lane
// row's maximum and sum; per 64-key tile 8 x 4 products for S, the
// scores' 32 elements per lane through one branch (a tile every row sees
// whole passes them on untouched; at the diagonal each is tested against
// its row's window and the key range and may become -inf), 4 k steps
// x 8 output tiles for P·V; the row maxima over a quad by two xor
// shuffles; at the end the row sums likewise.
// TC-LABEL: func.func @causal
// TC: %[[NK:.+]] = memref.alloc() : memref<1x2x128x64xf16>
// TC: %[[NV:.+]] = memref.alloc() : memref<1x2x64x128xf16>
// TC: gpu.launch blocks({{.+}}) in (%{{.+}} = %c2, %{{.+}} = %c2, %{{.+}} = %c1) threads({{.+}}) in (%{{.+}} = %c128, %{{.+}} = %c1, %{{.+}} = %c1)
// TC-SAME: workgroup(%[[NVT:[a-z0-9]+]] : memref<64x66xf16, #gpu.address_space<workgroup>>)
// TC: arith.truncf %{{.+}} : f32 to f16
// TC: memref.store %{{.+}}, %[[NK]]
// TC: arith.truncf %{{.+}} : f32 to f16
// TC: memref.store %{{.+}}, %[[NVT]]
// TC: gpu.barrier
// TC: memref.load %[[NVT]]
// TC: memref.store %{{.+}}, %[[NV]]
// TC: gpu.launch blocks({{.+}}) in (%{{.+}} = %c2, %{{.+}} = %c2, %{{.+}} = %c1) threads({{.+}}) in (%{{.+}} = %c128, %{{.+}} = %c1, %{{.+}} = %c1)
// TC-SAME: workgroup(%[[KT:[a-z0-9]+]] : memref<64x72xf16, #gpu.address_space<workgroup>>, %[[VT:[a-z0-9]+]] : memref<64x72xf16, #gpu.address_space<workgroup>>)
// TC: arith.mulf %{{.+}}, %cst
// TC: arith.truncf %{{.+}} : f32 to f16
// TC: memref.store %{{.+}}, %[[KT]]
// TC: gpu.barrier
// TC-COUNT-4: nvgpu.ldmatrix %[[KT]][{{.+}}] {numTiles = 4 : i32, transpose = false} : memref<64x72xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// TC: gpu.barrier
// The first tile's keys are in flight before the walk; each tile's values
// load during its scores, the next tile's keys during its P·V.
// TC: nvgpu.device_async_copy %[[NK]][{{.+}}], %[[KT]][{{.+}}], 8 {bypassL1} : memref<1x2x128x64xf16> to memref<64x72xf16, #gpu.address_space<workgroup>>
// TC: nvgpu.device_async_create_group
// TC: scf.for %[[FIRST:.+]] = %c0 to %[[END:.+]] step %c64 iter_args({{.+}}) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, f32, f32, f32, f32)
// TC: nvgpu.device_async_copy %[[NV]][{{.+}}], %[[VT]][{{.+}}], 8 {bypassL1} : memref<1x2x64x128xf16> to memref<64x72xf16, #gpu.address_space<workgroup>>
// TC: %[[VALUES:.+]] = nvgpu.device_async_create_group
// TC-NEXT: nvgpu.device_async_wait %[[VALUES]] {numGroups = 1 : i32}
// TC-NEXT: gpu.barrier
// TC-NOT: nvgpu.device_async_copy
// TC: nvgpu.ldmatrix %[[KT]]
// TC-COUNT-32: nvgpu.mma.sync
// TC: %[[HIDDEN:.+]]:32 = scf.if %{{.+}} -> ({{(f32, )+}}f32) {
// TC-NOT: arith.select
// TC: } else {
// TC: arith.cmpi sle
// TC: arith.select %{{.+}}, %{{.+}}, %cst
// TC: arith.maximumf %{{.+}}, %[[HIDDEN]]#0
// TC: gpu.shuffle  xor %{{.+}}, %c1_i32{{[_0-9]*}}, %c32_i32{{[_0-9]*}} : f32
// TC: gpu.shuffle  xor %{{.+}}, %c2_i32{{[_0-9]*}}, %c32_i32{{[_0-9]*}} : f32
// TC: math.exp
// TC: nvgpu.device_async_wait %[[VALUES]] {numGroups = 0 : i32}
// TC-NEXT: gpu.barrier
// TC-NEXT: %[[NEXT:.+]] = arith.addi %[[FIRST]], %c64
// TC-NEXT: %[[MORE:.+]] = arith.cmpi slt, %[[NEXT]], %[[END]]
// TC-NEXT: scf.if %[[MORE]] {
// TC: nvgpu.device_async_copy %[[NK]][{{.+}}], %[[KT]]
// TC: nvgpu.device_async_create_group
// TC-NEXT: }
// TC-NOT: gpu.barrier
// TC: nvgpu.ldmatrix %[[VT]]
// TC-COUNT-32: nvgpu.mma.sync
// TC: gpu.barrier
// TC: scf.yield
// TC: gpu.shuffle  xor
// TC: gpu.shuffle  xor
// TC: arith.divf
// TC: gpu.terminator
// TC: memref.dealloc %[[NK]]
// TC: memref.dealloc %[[NV]]
func.func @causal(%q: tensor<1x2x100x64xf32>, %k: tensor<1x2x100x64xf32>, %v: tensor<1x2x100x64xf32>) -> tensor<1x2x100x64xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x2x100x64xf32>, tensor<1x2x100x64xf32>, tensor<1x2x100x64xf32>) -> tensor<1x2x100x64xf32>
  return %o : tensor<1x2x100x64xf32>
}

// -----

// Sequence-major tensors and grouped queries (4 query heads over 2 kv
// heads): a block's 64 rows are the 32 queries of both heads of a group
// (thread t: query t / 2 of head 2y + t % 2), so each K/V tile is staged
// once for the two; it reads kv head = head / 2, and every tensor as
// [batch, position, head, column]. A sliding window starts the key range
// at the block's first row minus 15; no right bound, so it runs to T.
// CHECK-LABEL: func.func @gqa_bshd_window
// CHECK: gpu.launch blocks(%{{[a-z0-9]+}}, %[[Y:[a-z0-9]+]], %[[B:[a-z0-9]+]]) in (%{{.+}} = %c1, %{{.+}} = %c2, %{{.+}} = %c2) threads(%[[TX:[a-z0-9]+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c64,
// CHECK-SAME: workgroup(%{{.+}} : memref<40x16xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<40x8xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[HEAD0:.+]] = arith.muli %[[Y]], %c2
// CHECK: %[[HEADIN:.+]] = arith.remui %[[TX]], %c2
// CHECK: %[[H:.+]] = arith.addi %[[HEAD0]], %[[HEADIN]]
// CHECK: %[[QIN:.+]] = arith.divui %[[TX]], %c2
// CHECK: %[[KVH:.+]] = arith.divui %[[H]], %c2
// CHECK: %[[FIRST:.+]] = arith.muli
// CHECK: arith.addi %[[FIRST]], %[[QIN]]
// CHECK: memref.load %{{.+}}[%[[B]], %{{.+}}, %[[H]], %{{.+}}] : memref<2x32x4x16xf32
// CHECK: %[[SHIFTED:.+]] = arith.subi %[[FIRST]], %c15
// CHECK: %[[BEGIN:.+]] = arith.maxsi %[[SHIFTED]], %c0
// CHECK: scf.for %{{.+}} = %[[BEGIN]] to %c40 step %c40
// CHECK: memref.load %{{.+}}[%[[B]], %{{.+}}, %[[KVH]], %{{.+}}] : memref<2x40x2x16xf32
// CHECK: memref.load %{{.+}}[%[[B]], %{{.+}}, %[[KVH]], %{{.+}}] : memref<2x40x2x8xf32
// CHECK: memref.store %{{.+}}, %{{.+}}[%[[B]], %{{.+}}, %[[H]], %{{.+}}] : memref<2x32x4x8xf32>
// On the tensor cores the window's first key is rounded down to a whole
// tile of the f16 K and V (40 keys padded to 64); the keys before it are
// outside every row's window, hidden by the edge tests.
// TC-LABEL: func.func @gqa_bshd_window
// TC: memref.alloc() : memref<2x2x64x16xf16>
// TC: memref.alloc() : memref<2x2x8x64xf16>
// TC: gpu.launch
// TC: %[[SHIFTED:.+]] = arith.subi %{{.+}}, %c15
// TC: %[[FROM:.+]] = arith.maxsi %[[SHIFTED]], %c0
// TC: %[[TILES:.+]] = arith.divui %[[FROM]], %c64
// TC: %[[BEGIN:.+]] = arith.muli %[[TILES]], %c64
// TC: scf.for %{{.+}} = %[[BEGIN]] to %c40 step %c64
func.func @gqa_bshd_window(%q: tensor<2x32x4x16xf32>, %k: tensor<2x40x2x16xf32>, %v: tensor<2x40x2x8xf32>) -> tensor<2x32x4x8xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.25 : f32, mask = #attn.window<left = 15, right = inf>,
                             layout = #attn.layout<query = bshd, key = bshd, value = bshd, result = bshd>}
      : (tensor<2x32x4x16xf32>, tensor<2x40x2x16xf32>, tensor<2x40x2x8xf32>) -> tensor<2x32x4x8xf32>
  return %o : tensor<2x32x4x8xf32>
}

// -----

// A decode step: the query offset (one per batch row) moves each row's
// position, and so the window's key range; a boolean key mask hides keys,
// an additive one is added to their scores.
// With kv-splits=3 each (head, batch row) block's key range is walked by
// 3 blocks (x = query block x 3 + part), whose part is whole tiles of
// ceil(tiles / 3); each stores its unnormalized accumulator, maximum and
// sum into [3, B, Hq, S(, Dv)] buffers. A second launch, one thread per
// result element, takes the parts' largest maximum, sums each part's sum
// and accumulator times exp(its maximum - that), and divides; the part
// buffers are freed after it.
// SPLIT-LABEL: func.func @offset_and_key_masks
// SPLIT: %[[OUT:.+]] = memref.alloc() : memref<2x2x1x8xf32>
// SPLIT: %[[ACCS:.+]] = memref.alloc() : memref<3x2x2x1x8xf32>
// SPLIT: %[[MAXS:.+]] = memref.alloc() : memref<3x2x2x1xf32>
// SPLIT: %[[SUMS:.+]] = memref.alloc() : memref<3x2x2x1xf32>
// SPLIT: gpu.launch blocks(%[[BX:[a-z0-9]+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c3, %{{.+}} = %c2, %{{.+}} = %c2)
// SPLIT: %[[PART:.+]] = arith.remui %[[BX]], %c3
// SPLIT: %[[TILES:.+]] = arith.ceildivsi %{{.+}}, %c16
// SPLIT: %[[PER:.+]] = arith.ceildivsi %[[TILES]], %c3
// SPLIT: %[[KEYS:.+]] = arith.muli %[[PER]], %c16
// SPLIT: arith.muli %[[PART]], %[[KEYS]]
// SPLIT: scf.for
// SPLIT: memref.store %{{.+}}, %[[MAXS]][%[[PART]],
// SPLIT: memref.store %{{.+}}, %[[SUMS]][%[[PART]],
// SPLIT: memref.store %{{.+}}, %[[ACCS]][%[[PART]],
// SPLIT: gpu.launch blocks({{.+}}) in (%{{.+}} = %c1, %{{.+}} = %c1, %{{.+}} = %c1) threads({{.+}}) in (%{{.+}} = %c256,
// SPLIT: scf.for {{.+}} to %c3
// SPLIT: memref.load %[[MAXS]]
// SPLIT: arith.maximumf
// SPLIT: scf.for {{.+}} to %c3
// SPLIT: math.exp
// SPLIT: memref.load %[[SUMS]]
// SPLIT: memref.load %[[ACCS]]
// SPLIT: arith.divf
// SPLIT: memref.store %{{.+}}, %[[OUT]]
// SPLIT: memref.dealloc %[[ACCS]]
// SPLIT: memref.dealloc %[[MAXS]]
// SPLIT: memref.dealloc %[[SUMS]]
// CHECK-LABEL: func.func @offset_and_key_masks
// CHECK: %[[OFF:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<2xi64>
// CHECK: %[[KEEP:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<2x16xi1>
// CHECK: gpu.launch blocks(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %[[B:[a-z0-9]+]]) in
// CHECK: %[[PAST:.+]] = memref.load %[[OFF]][%[[B]]]
// CHECK: %[[SHIFT:.+]] = arith.index_cast %[[PAST]] : i64 to index
// CHECK: %[[POS:.+]] = arith.addi %{{.+}}, %[[SHIFT]]
// CHECK: %[[FIRSTPOS:.+]] = arith.addi %{{.+}}, %[[SHIFT]]
// CHECK: arith.subi %[[FIRSTPOS]], %c3
// CHECK: %[[SHOWN:.+]] = memref.load %[[KEEP]][%[[B]], %{{.+}}]
// CHECK: arith.andi %{{.+}}, %[[SHOWN]]
// CHECK: gpu.launch
// CHECK: %[[BIAS:.+]] = memref.load %{{.+}}[%{{.+}}, %{{.+}}] : memref<2x16xf32
// CHECK: arith.addf %{{.+}}, %[[BIAS]]
// Head dim 8 is not a whole k step of 16: the fp32 kernel, also with
// precision=fp16.
// TC-LABEL: func.func @offset_and_key_masks
// TC: gpu.launch
// TC-NOT: nvgpu.mma.sync
// TC: gpu.terminator
// On the decode kernel (one row per kv head): the offset and window set
// the key range the 4 parts share, and each key's mask entry is loaded
// once (the last key's past a part's end). With kv-splits=3, 3 blocks of
// 4 parts per kv head.
// DECODE-LABEL: func.func @offset_and_key_masks
// DECODE: %[[KEEP:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<2x16xi1>
// DECODE: gpu.launch blocks({{.+}}) in (%{{.+}} = %c1, %{{.+}} = %c2, %{{.+}} = %c2) threads({{.+}}) in (%{{.+}} = %c128,
// DECODE: scf.for
// DECODE: %[[SAFE:.+]] = arith.minsi %{{.+}}, %c15
// DECODE: memref.load %[[KEEP]][%{{.+}}, %[[SAFE]]]
// DECODE: gpu.launch
// DECODE: gpu.launch blocks({{.+}}) in (%{{.+}} = %c1, %{{.+}} = %c2, %{{.+}} = %c2) threads({{.+}}) in (%{{.+}} = %c128,
// DECODE: memref.load %{{.+}} : memref<2x16xf32
// DECODE-SPLIT-LABEL: func.func @offset_and_key_masks
// DECODE-SPLIT: memref.alloc() : memref<12x2x2x1x8xf32>
// DECODE-SPLIT: gpu.launch blocks({{.+}}) in (%{{.+}} = %c3, %{{.+}} = %c2, %{{.+}} = %c2) threads({{.+}}) in (%{{.+}} = %c128,
func.func @offset_and_key_masks(%q: tensor<2x2x1x8xf32>, %k: tensor<2x2x16x8xf32>, %v: tensor<2x2x16x8xf32>,
                                %past: tensor<2xi64>, %keep: tensor<2x16xi1>, %bias: tensor<2x16xf32>)
    -> (tensor<2x2x1x8xf32>, tensor<2x2x1x8xf32>) {
  %a = attn.sdpa %q, %k, %v offset(%past) key_mask(%keep) {scale = 0.5 : f32, mask = #attn.window<left = 3, right = 0>}
      : (tensor<2x2x1x8xf32>, tensor<2x2x16x8xf32>, tensor<2x2x16x8xf32>, tensor<2xi64>, tensor<2x16xi1>) -> tensor<2x2x1x8xf32>
  %b = attn.sdpa %q, %k, %v key_mask(%bias) {scale = 0.5 : f32}
      : (tensor<2x2x1x8xf32>, tensor<2x2x16x8xf32>, tensor<2x2x16x8xf32>, tensor<2x16xf32>) -> tensor<2x2x1x8xf32>
  return %a, %b : tensor<2x2x1x8xf32>, tensor<2x2x1x8xf32>
}

// -----

// A grouped-query decode step (8 query heads over 2 kv heads, one query
// row each, 1024 cached keys): a block per kv head whose rows are its 4
// query heads, so the cache is read once per group, not once per head;
// the 2 blocks are too few to fill a GPU, so each key range is split in
// 4 parts of 4 tiles of 64 keys (x = 4), merged by a second launch.
// CHECK-LABEL: func.func @gqa_decode
// CHECK: gpu.launch blocks(%{{.+}}) in (%{{.+}} = %c4, %{{.+}} = %c2, %{{.+}} = %c1) threads({{.+}}) in (%{{.+}} = %c32,
// CHECK-SAME: workgroup(%{{.+}} : memref<64x64xf32, #gpu.address_space<workgroup>>, %{{.+}} : memref<64x64xf32, #gpu.address_space<workgroup>>)
// CHECK: arith.remui %{{.+}}, %c4
// CHECK: gpu.launch
// By default the step runs on the decode kernel: blocks of 4 warps per
// (part group, kv head, batch row), 8 x 4 = 32 parts of 32 keys (1024
// keys, 512 blocks wanted over 2 kv heads, at least 32 keys a warp); no
// shared memory. Each lane loads the 4 query rows' columns lane and lane +
// 32 (scaled), then walks its warp's part 2 keys a step: both keys' K and
// V columns loaded first (8 loads), then per key and row a butterfly sum
// of 5 xor shuffles and one exponential; the row states (maximum, sum, 2
// accumulator columns each) are the loop's 16 values. Lane 0 writes the
// maxima and sums, every lane its columns, and the merge launch folds
// the 32 parts.
// DECODE-LABEL: func.func @gqa_decode
// DECODE: %[[ACCS:.+]] = memref.alloc() : memref<32x1x8x1x64xf32>
// DECODE: %[[MAXS:.+]] = memref.alloc() : memref<32x1x8x1xf32>
// DECODE: gpu.launch blocks(%[[BX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c8, %{{.+}} = %c2, %{{.+}} = %c1) threads(%[[T:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c128, %{{.+}} = %c1, %{{.+}} = %c1) {
// DECODE-NEXT: %c32 = arith.constant 32 : index
// DECODE-NEXT: %[[LANE:.+]] = arith.remui %[[T]], %c32
// DECODE-NEXT: %[[WARP:.+]] = arith.divui %[[T]], %c32
// DECODE: %[[PART:.+]] = arith.addi %{{.+}}, %[[WARP]]
// DECODE-COUNT-8: arith.mulf %{{.+}}, %cst
// DECODE: scf.for %{{.+}} = %c0 to %{{.+}} step %c2 iter_args({{.+}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// DECODE-COUNT-8: memref.load %{{.+}} : memref<1x2x1024x64xf32
// DECODE-NOT: memref.load
// DECODE-COUNT-5: gpu.shuffle  xor
// DECODE-NOT: gpu.shuffle
// DECODE: math.exp
// DECODE-NOT: math.exp
// DECODE: gpu.shuffle  xor
// DECODE: scf.yield
// DECODE: %[[FIRST:.+]] = arith.cmpi eq, %[[LANE]], %c0
// DECODE-NEXT: memref.store %{{.+}}, %[[ACCS]][%[[PART]],
// DECODE-NEXT: memref.store %{{.+}}, %[[ACCS]][%[[PART]],
// DECODE-NEXT: scf.if %[[FIRST]] {
// DECODE-NEXT: memref.store %{{.+}}, %[[MAXS]][%[[PART]],
// DECODE: gpu.launch
// DECODE: scf.for {{.+}} to %c32
func.func @gqa_decode(%q: tensor<1x8x1x64xf32>, %k: tensor<1x2x1024x64xf32>, %v: tensor<1x2x1024x64xf32>)
    -> tensor<1x8x1x64xf32> {
  %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32}
      : (tensor<1x8x1x64xf32>, tensor<1x2x1024x64xf32>, tensor<1x2x1024x64xf32>) -> tensor<1x8x1x64xf32>
  return %o : tensor<1x8x1x64xf32>
}

// -----

// A key bias on the tensor cores: a third shared buffer holds the 64
// biases of the key tile, staged beside K and V (by the first 64 threads,
// clamped past the last key), and read once per column a lane holds;
// every score adds its key's bias before the whole-tile branch.
// TC-LABEL: func.func @tensor_core_key_bias
// TC: gpu.launch
// TC: gpu.launch
// TC-SAME: workgroup(%{{.+}} : memref<64x24xf16, #gpu.address_space<workgroup>>, %{{.+}} : memref<16x72xf16, #gpu.address_space<workgroup>>, %[[KB:[a-z0-9]+]] : memref<64xf32, #gpu.address_space<workgroup>>)
// TC: scf.for
// TC: scf.for
// TC: %[[KEY:.+]] = arith.minsi %{{.+}}, %c127
// TC: %[[BIAS:.+]] = memref.load %{{.+}}[%{{.+}}, %[[KEY]]] : memref<1x128xf32, strided<[?, ?], offset: ?>>
// TC: memref.store %[[BIAS]], %[[KB]]
// TC: gpu.barrier
// TC-COUNT-16: memref.load %[[KB]]
// TC-NOT: memref.load %[[KB]]
// TC: scf.if %{{.+}} -> (f32
// TC: } else {
// TCBIAS-LABEL: func.func @tensor_core_key_bias
// TCBIAS: gpu.barrier
// TCBIAS-COUNT-32: arith.addf
// TCBIAS: scf.if %{{.+}} -> (f32
// TCBIAS: } else {
func.func @tensor_core_key_bias(%q: tensor<1x1x64x16xf32>, %k: tensor<1x1x128x16xf32>, %v: tensor<1x1x128x16xf32>,
                                %bias: tensor<1x128xf32>) -> tensor<1x1x64x16xf32> {
  %o = attn.sdpa %q, %k, %v key_mask(%bias) {scale = 0.25 : f32}
      : (tensor<1x1x64x16xf32>, tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>, tensor<1x128xf32>) -> tensor<1x1x64x16xf32>
  return %o : tensor<1x1x64x16xf32>
}

// -----

// A dense mask (broadcast to [B, Hq, S, T]) on the fp32 tile kernel: each
// score loads its entry, a unit dim at index 0, the others at the score's
// (batch, head, row, key); an additive one adds it, a boolean one ANDs it
// with the window's verdict. Neither the decode kernel nor the tensor
// cores read one: those runs plan the fp32 tile kernel too.
// CHECK-LABEL: func.func @dense_masks
// CHECK: %[[ADD:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<1x1x4x16xf32>
// CHECK: gpu.launch
// CHECK: %[[BIAS:.+]] = memref.load %[[ADD]][%c0, %c0, %{{.+}}, %{{.+}}]
// CHECK: arith.addf %{{.+}}, %[[BIAS]]
// CHECK: %[[KEEP:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<2x4x16xi1>
// CHECK: gpu.launch blocks(%{{[a-z0-9]+}}, %[[BY:[a-z0-9]+]], %{{[a-z0-9]+}}) in
// CHECK: %[[SHOWN:.+]] = memref.load %[[KEEP]][%{{.+}}, %{{.+}}, %{{.+}}]
// CHECK: arith.andi %{{.+}}, %[[SHOWN]]
// DECODE-LABEL: func.func @dense_masks
// DECODE-NOT: vector.
// DECODE-NOT: gpu.shuffle
// DECODE: return
// TC-LABEL: func.func @dense_masks
// TC-NOT: nvgpu.mma.sync
// TC: return
func.func @dense_masks(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>,
                       %bias: tensor<1x1x4x16xf32>, %keep: tensor<2x4x16xi1>)
    -> (tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>) {
  %a = attn.sdpa %q, %k, %v dense_mask(%bias) {scale = 0.5 : f32} : (tensor<1x2x4x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x1x4x16xf32>) -> tensor<1x2x4x16xf32>
  %b = attn.sdpa %q, %k, %v dense_mask(%keep) {scale = 0.5 : f32, mask = #attn.window<left = inf, right = 0>} : (tensor<1x2x4x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<2x4x16xi1>) -> tensor<1x2x4x16xf32>
  return %a, %b : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
}

// -----

// Run-time lengths (`--max-shape`): the plan is made for the bounds (seq
// <= 100 queries, past + seq <= 356 keys), the kernels read the run's
// lengths: the grid's query blocks ceil(S / 64), the result allocated S
// rows, rows past S idle, the key range ending at T.
// CHECK-LABEL: func.func @run_time_lengths
// CHECK-DAG: %[[S:.+]] = tensor.dim %{{.+}}, %c2 : tensor<1x2x?x16xf32>
// CHECK-DAG: %[[T:.+]] = tensor.dim %{{.+}}, %c2 : tensor<1x2x?x16xf32>
// CHECK: %[[OUT:.+]] = memref.alloc(%[[S]]) : memref<1x2x?x16xf32>
// CHECK: %[[QBLOCKS:.+]] = arith.ceildivui %[[S]], %c64
// CHECK: gpu.launch blocks({{.+}}) in (%{{.+}} = %[[QBLOCKS]], %{{.+}} = %c2, %{{.+}} = %c1) threads({{.+}}) in (%{{.+}} = %c64,
// CHECK: arith.cmpi slt, %{{.+}}, %[[S]]
// CHECK: %[[LAST:.+]] = arith.subi %[[S]], %c1
// CHECK: arith.minsi %{{.+}}, %[[LAST]]
// CHECK: %[[END:.+]] = arith.minsi %[[T]], %{{.+}}
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[END]] step %c64
// TC-LABEL: func.func @run_time_lengths
// TC: %[[T:.+]] = tensor.dim %{{.+}}, %c2 : tensor<1x2x?x16xf32>
// TC: memref.alloc() : memref<1x2x384x16xf16>
// TC: %[[TILES:.+]] = arith.ceildivui %[[T]], %c64
// TC: gpu.launch blocks({{.+}}) in (%{{.+}} = %[[TILES]],
// TC: nvgpu.mma.sync
func.func @run_time_lengths(%q: tensor<1x2x?x16xf32> {attnc.dim_symbols = ["", "", "seq", ""]},
                            %past: tensor<1x2x?x16xf32> {attnc.dim_symbols = ["", "", "past", ""]},
                            %k: tensor<1x2x?x16xf32> {attnc.dim_symbols = ["", "", "seq", ""]})
    -> tensor<1x2x?x16xf32> attributes {attnc.dim_bounds = {seq = 100 : i64, past = 256 : i64}} {
  %keys = attn.concat %past, %k {axis = 2 : i64} : (tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32>
  %o = attn.sdpa %q, %keys, %keys {scale = 0.25 : f32, mask = #attn.window<left = inf, right = 0>}
      : (tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}

// -----

// What the kernels lack so far (run-time lengths without bounds, f16
// operands) stays for attn-decompose-sdpa.
// CHECK-LABEL: func.func @left_for_decomposition
// CHECK-NOT: gpu.launch
// CHECK: attn.sdpa {{.+}} -> tensor<1x2x?x8xf32>
// CHECK: attn.sdpa {{.+}} -> tensor<1x2x4x8xf16>
func.func @left_for_decomposition(%qd: tensor<1x2x?x8xf32>, %kd: tensor<1x2x?x8xf32>,
                                  %qh: tensor<1x2x4x8xf16>, %kh: tensor<1x2x16x8xf16>)
    -> (tensor<1x2x?x8xf32>, tensor<1x2x4x8xf16>) {
  %c = attn.sdpa %qd, %kd, %kd {scale = 0.5 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %d = attn.sdpa %qh, %kh, %kh {scale = 0.5 : f32} : (tensor<1x2x4x8xf16>, tensor<1x2x16x8xf16>, tensor<1x2x16x8xf16>) -> tensor<1x2x4x8xf16>
  return %c, %d : tensor<1x2x?x8xf32>, tensor<1x2x4x8xf16>
}

// RUN: attnc-opt %s -split-input-file -gpu-lower-contractions -cse | FileCheck %s
// RUN: attnc-opt %s -split-input-file -gpu-lower-contractions="tile-m=32 tile-n=16 tile-k=8" -cse | FileCheck %s --check-prefix=TILES
// RUN: attnc-opt %s -split-input-file -gpu-lower-contractions="tensor-cores=false" -cse | FileCheck %s --check-prefix=F32

// A projection, 100 x 70 += 100 x 48 . 48 x 70: a grid of 2 x 2 blocks of
// 64 x 64 outputs, 256 threads of 4 x 4; the 16 accumulators are values
// carried by the k loops, starting at the output; three k slices of 16,
// each A and B tile staged in shared memory between two barriers; stores
// only inside the 100 x 70 edge.
// CHECK-LABEL: func.func @projection
// CHECK-SAME: (%[[A:.+]]: memref<100x48xf32>, %[[B:.+]]: memref<48x70xf32>, %[[C:.+]]: memref<100x70xf32>)
// CHECK: gpu.launch blocks(%[[BX:[a-z0-9]+]], %[[BY:[a-z0-9]+]], %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %c2, %{{[a-z0-9]+}} = %c2, %{{[a-z0-9]+}} = %c1) threads(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %c256,
// CHECK-SAME: workgroup(%[[TA:[a-z0-9]+]] : memref<64x16xf32, #gpu.address_space<workgroup>>, %[[TB:[a-z0-9]+]] : memref<16x64xf32, #gpu.address_space<workgroup>>) {
// CHECK-COUNT-16: memref.load %[[C]]
// CHECK: scf.for %{{.+}} = %c0 to %c48 step %c16 iter_args({{.+}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: memref.load %[[A]]
// CHECK: memref.store %{{.+}}, %[[TA]]
// CHECK: memref.load %[[B]]
// CHECK: memref.store %{{.+}}, %[[TB]]
// CHECK: gpu.barrier
// CHECK: scf.for %{{.+}} = %c0 to %c16 step %c4 iter_args
// CHECK-COUNT-64: math.fma
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK: memref.store %{{.+}}, %[[C]]
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// TILES-LABEL: func.func @projection
// TILES: gpu.launch blocks({{.+}}) in (%{{[a-z0-9]+}} = %c5, %{{[a-z0-9]+}} = %c4, %{{[a-z0-9]+}} = %c1) threads({{.+}}) in (%{{[a-z0-9]+}} = %c32,
// TILES-SAME: workgroup(%{{[a-z0-9]+}} : memref<32x8xf32, #gpu.address_space<workgroup>>, %{{[a-z0-9]+}} : memref<8x16xf32, #gpu.address_space<workgroup>>)
func.func @projection(%a: memref<100x48xf32>, %b: memref<48x70xf32>, %c: memref<100x70xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<100x48xf32>, memref<48x70xf32>) outs(%c : memref<100x70xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A [3, 8, 32] activation times a transposed [16, 32] weight: the weight
// has no batch dim, so 3 x 8 is one linear row index of 24 rows (one block
// row), split back into (batch, row) for each access; B read as (n, k).
// CHECK-LABEL: func.func @activation_times_transposed_weight
// CHECK-SAME: (%[[A:.+]]: memref<3x8x32xf32>, %[[W:.+]]: memref<16x32xf32>, %[[C:.+]]: memref<3x8x16xf32>)
// CHECK: gpu.launch blocks({{.+}}) in (%{{[a-z0-9]+}} = %c1, %{{[a-z0-9]+}} = %c1, %{{[a-z0-9]+}} = %c1)
// CHECK: %[[ROW:.+]] = arith.remui %{{.+}}, %c8
// CHECK: %[[BATCH:.+]] = arith.divui %{{.+}}, %c8
// CHECK: memref.load %[[C]][%[[BATCH]], %[[ROW]], %{{.+}}]
// CHECK: memref.load %[[A]]
// CHECK: memref.load %[[W]]
func.func @activation_times_transposed_weight(%a: memref<3x8x32xf32>, %w: memref<16x32xf32>, %c: memref<3x8x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (n, k)>,
                                   affine_map<(b, m, n, k) -> (b, m, n)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<3x8x32xf32>, memref<16x32xf32>) outs(%c : memref<3x8x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A real batch dim (in A, B and C: attention's per-head products) goes to
// the grid's z.
// CHECK-LABEL: func.func @batched
// CHECK-SAME: (%[[A:.+]]: memref<6x8x32xf32>, %[[B:.+]]: memref<6x32x8xf32>, %[[C:.+]]: memref<6x8x8xf32>)
// CHECK: gpu.launch blocks(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %[[BZ:[a-z0-9]+]]) in (%{{[a-z0-9]+}} = %c1, %{{[a-z0-9]+}} = %c1, %{{[a-z0-9]+}} = %c6)
// CHECK: memref.load %[[C]][%[[BZ]], %{{.+}}, %{{.+}}]
// CHECK: memref.load %[[A]][%[[BZ]], %{{.+}}, %{{.+}}]
// CHECK: memref.load %[[B]][%[[BZ]], %{{.+}}, %{{.+}}]
func.func @batched(%a: memref<6x8x32xf32>, %b: memref<6x32x8xf32>, %c: memref<6x8x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>,
                                   affine_map<(b, m, n, k) -> (b, m, n)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<6x8x32xf32>, memref<6x32x8xf32>) outs(%c : memref<6x8x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not a multiply-add (a max over k), and not a contraction (elementwise):
// both stay.
// CHECK-LABEL: func.func @not_contractions
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: linalg.generic
func.func @not_contractions(%a: memref<8x32xf32>, %b: memref<32x16xf32>, %c: memref<8x16xf32>, %d: memref<8x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x32xf32>, memref<32x16xf32>) outs(%c : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.maximumf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<8x16xf32>) outs(%d : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The op that fills the output before the product is folded into the
// kernel, its values starting the accumulators: a bias broadcast (its
// input loaded at the output element, past a view op between the two) and
// a zero fill. Neither is left, and the output is not read.
// CHECK-LABEL: func.func @initializers_folded
// CHECK-SAME: (%[[A:.+]]: memref<8x32xf32>, %[[W:.+]]: memref<32x16xf32>, %[[BIAS:.+]]: memref<16xf32>, %[[C:.+]]: memref<8x16xf32>, %[[D:.+]]: memref<8x16xf32>)
// CHECK-NOT: linalg.
// CHECK: gpu.launch
// CHECK-NOT: memref.load %[[C]]
// CHECK-COUNT-16: memref.load %[[BIAS]][%{{.+}}] : memref<16xf32>
// CHECK: scf.for
// CHECK: memref.store %{{.+}}, %[[C]]
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK-NOT: memref.load %[[D]]
// CHECK: scf.for %{{.+}} = %c0 to %c32 step %c16 iter_args(%{{.+}} = %cst, %{{.+}} = %cst,
// CHECK: memref.store %{{.+}}, %[[D]]
// CHECK-NOT: linalg.
func.func @initializers_folded(%a: memref<8x32xf32>, %w: memref<32x16xf32>, %bias: memref<16xf32>,
                               %c: memref<8x16xf32>, %d: memref<8x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (n)>, affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<16xf32>) outs(%c : memref<8x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  %view = memref.collapse_shape %a [[0, 1]] : memref<8x32xf32> into memref<256xf32>
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<8x32xf32>, memref<32x16xf32>) outs(%c : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%d : memref<8x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<8x32xf32>, memref<32x16xf32>) outs(%d : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not folded: an initializer that reads the output (a residual kept in
// it), and one separated from the product by an op that touches memory.
// CHECK-LABEL: func.func @initializers_kept
// CHECK: linalg.generic
// CHECK: gpu.launch
// CHECK-COUNT-16: memref.load %{{.+}} : memref<8x16xf32>
// CHECK: linalg.fill
// CHECK: memref.store
// CHECK: gpu.launch
func.func @initializers_kept(%a: memref<8x32xf32>, %w: memref<32x16xf32>, %c: memref<8x16xf32>,
                             %d: memref<8x16xf32>, %flag: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>], iterator_types = ["parallel", "parallel"]}
      outs(%c : memref<8x16xf32>) {
  ^bb0(%o: f32):
    %twice = arith.addf %o, %o : f32
    linalg.yield %twice : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<8x32xf32>, memref<32x16xf32>) outs(%c : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%d : memref<8x16xf32>)
  memref.store %zero, %flag[] : memref<f32>
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<8x32xf32>, memref<32x16xf32>) outs(%d : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A weight gpu-cast-weights stored in fp16 runs on the tensor cores: one
// block of 4 warps (128 threads) per 64 x 64 tile; 2 x 4 mma tiles per
// warp whose accumulators are the k loop's 8 vector<2x2xf32> values. Both
// operands come in whole 16-byte chunks along a contiguous dim (A's k, the
// [k][n] weight's n), so the slices of 32 ks are pipelined through two
// shared buffers: A as [2][m][k] rows padded to 40, B as stored, [2][k][n]
// rows padded to 72. Before the loop, slice 0's chunks (two per thread per
// operand: vector loads of 8, A's rounded to fp16) are stored into stage 0;
// in the loop, the next slice's chunks are loaded first, this stage's
// fragments multiplied (A by ldmatrix, B by ldmatrix.trans: 16 products),
// and the chunks stored into the other stage before the one barrier.
// CHECK-LABEL: func.func @fp16_weight
// CHECK-SAME: (%[[A:.+]]: memref<8x32xf32>, %[[W:.+]]: memref<32x16xf16>, %[[C:.+]]: memref<8x16xf32>)
// CHECK: gpu.launch blocks({{.+}}) in (%{{[a-z0-9]+}} = %c1, %{{[a-z0-9]+}} = %c1, %{{[a-z0-9]+}} = %c1) threads({{.+}}) in (%{{[a-z0-9]+}} = %c128,
// CHECK-SAME: workgroup(%[[TA:[a-z0-9]+]] : memref<2x64x40xf16, #gpu.address_space<workgroup>>, %[[TB:[a-z0-9]+]] : memref<2x32x72xf16, #gpu.address_space<workgroup>>)
// CHECK-COUNT-8: vector.from_elements {{.+}} : vector<2x2xf32>
// CHECK-COUNT-2: vector.load %[[A]][{{.+}}] {alignment = 16 : i64} : memref<8x32xf32>, vector<8xf32>
// CHECK-COUNT-2: vector.load %[[W]][{{.+}}] {alignment = 16 : i64} : memref<32x16xf16>, vector<8xf16>
// CHECK: %[[A0:.+]] = memref.subview %[[TA]][%c0, 0, 0] [1, 64, 40] [1, 1, 1]
// CHECK: arith.truncf %{{.+}} : vector<8xf32> to vector<8xf16>
// CHECK: vector.store %{{.+}}, %[[A0]]
// CHECK: %[[B0:.+]] = memref.subview %[[TB]][%c0, 0, 0] [1, 32, 72] [1, 1, 1]
// CHECK: vector.store %{{.+}}, %[[B0]]
// CHECK: gpu.barrier
// CHECK: scf.for %[[K:.+]] = %c0 to %c32 step %c32 iter_args({{.+}}) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>)
// CHECK: %[[SLICE:.+]] = arith.divui %[[K]], %c32
// CHECK: %[[STAGE:.+]] = arith.remui %[[SLICE]], %c2
// CHECK: %[[OTHER:.+]] = arith.subi %c1, %[[STAGE]]
// CHECK-COUNT-2: vector.load %[[A]]
// CHECK-COUNT-2: vector.load %[[W]]
// CHECK: %[[SA:.+]] = memref.subview %[[TA]][%[[STAGE]], 0, 0]
// CHECK: %[[SB:.+]] = memref.subview %[[TB]][%[[STAGE]], 0, 0]
// CHECK: nvgpu.ldmatrix %[[SA]][{{.+}}] {numTiles = 4 : i32, transpose = false} : memref<64x40xf16, strided<[40, 1], offset: ?>, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK: nvgpu.ldmatrix %[[SA]]
// CHECK: %[[PAIR:.+]] = nvgpu.ldmatrix %[[SB]][{{.+}}] {numTiles = 4 : i32, transpose = true} : memref<32x72xf16, strided<[72, 1], offset: ?>, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK: vector.extract_strided_slice %[[PAIR]] {offsets = [0, 0], sizes = [2, 2], strides = [1, 1]} : vector<4x2xf16> to vector<2x2xf16>
// CHECK: vector.extract_strided_slice %[[PAIR]] {offsets = [2, 0], sizes = [2, 2], strides = [1, 1]} : vector<4x2xf16> to vector<2x2xf16>
// CHECK: nvgpu.ldmatrix %[[SB]]
// CHECK-COUNT-16: nvgpu.mma.sync({{.+}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: %[[NA:.+]] = memref.subview %[[TA]][%[[OTHER]], 0, 0]
// CHECK-COUNT-2: vector.store %{{.+}}, %[[NA]]
// CHECK: %[[NB:.+]] = memref.subview %[[TB]][%[[OTHER]], 0, 0]
// CHECK-COUNT-2: vector.store %{{.+}}, %[[NB]]
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: scf.yield
// CHECK-COUNT-32: memref.store %{{.+}}, %[[C]]
// CHECK-NOT: linalg.generic
// With tensor-cores=false, the f32 kernel: it extends each weight element
// as it stages the B tile (shared memory and the accumulators stay f32).
// F32-LABEL: func.func @fp16_weight
// F32-SAME: (%[[A:.+]]: memref<8x32xf32>, %[[W:.+]]: memref<32x16xf16>, %[[C:.+]]: memref<8x16xf32>)
// F32: gpu.launch
// F32-SAME: workgroup(%{{.+}} : memref<64x16xf32, #gpu.address_space<workgroup>>, %[[TB:[a-z0-9]+]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// F32: %[[H:.+]] = memref.load %[[W]]
// F32: %[[F:.+]] = arith.extf %[[H]] : f16 to f32
// F32: arith.select %{{.+}}, %[[F]], %{{.+}} : f32
// F32: memref.store %{{.+}}, %[[TB]]
// F32-NOT: nvgpu.mma.sync
func.func @fp16_weight(%a: memref<8x32xf32>, %w: memref<32x16xf16>, %c: memref<8x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<8x32xf32>, memref<32x16xf16>) outs(%c : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f16, %acc: f32):
    %yf = arith.extf %y : f16 to f32
    %p = arith.mulf %x, %yf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An attn.linear's bf16 weight, transposed ([n][k] in memory), with its
// bias broadcast folded in: bf16 fragments, 70 x 37 over 2 x 2 blocks
// and 2 k slices (zeros past k = 37), the bias computed per accumulator.
// CHECK-LABEL: func.func @bf16_linear
// CHECK-SAME: (%[[A:.+]]: memref<100x37xf32>, %[[W:.+]]: memref<70x37xbf16>, %[[BIAS:.+]]: memref<70xf32>, %[[C:.+]]: memref<100x70xf32>)
// CHECK: gpu.launch blocks({{.+}}) in (%{{[a-z0-9]+}} = %c2, %{{[a-z0-9]+}} = %c2, %{{[a-z0-9]+}} = %c1) threads({{.+}}) in (%{{[a-z0-9]+}} = %c128,
// CHECK-SAME: workgroup(%{{.+}} : memref<64x40xbf16, #gpu.address_space<workgroup>>, %{{.+}} : memref<64x40xbf16, #gpu.address_space<workgroup>>)
// CHECK: memref.load %[[BIAS]]
// CHECK: scf.for %{{.+}} = %c0 to %c37 step %c32 iter_args
// CHECK: arith.truncf %{{.+}} : f32 to bf16
// The weight's slice is read along k, its contiguous dim (neighbouring
// threads, neighbouring elements): element e is k = e mod 32, n = e / 32.
// CHECK: %[[KE:.+]] = arith.remui %[[E:.+]], %c32 : index
// CHECK-NEXT: arith.divui %[[E]], %c32 : index
// CHECK: memref.load %[[W]]
// CHECK-COUNT-16: nvgpu.mma.sync({{.+}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK-NOT: linalg.generic
func.func @bf16_linear(%a: memref<100x37xf32>, %w: memref<70x37xbf16>, %bias: memref<70xf32>,
                       %c: memref<100x70xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (n)>, affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<70xf32>) outs(%c : memref<100x70xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<100x37xf32>, memref<70x37xbf16>) outs(%c : memref<100x70xf32>) {
  ^bb0(%x: f32, %y: bf16, %acc: f32):
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %x, %yf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The elementwise op after the product that reads its sums (a residual
// add into a buffer allocated after the product) runs in the kernel's
// stores, when nothing reads the sums afterwards (here they are freed):
// one launch, in the add's place, storing sum + residual into the add's
// output; the sums' buffer is never written.
// CHECK-LABEL: func.func @epilogue_folded
// CHECK-SAME: (%[[A:.+]]: memref<8x32xf32>, %[[W:.+]]: memref<32x16xf32>, %[[R:.+]]: memref<8x16xf32>, %[[OUT:.+]]: memref<8x16xf32>)
// CHECK: %[[SUMS:.+]] = memref.alloc() : memref<8x16xf32>
// CHECK: %[[D:.+]] = memref.alloc() : memref<8x16xf32>
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: %[[RES:.+]] = memref.load %[[R]]
// CHECK: %[[SUM:.+]] = arith.addf %[[RES]], %{{.+}} : f32
// CHECK: memref.store %[[SUM]], %[[D]]
// CHECK-NOT: memref.store %{{.+}}, %[[SUMS]][
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// CHECK: memref.dealloc %[[SUMS]] :
// CHECK: memref.copy %[[D]], %[[OUT]]
func.func @epilogue_folded(%a: memref<8x32xf32>, %w: memref<32x16xf32>, %r: memref<8x16xf32>,
                           %out: memref<8x16xf32>) {
  %c = memref.alloc() : memref<8x16xf32>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<8x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<8x32xf32>, memref<32x16xf32>) outs(%c : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  %d = memref.alloc() : memref<8x16xf32>
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>,
                                   affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%r, %c : memref<8x16xf32>, memref<8x16xf32>) outs(%d : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  memref.dealloc %c : memref<8x16xf32>
  memref.copy %d, %out : memref<8x16xf32> to memref<8x16xf32>
  return
}

// -----

// Not folded: sums read again after the elementwise op (by a copy), and
// sums in a caller's buffer (an argument: the caller may read them).
// CHECK-LABEL: func.func @epilogue_kept
// CHECK: gpu.launch
// CHECK: linalg.generic
// CHECK: memref.copy
// CHECK: gpu.launch
// CHECK: linalg.generic
func.func @epilogue_kept(%a: memref<8x32xf32>, %w: memref<32x16xf32>, %out: memref<8x16xf32>,
                         %arg: memref<8x16xf32>) {
  %c = memref.alloc() : memref<8x16xf32>
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<8x32xf32>, memref<32x16xf32>) outs(%c : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  %d = memref.alloc() : memref<8x16xf32>
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<8x16xf32>) outs(%d : memref<8x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  }
  memref.copy %c, %out : memref<8x16xf32> to memref<8x16xf32>
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<8x32xf32>, memref<32x16xf32>) outs(%arg : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  %e = memref.alloc() : memref<8x16xf32>
  linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m, n)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%arg : memref<8x16xf32>) outs(%e : memref<8x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Run-time rows (`--max-shape`: a prompt's length): M is read from the
// activation before the launch; the grid's block rows are ceil(M / 64),
// the edge tests compare with M, and rows past it are clamped to M - 1. With an fp16 weight the
// pipelined tensor-core kernel takes it (K and N static, whole 16-byte
// chunks), its chunks' edge test and row clamp from M too.
// CHECK-LABEL: func.func @run_time_rows
// CHECK-SAME: (%[[A:.+]]: memref<?x32xf32>, %[[B:.+]]: memref<32x16xf32>, %[[C:.+]]: memref<?x16xf32>, %[[W:.+]]: memref<32x16xf16>, %[[D:.+]]: memref<?x16xf32>)
// CHECK: %[[M:.+]] = memref.dim %[[A]], %c0 : memref<?x32xf32>
// CHECK: %[[ROWS:.+]] = arith.ceildivui %[[M]], %c64
// CHECK: gpu.launch blocks({{.+}}) in (%{{[a-z0-9]+}} = %c1, %{{[a-z0-9]+}} = %[[ROWS]], %{{[a-z0-9]+}} = %c1)
// CHECK: arith.cmpi slt, %{{.+}}, %[[M]]
// CHECK: %[[LAST:.+]] = arith.subi %[[M]], %c1
// CHECK: arith.minsi %{{.+}}, %[[LAST]]
// CHECK: gpu.terminator
// CHECK: gpu.launch blocks({{.+}}) in (%{{[a-z0-9]+}} = %c1, %{{[a-z0-9]+}} = %[[ROWS]], %{{[a-z0-9]+}} = %c1)
// CHECK: %[[LASTROW:.+]] = arith.subi %[[M]], %c1
// CHECK: arith.minsi %{{.+}}, %[[LASTROW]]
// CHECK: vector.load %[[A]]
// CHECK: nvgpu.mma.sync
func.func @run_time_rows(%a: memref<?x32xf32>, %b: memref<32x16xf32>, %c: memref<?x16xf32>,
                         %w: memref<32x16xf16>, %d: memref<?x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<?x32xf32>, memref<32x16xf32>) outs(%c : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x32xf32>, memref<32x16xf16>) outs(%d : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f16, %acc: f32):
    %e = arith.extf %y : f16 to f32
    %p = arith.mulf %x, %e : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

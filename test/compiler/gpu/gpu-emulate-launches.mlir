// RUN: attnc-opt %s -split-input-file -gpu-emulate-launches | FileCheck %s

// A 3 x 2 grid of 8 x 4 threads: loops over the blocks (z, y, x), the
// block's shared buffer allocated on the host per block, a team of 32
// OpenMP threads whose thread number gives (x, y, z) with x fastest, the
// private buffer on each thread's stack, the barrier an OpenMP barrier.
// CHECK-LABEL: func.func @grid
// CHECK: scf.for %[[Z:.+]] = %c0 to %c1
// CHECK: scf.for %[[Y:.+]] = %c0 to %c2
// CHECK: scf.for %[[X:.+]] = %c0 to %c3
// CHECK: %[[SHARED:.+]] = memref.alloc() : memref<32xf32>
// CHECK: %[[N:.+]] = arith.index_cast %{{.+}} : index to i32
// CHECK: omp.parallel num_threads(%[[N]] : i32)
// CHECK: %[[NUM:.+]] = func.call @omp_get_thread_num() : () -> i32
// CHECK: %[[LINEAR:.+]] = arith.index_cast %[[NUM]]
// CHECK: %[[TX:.+]] = arith.remui %[[LINEAR]], %c8
// CHECK: %[[PRIV:.+]] = memref.alloca() : memref<2xf32>
// CHECK: memref.store %{{.+}}, %[[PRIV]]
// CHECK: memref.store %{{.+}}, %[[SHARED]]
// CHECK: omp.barrier
// CHECK: memref.load %[[SHARED]]
// CHECK: omp.terminator
// CHECK: memref.dealloc %[[SHARED]]
// CHECK-NOT: gpu.
func.func @grid(%out: memref<3x32xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c3, %y = %c2, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c8, %v = %c4, %w = %c1)
             workgroup(%shared : memref<32xf32, #gpu.address_space<workgroup>>)
             private(%mine : memref<2xf32, #gpu.address_space<private>>) {
    %c0 = arith.constant 0 : index
    %row = arith.muli %ty, %u : index
    %t = arith.addi %row, %tx : index
    %f = arith.index_cast %t : index to i32
    %g = arith.sitofp %f : i32 to f32
    memref.store %g, %mine[%c0] : memref<2xf32, #gpu.address_space<private>>
    %h = memref.load %mine[%c0] : memref<2xf32, #gpu.address_space<private>>
    memref.store %h, %shared[%t] : memref<32xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %c31 = arith.constant 31 : index
    %other = arith.subi %c31, %t : index
    %v2 = memref.load %shared[%other] : memref<32xf32, #gpu.address_space<workgroup>>
    memref.store %v2, %out[%bx, %t] : memref<3x32xf32>
    gpu.terminator
  }
  return
}

// -----

// A warp product in a block of 64 threads (2 warps): two [2][16][16] and
// [2][16][8] f32 scratch buffers shared by the team; each lane stores its
// 8 A and 4 B elements there (extended), the team meets, each lane sums
// its 4 C elements over 16 ks, and meets again before the scratch is
// reused. No nvgpu op is left.
// CHECK-LABEL: func.func @warp_product
// CHECK: %[[SA:.+]] = memref.alloc() : memref<2x16x16xf32>
// CHECK: %[[SB:.+]] = memref.alloc() : memref<2x16x8xf32>
// CHECK: omp.parallel
// CHECK-COUNT-8: memref.store %{{.+}}, %[[SA]]
// CHECK-COUNT-4: memref.store %{{.+}}, %[[SB]]
// CHECK: omp.barrier
// CHECK: scf.for %{{.+}} = %{{.+}} to %c16 step %{{.+}} iter_args
// CHECK: memref.load %[[SA]]
// CHECK: memref.load %[[SB]]
// CHECK: math.fma
// CHECK: omp.barrier
// CHECK: vector.from_elements {{.+}} : vector<2x2xf32>
// CHECK-NOT: nvgpu.mma.sync
func.func @warp_product(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>,
                        %out: memref<64xvector<2x2xf32>>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c64, %v = %c1, %w = %c1) {
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]}
        : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    memref.store %d, %out[%tx] : memref<64xvector<2x2xf32>>
    gpu.terminator
  }
  return
}

// -----

// A butterfly shuffle over a warp of a 32-thread block: a [1][32] f32
// scratch; each lane stores its value at its lane number, the team meets,
// each reads lane ^ 2's, and meets again before the scratch is reused.
// The shuffle's validity flag is true (every lane of a warp has a
// partner).
// CHECK-LABEL: func.func @butterfly
// CHECK: %[[S:.+]] = memref.alloc() : memref<1x32xf32>
// CHECK: omp.parallel
// CHECK: memref.store %{{.+}}, %[[S]][%{{.+}}, %[[LANE:.+]]]
// CHECK: omp.barrier
// CHECK: %[[PARTNER:.+]] = arith.xori %[[LANE]], %{{.+}} : index
// CHECK: memref.load %[[S]][%{{.+}}, %[[PARTNER]]]
// CHECK: omp.barrier
// CHECK-NOT: gpu.shuffle
func.func @butterfly(%x: f32, %out: memref<32xf32>, %ok: memref<32xi1>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %mask = arith.constant 2 : i32
  %width = arith.constant 32 : i32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%u = %c32, %v = %c1, %w = %c1) {
    %y, %valid = gpu.shuffle xor %x, %mask, %width : f32
    memref.store %y, %out[%tx] : memref<32xf32>
    memref.store %valid, %ok[%tx] : memref<32xi1>
    gpu.terminator
  }
  return
}

// -----

// ldmatrix.x4 in a block of one warp: each lane stores the row it names
// (2 indices) in a [1][32][2] scratch, the team meets, each lane reads the
// rows lanes g, g + 8, g + 16 and g + 24 named and loads 2 elements of
// each from column 2t on, and the team meets again.
// CHECK-LABEL: func.func @matrix_load
// CHECK: %[[T:.+]] = memref.alloc() : memref<16x16xf16>
// CHECK: %[[R:.+]] = memref.alloc() : memref<1x32x2xindex>
// CHECK: omp.parallel
// CHECK-COUNT-2: memref.store %{{.+}}, %[[R]]
// CHECK: omp.barrier
// CHECK-COUNT-8: memref.load %[[T]]
// CHECK: omp.barrier
// CHECK: vector.from_elements {{.+}} : vector<4x2xf16>
// CHECK-NOT: nvgpu.ldmatrix
func.func @matrix_load(%out: memref<32xvector<4x2xf16>>) {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c8 = arith.constant 8 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%u = %c32, %v = %c1, %w = %c1)
             workgroup(%tile : memref<16x16xf16, #gpu.address_space<workgroup>>) {
    %row = arith.remui %tx, %c16 : index
    %half = arith.divui %tx, %c16 : index
    %column = arith.muli %half, %c8 : index
    %m = nvgpu.ldmatrix %tile[%row, %column] {numTiles = 4 : i32, transpose = false}
        : memref<16x16xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
    memref.store %m, %out[%tx] : memref<32xvector<4x2xf16>>
    gpu.terminator
  }
  return
}

// -----

// An asynchronous 16-byte copy (8 f16) into shared memory becomes 8
// element loads and stores in place; its group and wait vanish, and the
// kernel's own barrier orders the tile for the other threads.
// CHECK-LABEL: func.func @async_copy
// CHECK: %[[T:.+]] = memref.alloc() : memref<4x8xf16>
// CHECK: omp.parallel
// CHECK-COUNT-8: memref.load %{{.+}} : memref<4x8xf16>
// CHECK-NOT: nvgpu.device_async
// CHECK: omp.barrier
func.func @async_copy(%src: memref<4x8xf16>, %out: memref<4xf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%u = %c4, %v = %c1, %w = %c1)
             workgroup(%tile : memref<4x8xf16, #gpu.address_space<workgroup>>) {
    %copy = nvgpu.device_async_copy %src[%tx, %c0], %tile[%tx, %c0], 8 {bypassL1}
        : memref<4x8xf16> to memref<4x8xf16, #gpu.address_space<workgroup>>
    %group = nvgpu.device_async_create_group %copy
    nvgpu.device_async_wait %group
    gpu.barrier
    %other = arith.subi %c4, %c1 : index
    %row = arith.subi %other, %tx : index
    %x = memref.load %tile[%row, %c0] : memref<4x8xf16, #gpu.address_space<workgroup>>
    memref.store %x, %out[%tx] : memref<4xf16>
    gpu.terminator
  }
  return
}

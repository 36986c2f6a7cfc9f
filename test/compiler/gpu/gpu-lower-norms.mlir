// Rows read again for each pass (held-row=0), then held in registers
// (the default: rows of up to 1024 elements):
// RUN: attnc-opt %s -split-input-file -gpu-lower-norms="held-row=0" -cse | FileCheck %s
// RUN: attnc-opt %s -split-input-file -gpu-lower-norms="warps-per-block=2" -cse | FileCheck %s --check-prefix=WARPS
// RUN: attnc-opt %s -split-input-file -gpu-lower-norms -cse | FileCheck %s --check-prefix=HELD

// LayerNorm over the last dim of [2, 5, 100]: 10 rows, a warp each, 4 per
// block of 128 threads (3 blocks; the last two warps of the last block
// compute on row 9 and store nothing). Each lane sums every 32nd element
// of its row from its lane number on; five xor shuffles (16 to 1) give
// every lane the row's sum; the mean; a second pass sums the squared
// deviations from it; 1 / sqrt(var + epsilon); the guarded third pass
// writes (x - mean) * that * scale + bias.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.+]]: tensor<2x5x100xf32>, %[[G:.+]]: tensor<100xf32>, %[[B:.+]]: tensor<100xf32>)
// CHECK: %[[OUT:.+]] = memref.alloc() : memref<2x5x100xf32>
// CHECK: %[[XB:.+]] = bufferization.to_buffer %[[X]] read_only
// CHECK: %[[GB:.+]] = bufferization.to_buffer %[[G]] read_only
// CHECK: %[[BB:.+]] = bufferization.to_buffer %[[B]] read_only
// CHECK: gpu.launch blocks(%[[BX:[a-z0-9]+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c3, %{{.+}} = %c1, %{{.+}} = %c1) threads(%[[TX:[a-z0-9]+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c128, %{{.+}} = %c1, %{{.+}} = %c1)
// CHECK: %[[LANE:.+]] = arith.remui %[[TX]], %c32
// CHECK: %[[FIRST:.+]] = arith.muli %[[BX]], %c4
// CHECK: %[[WARP:.+]] = arith.divui %[[TX]], %c32
// CHECK: %[[ROW:.+]] = arith.addi %[[FIRST]], %[[WARP]]
// CHECK: %[[SAFE:.+]] = arith.minsi %[[ROW]], %c9
// CHECK: %[[SUM:.+]] = scf.for %[[C:.+]] = %[[LANE]] to %c100 step %c32 iter_args
// CHECK: memref.load %[[XB]][%{{.+}}, %{{.+}}, %[[C]]]
// CHECK: gpu.shuffle  xor %[[SUM]], %c16_i32, %c32_i32 : f32
// CHECK-COUNT-4: gpu.shuffle  xor
// CHECK: %[[MEAN:.+]] = arith.mulf %{{.+}}, %[[INV:cst[_0-9]*]] : f32
// CHECK: scf.for
// CHECK: arith.subf %{{.+}}, %[[MEAN]]
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: math.sqrt
// CHECK: %[[RSTD:.+]] = arith.divf
// CHECK: %[[ACTIVE:.+]] = arith.cmpi slt, %[[ROW]], %c10
// CHECK: scf.if %[[ACTIVE]]
// CHECK: scf.for %[[C2:.+]] = %[[LANE]] to %c100 step %c32
// CHECK: arith.subf %{{.+}}, %[[MEAN]]
// CHECK: memref.load %[[GB]][%[[C2]]]
// CHECK: arith.mulf %{{.+}}, %[[RSTD]]
// CHECK: memref.load %[[BB]][%[[C2]]]
// CHECK: memref.store %{{.+}}, %[[OUT]][%{{.+}}, %{{.+}}, %[[C2]]]
// CHECK: gpu.terminator
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: attn.layer_norm
// Held (the default): each lane loads its 4 columns once (lane + 0, 32,
// 64 and 96; the last clamped to 99, masked out of the sums past the
// row), the statistics from those registers, the row written from them
// (the last column guarded).
// HELD-LABEL: func.func @layer_norm
// HELD: %[[XB:.+]] = bufferization.to_buffer %{{.+}} read_only
// HELD: gpu.launch
// HELD: %[[LANE:.+]] = arith.remui
// HELD: memref.load %[[XB]]
// HELD: memref.load %[[XB]]
// HELD: memref.load %[[XB]]
// HELD: %[[LAST:.+]] = arith.addi %[[LANE]], %c96
// HELD: arith.minsi %[[LAST]], %c99
// HELD: memref.load %[[XB]]
// HELD-NOT: memref.load %[[XB]]
// HELD: %[[INSIDE:.+]] = arith.cmpi slt, %[[LAST]], %c100
// HELD: arith.select %[[INSIDE]]
// HELD-COUNT-5: gpu.shuffle  xor
// HELD: math.sqrt
// HELD: scf.if
// HELD-COUNT-3: memref.store
// HELD: scf.if %[[INSIDE]]
// HELD-NEXT: memref.load
// HELD: memref.store
// HELD-NOT: memref.load %[[XB]]
// HELD: gpu.terminator
// Two warps per block: 5 blocks of 64 threads.
// WARPS-LABEL: func.func @layer_norm
// WARPS: gpu.launch blocks({{.+}}) in (%{{.+}} = %c5, %{{.+}} = %c1, %{{.+}} = %c1) threads({{.+}}) in (%{{.+}} = %c64,
func.func @layer_norm(%x: tensor<2x5x100xf32>, %g: tensor<100xf32>, %b: tensor<100xf32>) -> tensor<2x5x100xf32> {
  %y = attn.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x5x100xf32>, tensor<100xf32>, tensor<100xf32>) -> tensor<2x5x100xf32>
  return %y : tensor<2x5x100xf32>
}

// -----

// RMSNorm: one pass of squares (no mean), then x * 1 / sqrt(ms + eps) *
// scale; no bias.
// CHECK-LABEL: func.func @rms_norm
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: %[[SQ:.+]] = arith.mulf %[[V:.+]], %[[V]] : f32
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK-NOT: gpu.shuffle
// CHECK: math.sqrt
// CHECK: scf.if
// CHECK-NOT: arith.subf
// CHECK: memref.store
// CHECK: gpu.terminator
func.func @rms_norm(%x: tensor<3x64xf32>, %g: tensor<64xf32>) -> tensor<3x64xf32> {
  %y = attn.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-06 : f32}
      : (tensor<3x64xf32>, tensor<64xf32>) -> tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}

// -----

// Normalized over two dims (axis 1 of [2, 3, 40]): a row of 120, its
// column index split into (column / 40, column % 40) for the input and
// the [3, 40] scale alike; the rows are the batch.
// CHECK-LABEL: func.func @two_dims
// CHECK: gpu.launch blocks({{.+}}) in (%{{.+}} = %c1,
// CHECK: scf.for %[[C:.+]] = %{{.+}} to %c120 step %c32
// CHECK: %[[COL:.+]] = arith.remui %[[C]], %c40
// CHECK: %[[DIM:.+]] = arith.divui %[[C]], %c40
// CHECK: memref.load %{{.+}}[%{{.+}}, %[[DIM]], %[[COL]]] : memref<2x3x40xf32
func.func @two_dims(%x: tensor<2x3x40xf32>, %g: tensor<3x40xf32>) -> tensor<2x3x40xf32> {
  %y = attn.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x3x40xf32>, tensor<3x40xf32>) -> tensor<2x3x40xf32>
  return %y : tensor<2x3x40xf32>
}

// -----

// Left for attn-to-linalg: a scale broadcast over part of the row, and a
// run-time normalized row.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: gpu.launch
// CHECK: attn.layer_norm
// CHECK: attn.rms_norm
func.func @left_alone(%x: tensor<2x3x40xf32>, %g: tensor<40xf32>, %d: tensor<4x?xf32>, %h: tensor<?xf32>)
    -> (tensor<2x3x40xf32>, tensor<4x?xf32>) {
  %y = attn.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32}
      : (tensor<2x3x40xf32>, tensor<40xf32>) -> tensor<2x3x40xf32>
  %z = attn.rms_norm %d, %h {axis = 1 : i64, epsilon = 1.0e-06 : f32}
      : (tensor<4x?xf32>, tensor<?xf32>) -> tensor<4x?xf32>
  return %y, %z : tensor<2x3x40xf32>, tensor<4x?xf32>
}

// -----

// Run-time rows (`--max-shape`: a prompt's length) over a static row: the
// row count read before the launch (1 x seq), the grid ceil(rows / 4)
// blocks, the result allocated for the run's rows, the last row clamped
// and rows past it idle.
// CHECK-LABEL: func.func @run_time_rows
// CHECK: %[[SEQ:.+]] = tensor.dim %{{.+}}, %c1 : tensor<1x?x64xf32>
// CHECK: %[[OUT:.+]] = memref.alloc(%[[SEQ]]) : memref<1x?x64xf32>
// CHECK: %[[BLOCKS:.+]] = arith.ceildivui %[[SEQ]], %c4
// CHECK: gpu.launch blocks({{.+}}) in (%{{.+}} = %[[BLOCKS]], %{{.+}} = %c1, %{{.+}} = %c1)
// CHECK: %[[LAST:.+]] = arith.subi %[[SEQ]], %c1
// CHECK: arith.minsi %{{.+}}, %[[LAST]]
// CHECK: arith.cmpi slt, %{{.+}}, %[[SEQ]]
func.func @run_time_rows(%x: tensor<1x?x64xf32>, %g: tensor<64xf32>) -> tensor<1x?x64xf32> {
  %y = attn.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-06 : f32}
      : (tensor<1x?x64xf32>, tensor<64xf32>) -> tensor<1x?x64xf32>
  return %y : tensor<1x?x64xf32>
}

// -----

// Softmax over the last axis: a max pass (xor shuffles combining by
// maximum), a pass summing exp(x - max), then exp(x - max) / sum written.
// A softmax over another axis stays.
// CHECK-LABEL: func.func @softmax
// CHECK: gpu.launch
// CHECK: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[LMAX:.+]] = scf.for {{.+}} iter_args(%{{.+}} = %[[NEGINF]])
// CHECK: arith.maximumf
// CHECK: gpu.shuffle  xor %[[LMAX]], %c16_i32
// CHECK-COUNT-4: gpu.shuffle  xor
// CHECK: %[[TOP:.+]] = arith.maximumf
// CHECK: scf.for
// CHECK: arith.subf %{{.+}}, %[[TOP]]
// CHECK: math.exp
// CHECK-COUNT-5: gpu.shuffle  xor
// CHECK: %[[INV:.+]] = arith.divf
// CHECK: scf.if
// CHECK: math.exp
// CHECK: arith.mulf %{{.+}}, %[[INV]]
// CHECK: memref.store
// CHECK: attn.softmax %{{.+}} {axis = 1 : i64}
// Held: each lane's 2 values loaded once and their exponentials taken
// once, then scaled by 1 / sum as they are written.
// HELD-LABEL: func.func @softmax
// HELD: gpu.launch
// HELD-COUNT-2: memref.load
// HELD: arith.maximumf
// HELD-COUNT-5: gpu.shuffle  xor
// HELD-COUNT-2: math.exp
// HELD-NOT: math.exp
// HELD: gpu.terminator
func.func @softmax(%x: tensor<2x4x50xf32>) -> (tensor<2x4x50xf32>, tensor<2x4x50xf32>) {
  %y = attn.softmax %x {axis = 2 : i64} : tensor<2x4x50xf32>
  %z = attn.softmax %x {axis = 1 : i64} : tensor<2x4x50xf32>
  return %y, %z : tensor<2x4x50xf32>, tensor<2x4x50xf32>
}

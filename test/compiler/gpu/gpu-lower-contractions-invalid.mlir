// Tiles the kernel cannot take: a tile side that is not a multiple of the
// 4 x 4 micro-tile, or more than 1024 threads per block.
// RUN: not attnc-opt %s -gpu-lower-contractions="tile-m=6" 2>&1 | FileCheck %s
// RUN: not attnc-opt %s -gpu-lower-contractions="tile-m=256 tile-n=128" 2>&1 | FileCheck %s
// CHECK: gpu-lower-contractions: tile-m and tile-n must be positive multiples of 4 with (tile-m / 4) x (tile-n / 4) <= 1024 threads
func.func @any(%x: memref<4xf32>) {
  return
}

// RUN: attnc-opt %s -cpu-approximate-math -split-input-file | FileCheck %s

// f32 exp, tanh and erf become polynomials (no math op left to call libm);
// other math ops stay.
// CHECK-LABEL: func.func @transcendentals
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: math.sin
func.func @transcendentals(%x: f32, %v: vector<16xf32>) -> (f32, vector<16xf32>, f32, f32) {
  %e = math.exp %x : f32
  %t = math.tanh %v : vector<16xf32>
  %g = math.erf %x : f32
  %s = math.sin %x : f32
  return %e, %t, %g, %s : f32, vector<16xf32>, f32, f32
}

// -----

// pow by a small constant exponent becomes multiplications.
// CHECK-LABEL: func.func @square_and_cube
// CHECK-NOT: math.powf
// CHECK: arith.mulf
func.func @square_and_cube(%x: f32) -> (f32, f32) {
  %two = arith.constant 2.0 : f32
  %three = arith.constant 3.0 : f32
  %sq = math.powf %x, %two : f32
  %cu = math.powf %x, %three : f32
  return %sq, %cu : f32, f32
}

//===- MmaSyncLayout.h - Which lane holds which element of an mma -*- C++ -*-===//
//
// `mma.sync.m16n8k16` (fp16/bf16 operands, f32 accumulators) multiplies a
// 16 x 16 A by a 16 x 8 B into a 16 x 8 C across a warp: each lane holds
// a fragment of each, A as 4 registers of 2 halves (vector<4x2xf16> in
// nvgpu), B as 2 x 2, C as 2 x 2 floats. With g = lane / 4 and t = lane %
// 4, element [reg][e] of a lane's fragment sits at (PTX ISA, "Matrix
// fragments for mma.m16n8k16 with floating point type"):
//   A: row g + 8 * (reg % 2), column 2t + e + 8 * (reg / 2)
//   B: row (k) 2t + e + 8 * reg, column (n) g
//   C: row g + 8 * reg, column 2t + e
// The tensor-core matmul kernel loads and stores fragments by this, and
// gpu-emulate-launches computes the product from it on CPU threads. A
// unit test checks it against upstream nvgpu's own mapping.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_GPU_MMASYNCLAYOUT_H
#define ATTNC_COMPILER_GPU_MMASYNCLAYOUT_H

#include <cstdint>
#include <utility>

namespace attnc::gpu::mma {

constexpr int64_t kM = 16, kN = 8, kK = 16;
constexpr int64_t kWarpSize = 32;
/// Registers per fragment and elements per register: A, then B and C.
constexpr int64_t kARegisters = 4, kBRegisters = 2, kCRegisters = 2, kPerRegister = 2;

/// (row - g, column - 2t) of A's element [reg][e].
constexpr std::pair<int64_t, int64_t> aOffset(int64_t reg, int64_t e) {
  return {8 * (reg % 2), e + 8 * (reg / 2)};
}
/// (k - 2t, n - g) of B's element [reg][e].
constexpr std::pair<int64_t, int64_t> bOffset(int64_t reg, int64_t e) { return {e + 8 * reg, 0}; }
/// (row - g, column - 2t) of C's element [reg][e].
constexpr std::pair<int64_t, int64_t> cOffset(int64_t reg, int64_t e) { return {8 * reg, e}; }

/// Where A's element [reg][e] lies in the C fragments of a product whose
/// result feeds a second product in registers (attention's P = exp(S)
/// into P·V): for k step s, in C fragment 2s + first (n columns 8 * first
/// on), element second of its flattened [reg][e]. The same lane holds
/// both, so no exchange is needed.
constexpr std::pair<int64_t, int64_t> aFromC(int64_t reg, int64_t e) {
  return {reg / 2, (reg % 2) * kPerRegister + e};
}

/// aFromC agrees with the A and C layouts above, element by element.
constexpr bool aFromCMatchesLayouts() {
  for (int64_t reg = 0; reg < kARegisters; ++reg)
    for (int64_t e = 0; e < kPerRegister; ++e) {
      auto [fragment, flat] = aFromC(reg, e);
      auto [row, column] = cOffset(flat / kPerRegister, flat % kPerRegister);
      if (aOffset(reg, e) != std::pair<int64_t, int64_t>{row, column + kN * fragment})
        return false;
    }
  return true;
}
static_assert(aFromCMatchesLayouts(), "P's A fragment is read from the score fragments");

} // namespace attnc::gpu::mma

#endif // ATTNC_COMPILER_GPU_MMASYNCLAYOUT_H

//===- MmaSyncLayoutTest.cpp - Our mma.sync fragment layout vs upstream's --===//
//
// The tensor-core kernel loads fragments by MmaSyncLayout.h and the
// emulator computes products by it, so a mistake there would pass every
// emulated test and fail only on a GPU. Upstream nvgpu's own map (lane,
// value) -> (row, column), the one its vector-to-GPU conversion loads by,
// must agree with it for every lane and value of A, B and C.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/MmaSyncLayout.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/NVGPU/Utils/MMAUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

#include <gtest/gtest.h>

using namespace mlir;
namespace mma = attnc::gpu::mma;

namespace {

class MmaSyncLayoutTest : public ::testing::Test {
protected:
  MmaSyncLayoutTest() : builder(&context) {
    context.loadDialect<nvgpu::NVGPUDialect, affine::AffineDialect, arith::ArithDialect,
                        vector::VectorDialect>();
  }

  /// Upstream's (row, column) of value `value` of `lane`'s fragment of a
  /// warp-level `shape` matrix of `element` in `role`.
  std::pair<int64_t, int64_t> upstream(ArrayRef<int64_t> shape, Type element,
                                       nvgpu::MatMulOperandRole role, int64_t lane,
                                       int64_t value) {
    nvgpu::WarpMatrixInfo info{VectorType::get(shape, element), role};
    FailureOr<AffineMap> map =
        nvgpu::getLaneIdAndValueIdToOperandCoord(builder, builder.getUnknownLoc(), info);
    if (failed(map)) {
      ADD_FAILURE() << "upstream has no map for this fragment";
      return {-1, -1};
    }
    SmallVector<int64_t> coordinate = map->compose(ArrayRef<int64_t>{lane, value});
    return {coordinate[0], coordinate[1]};
  }

  MLIRContext context;
  OpBuilder builder;
};

// Upstream maps fp16 fragments only; PTX gives bf16 the same layout.
TEST_F(MmaSyncLayoutTest, AFragmentMatchesUpstream) {
  for (int64_t lane = 0; lane < mma::kWarpSize; ++lane)
    for (int64_t reg = 0; reg < mma::kARegisters; ++reg)
      for (int64_t e = 0; e < mma::kPerRegister; ++e) {
        auto [rowPlus, columnPlus] = mma::aOffset(reg, e);
        std::pair<int64_t, int64_t> ours{lane / 4 + rowPlus, 2 * (lane % 4) + columnPlus};
        EXPECT_EQ(ours, upstream({mma::kM, mma::kK}, builder.getF16Type(),
                                 nvgpu::MatMulOperandRole::A, lane, reg * mma::kPerRegister + e))
            << "lane " << lane << " value [" << reg << "][" << e << "]";
      }
}

TEST_F(MmaSyncLayoutTest, BFragmentMatchesUpstream) {
  // Upstream describes B as its transpose, n x k (the "col" layout).
  for (int64_t lane = 0; lane < mma::kWarpSize; ++lane)
    for (int64_t reg = 0; reg < mma::kBRegisters; ++reg)
      for (int64_t e = 0; e < mma::kPerRegister; ++e) {
        auto [kPlus, columnPlus] = mma::bOffset(reg, e);
        std::pair<int64_t, int64_t> ours{lane / 4 + columnPlus, 2 * (lane % 4) + kPlus};
        EXPECT_EQ(ours, upstream({mma::kN, mma::kK}, builder.getF16Type(),
                                 nvgpu::MatMulOperandRole::B, lane, reg * mma::kPerRegister + e))
            << "lane " << lane << " value [" << reg << "][" << e << "]";
      }
}

TEST_F(MmaSyncLayoutTest, CFragmentMatchesUpstream) {
  for (int64_t lane = 0; lane < mma::kWarpSize; ++lane)
    for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
      for (int64_t e = 0; e < mma::kPerRegister; ++e) {
        auto [rowPlus, columnPlus] = mma::cOffset(reg, e);
        std::pair<int64_t, int64_t> ours{lane / 4 + rowPlus, 2 * (lane % 4) + columnPlus};
        EXPECT_EQ(ours, upstream({mma::kM, mma::kN}, builder.getF32Type(),
                                 nvgpu::MatMulOperandRole::C, lane, reg * mma::kPerRegister + e))
            << "lane " << lane << " value [" << reg << "][" << e << "]";
      }
}

} // namespace

//===- WeightsObjectTest.cpp - Where a model's weights can lie ------------===//

#include "compiler/cpu/WeightsObject.h"
#include <gtest/gtest.h>

using namespace attnc;

namespace {

constexpr uint64_t kGiB = uint64_t(1) << 30;

/// A weight of `bytes` bytes whose data is never read (the layout only
/// needs sizes).
DetachedWeight weight(const std::string &name, uint64_t bytes) {
  static const char data = 0;
  return {name, llvm::ArrayRef<char>(&data, bytes), 64, "tensor_" + name};
}

TEST(WeightsObjectTest, LayoutAlignsEachWeight) {
  uint64_t size = 0;
  std::vector<uint64_t> offsets =
      layOutWeights({weight("a", 100), weight("b", 8), weight("c", 1)}, size);
  EXPECT_EQ(offsets, (std::vector<uint64_t>{0, 128, 192}));
  EXPECT_EQ(size, 193u);
}

TEST(WeightsObjectTest, X86WeightsAreLargeDataOfAnySize) {
  llvm::Triple x86("x86_64-unknown-linux-gnu");
  EXPECT_TRUE(weightsAreLargeData(x86));
  uint64_t end = 0;
  std::vector<DetachedWeight> weights = {weight("a", 3 * kGiB), weight("b", 3 * kGiB)};
  EXPECT_EQ(firstWeightOutOfReach(weights, x86, end), nullptr);
}

TEST(WeightsObjectTest, RiscvNamesTheFirstWeightPastTwoGiB) {
  llvm::Triple riscv("riscv64-unknown-linux-gnu");
  EXPECT_FALSE(weightsAreLargeData(riscv));
  EXPECT_EQ(weightsReach(riscv), 2 * kGiB);
  std::vector<DetachedWeight> weights = {weight("a", kGiB), weight("b", kGiB / 2),
                                         weight("c", kGiB / 2), weight("d", 8)};
  uint64_t end = 0;
  const DetachedWeight *far = firstWeightOutOfReach(weights, riscv, end);
  ASSERT_NE(far, nullptr);
  EXPECT_EQ(far->name, "c"); // ends at 2 GiB, past 2 GiB less the code's 64 MiB
  EXPECT_EQ(end, 2 * kGiB);
  weights.pop_back(), weights.pop_back();
  EXPECT_EQ(firstWeightOutOfReach(weights, riscv, end), nullptr);
}

TEST(WeightsObjectTest, AArch64ReachesFourGiB) {
  llvm::Triple arm("aarch64-unknown-linux-gnu");
  EXPECT_FALSE(weightsAreLargeData(arm));
  EXPECT_EQ(weightsReach(arm), 4 * kGiB);
  uint64_t end = 0;
  std::vector<DetachedWeight> weights = {weight("a", 3 * kGiB)};
  EXPECT_EQ(firstWeightOutOfReach(weights, arm, end), nullptr);
  weights.push_back(weight("b", kGiB));
  const DetachedWeight *far = firstWeightOutOfReach(weights, arm, end);
  ASSERT_NE(far, nullptr); // a pointer into `weights`
  EXPECT_EQ(far->tensor, "tensor_b");
}

} // namespace

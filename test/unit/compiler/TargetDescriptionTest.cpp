//===- TargetDescriptionTest.cpp - CPU descriptions for the cost model ---===//

#include "compiler/TargetDescription.h"
#include <gtest/gtest.h>

using namespace attnc;

namespace {

TargetDescription describe(const std::string &triple, const std::string &cpu) {
  std::string error;
  std::optional<TargetDescription> target = describeTarget({triple, cpu}, error);
  EXPECT_TRUE(target) << error;
  return target.value_or(TargetDescription());
}

TEST(TargetDescriptionTest, HaswellIsAvx2WithFma) {
  TargetDescription t = describe("x86_64-unknown-linux-gnu", "haswell");
  EXPECT_EQ(t.cpu, "haswell");
  EXPECT_EQ(t.simd, "avx2");
  EXPECT_EQ(t.vectorBits, 256);
  EXPECT_TRUE(t.hasFma);
  EXPECT_EQ(t.vectorRegisters, 16);
  EXPECT_EQ(t.fmaUnits, 2);
  EXPECT_EQ(t.l1Bytes, 32 * 1024);
  EXPECT_EQ(t.l2Bytes, 256 * 1024);
  EXPECT_EQ(t.cores, 0);
  EXPECT_EQ(t.source, "--target/--mcpu");
}

TEST(TargetDescriptionTest, SkylakeAvx512HasWideVectorsAndLargerL2) {
  TargetDescription t = describe("x86_64-unknown-linux-gnu", "skylake-avx512");
  EXPECT_EQ(t.simd, "avx512");
  EXPECT_EQ(t.vectorBits, 512);
  EXPECT_TRUE(t.hasFma);
  EXPECT_EQ(t.vectorRegisters, 32);
  EXPECT_EQ(t.l2Bytes, 1024 * 1024);
}

TEST(TargetDescriptionTest, GenericX86IsSseWithoutFma) {
  TargetDescription t = describe("x86_64-unknown-linux-gnu", "");
  EXPECT_EQ(t.cpu, "generic");
  EXPECT_EQ(t.simd, "sse");
  EXPECT_EQ(t.vectorBits, 128);
  EXPECT_FALSE(t.hasFma);
  EXPECT_EQ(t.fmaUnits, 1);
}

TEST(TargetDescriptionTest, AvxWithoutFmaCountsAs128Bits) {
  TargetDescription t = describe("x86_64-unknown-linux-gnu", "sandybridge");
  EXPECT_EQ(t.simd, "avx");
  EXPECT_EQ(t.vectorBits, 128);
  EXPECT_FALSE(t.hasFma);
}

TEST(TargetDescriptionTest, AArch64IsNeon) {
  for (const char *cpu : {"", "neoverse-n1"}) {
    TargetDescription t = describe("aarch64-linux-gnu", cpu);
    EXPECT_EQ(t.simd, "neon") << cpu;
    EXPECT_EQ(t.vectorBits, 128);
    EXPECT_TRUE(t.hasFma);
    EXPECT_EQ(t.vectorRegisters, 32);
    EXPECT_EQ(t.fmaUnits, 2);
    EXPECT_EQ(t.l1Bytes, 64 * 1024);
    EXPECT_EQ(t.l2Bytes, 1024 * 1024);
    EXPECT_EQ(t.cores, 0);
  }
}

TEST(TargetDescriptionTest, UnknownCpuIsAnError) {
  std::string error;
  EXPECT_FALSE(describeTarget({"x86_64-unknown-linux-gnu", "not-a-cpu"}, error));
  EXPECT_NE(error.find("unknown CPU 'not-a-cpu'"), std::string::npos) << error;
}

// The host's numbers vary; only their presence is checked.
TEST(TargetDescriptionTest, HostIsReadFromThisMachine) {
  TargetDescription t = describe("", "");
  EXPECT_EQ(t.source, "host");
  EXPECT_GE(t.cores, 1);
  EXPECT_GT(t.l1Bytes, 0);
  EXPECT_GT(t.l2Bytes, t.l1Bytes);
  EXPECT_FALSE(t.triple.empty());
}

} // namespace

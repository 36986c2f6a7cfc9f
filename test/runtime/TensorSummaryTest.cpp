//===- TensorSummaryTest.cpp - The runner's --print summary -----*- C++ -*-===//

#include "runtime/io/TensorSummary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

using attnc::io::summarizeTensor;

TEST(TensorSummary, LogitsShowValuesStatsAndTopOfTheLastRow) {
  // Two rows of 4 "logits"; the top-k reads the last row only.
  std::vector<float> logits = {9, 8, 7, 6, 0.5f, -1, 2.5f, 1};
  int64_t dims[] = {1, 2, 4};
  EXPECT_EQ(summarizeTensor(logits.data(), ATTNC_DTYPE_F32, dims, 3, 3, 2),
            "  values: 9, 8, 7, ... (first 3 of 8)\n"
            "  min -1, max 9, mean 4.125\n"
            "  top 2 of the last row: 2 (2.5), 3 (1)\n");
}

TEST(TensorSummary, IntegersHaveNoTopK) {
  std::vector<int64_t> ids = {50256, -3, 7};
  int64_t dims[] = {3};
  EXPECT_EQ(summarizeTensor(ids.data(), ATTNC_DTYPE_I64, dims, 1),
            "  values: 50256, -3, 7\n"
            "  min -3, max 50256, mean 16753.3\n");
}

TEST(TensorSummary, HalfPrecisionAndNaN) {
  // f16: 1.0, -2.0, NaN, 0.5
  std::vector<uint16_t> half = {0x3c00, 0xc000, 0x7e00, 0x3800};
  int64_t dims[] = {4};
  EXPECT_EQ(summarizeTensor(half.data(), ATTNC_DTYPE_F16, dims, 1, 8, 1),
            "  values: 1, -2, nan, 0.5\n"
            "  min -2, max 1, mean -0.166667, 1 NaN\n"
            "  top 1 of the last row: 0 (1)\n");
}

TEST(TensorSummary, EmptyAndScalar) {
  int64_t empty[] = {2, 0};
  EXPECT_EQ(summarizeTensor(nullptr, ATTNC_DTYPE_F32, empty, 2), "  (empty)\n");
  float x = 3.25f;
  EXPECT_EQ(summarizeTensor(&x, ATTNC_DTYPE_F32, nullptr, 0),
            "  values: 3.25\n  min 3.25, max 3.25, mean 3.25\n");
}

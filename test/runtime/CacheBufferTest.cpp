//===- CacheBufferTest.cpp - A KV cache's positions in its buffer -*- C++ -*-===//

#include "runtime/io/CacheBuffer.h"

#include <gtest/gtest.h>

#include <cstring>

namespace {

using attnc::io::CacheLayout;
using attnc::io::Tensor;

/// A cache [2, length, 1] of f32 whose element (row r, position p) is
/// 100 r + p.
Tensor cacheOf(int64_t length) {
  Tensor tensor;
  tensor.dtype = ATTNC_DTYPE_F32;
  tensor.shape = {2, length, 1};
  std::vector<float> values;
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t p = 0; p < length; ++p)
      values.push_back(float(100 * r + p));
  tensor.bytes.resize(values.size() * sizeof(float));
  std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
  return tensor;
}

std::vector<float> floats(const void *data, size_t count) {
  std::vector<float> out(count);
  std::memcpy(out.data(), data, count * sizeof(float));
  return out;
}

TEST(CacheBuffer, PlainCacheHoldsThePositionsFirst) {
  CacheLayout layout{/*axis=*/1, /*capacity=*/5, /*ring=*/0};
  Tensor past = cacheOf(3);
  ASSERT_EQ(attnc::io::cacheBufferBytes(past.shape, past.dtype, layout), 2u * 5u * 4u);
  std::vector<float> buffer(10, -1.0f);
  attnc::io::copyIntoCache(past, layout, buffer.data());
  EXPECT_EQ(buffer, (std::vector<float>{0, 1, 2, -1, -1, 100, 101, 102, -1, -1}));
}

// A ring of 4: position a at slots a % 4 and 4 + a % 4 of 8; a past of 6
// keeps its last 4 (2..5).
TEST(CacheBuffer, RingHoldsTheLastPositionsTwice) {
  CacheLayout layout{/*axis=*/1, /*capacity=*/64, /*ring=*/4};
  Tensor past = cacheOf(6);
  ASSERT_EQ(attnc::io::cacheBufferBytes(past.shape, past.dtype, layout), 2u * 8u * 4u);
  std::vector<float> buffer(16, -1.0f);
  attnc::io::copyIntoCache(past, layout, buffer.data());
  EXPECT_EQ(buffer, (std::vector<float>{4, 5, 2, 3, 4, 5, 2, 3,
                                        104, 105, 102, 103, 104, 105, 102, 103}));
}

TEST(CacheBuffer, LastPositionsCutsAlongTheAxis) {
  Tensor present = cacheOf(6);
  Tensor cut = attnc::io::lastPositions(present, 1, 4);
  EXPECT_EQ(cut.shape, (std::vector<int64_t>{2, 4, 1}));
  EXPECT_EQ(floats(cut.bytes.data(), 8),
            (std::vector<float>{2, 3, 4, 5, 102, 103, 104, 105}));
  // More than it has: all of it.
  EXPECT_EQ(attnc::io::lastPositions(present, 1, 9).shape, (std::vector<int64_t>{2, 6, 1}));
}

} // namespace

//===- TensorSummary.cpp - A tensor's values in brief -----------*- C++ -*-===//

#include "runtime/io/TensorSummary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <vector>

namespace attnc::io {
namespace {

float fromHalf(uint16_t bits) {
  uint32_t sign = (bits >> 15) & 1, exponent = (bits >> 10) & 0x1f, mantissa = bits & 0x3ff;
  float magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    magnitude = mantissa ? NAN : INFINITY;
  else
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
  return sign ? -magnitude : magnitude;
}

float fromBfloat16(uint16_t bits) {
  uint32_t widened = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &widened, sizeof value);
  return value;
}

/// Element `i` of `data` as a double.
double elementAt(const void *data, attnc_dtype_t dtype, size_t i) {
  auto read = [&](auto tag) {
    decltype(tag) value;
    std::memcpy(&value, static_cast<const char *>(data) + i * sizeof value, sizeof value);
    return value;
  };
  switch (dtype) {
  case ATTNC_DTYPE_F32: return read(float());
  case ATTNC_DTYPE_F64: return read(double());
  case ATTNC_DTYPE_F16: return fromHalf(read(uint16_t()));
  case ATTNC_DTYPE_BF16: return fromBfloat16(read(uint16_t()));
  case ATTNC_DTYPE_I64: return static_cast<double>(read(int64_t()));
  case ATTNC_DTYPE_I32: return read(int32_t());
  case ATTNC_DTYPE_I16: return read(int16_t());
  case ATTNC_DTYPE_I8: return read(int8_t());
  case ATTNC_DTYPE_U8:
  case ATTNC_DTYPE_I1: return read(uint8_t());
  case ATTNC_DTYPE_U16: return read(uint16_t());
  case ATTNC_DTYPE_U32: return read(uint32_t());
  case ATTNC_DTYPE_U64: return static_cast<double>(read(uint64_t()));
  default: return NAN;
  }
}

bool isFloating(attnc_dtype_t dtype) {
  return dtype == ATTNC_DTYPE_F32 || dtype == ATTNC_DTYPE_F64 || dtype == ATTNC_DTYPE_F16 ||
         dtype == ATTNC_DTYPE_BF16;
}

/// %.6g, or the exact integer for integer dtypes.
std::string format(double value, bool floating) {
  char text[48];
  if (floating)
    std::snprintf(text, sizeof text, "%.6g", value);
  else
    std::snprintf(text, sizeof text, "%.0f", value);
  return text;
}

} // namespace

std::string summarizeTensor(const void *data, attnc_dtype_t dtype, const int64_t *dims,
                            size_t rank, size_t firstCount, size_t topCount) {
  size_t count = 1;
  for (size_t d = 0; d < rank; ++d)
    count *= static_cast<size_t>(dims[d]);
  if (count == 0)
    return "  (empty)\n";
  bool floating = isFloating(dtype);

  std::string text = "  values: ";
  size_t shown = std::min(count, firstCount);
  for (size_t i = 0; i < shown; ++i)
    text += (i ? ", " : "") + format(elementAt(data, dtype, i), floating);
  if (shown < count)
    text += ", ... (first " + std::to_string(shown) + " of " + std::to_string(count) + ")";
  text += "\n";

  double lowest = INFINITY, highest = -INFINITY, sum = 0;
  size_t nans = 0;
  for (size_t i = 0; i < count; ++i) {
    double value = elementAt(data, dtype, i);
    if (std::isnan(value)) {
      ++nans;
      continue;
    }
    lowest = std::min(lowest, value);
    highest = std::max(highest, value);
    sum += value;
  }
  if (nans == count) {
    text += "  all " + std::to_string(count) + " values are NaN\n";
    return text;
  }
  text += "  min " + format(lowest, floating) + ", max " + format(highest, floating) +
          ", mean " + format(sum / static_cast<double>(count - nans), true);
  if (nans)
    text += ", " + std::to_string(nans) + " NaN";
  text += "\n";

  // Logits-shaped: the last row's best entries (the next token's
  // candidates for a language model).
  size_t row = rank ? static_cast<size_t>(dims[rank - 1]) : 1;
  if (floating && row > 1 && topCount > 0) {
    size_t start = count - row;
    std::vector<size_t> order(row);
    std::iota(order.begin(), order.end(), 0);
    size_t k = std::min(topCount, row);
    auto value = [&](size_t j) {
      double v = elementAt(data, dtype, start + j);
      return std::isnan(v) ? -INFINITY : v;
    };
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](size_t a, size_t b) { return value(a) > value(b); });
    text += "  top " + std::to_string(k) + " of the last row: ";
    for (size_t i = 0; i < k; ++i)
      text += (i ? ", " : "") + std::to_string(order[i]) + " (" +
              format(elementAt(data, dtype, start + order[i]), true) + ")";
    text += "\n";
  }
  return text;
}

} // namespace attnc::io

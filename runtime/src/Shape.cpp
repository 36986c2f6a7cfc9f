//===- Shape.cpp - Shape arithmetic and wording -----------------*- C++ -*-===//

#include "runtime/src/Shape.h"

#include "runtime/src/PercentEncoding.h"

#include <limits>

namespace attnc {

bool checkedElementCount(const int64_t *dims, size_t rank, size_t elementSize,
                         size_t &outCount) {
  constexpr size_t kMax = std::numeric_limits<size_t>::max();
  bool anyZero = false;
  for (size_t i = 0; i < rank; ++i) {
    if (dims[i] < 0)
      return false;
    anyZero |= dims[i] == 0;
  }
  // A zero dim makes the tensor empty however large the others are.
  if (anyZero) {
    outCount = 0;
    return true;
  }
  size_t count = 1;
  for (size_t i = 0; i < rank; ++i) {
    auto dim = static_cast<uint64_t>(dims[i]);
    if (dim > kMax / count)
      return false;
    count *= static_cast<size_t>(dim);
  }
  if (elementSize && count > kMax / elementSize)
    return false;
  outCount = count;
  return true;
}

std::string formatShape(const int64_t *dims, size_t rank) {
  std::string text = "[";
  for (size_t i = 0; i < rank; ++i) {
    if (i)
      text += ", ";
    text += std::to_string(dims[i]);
  }
  text += "]";
  return text;
}

std::string formatShapeAndDtype(const int64_t *dims, size_t rank,
                                attnc_dtype_t dtype) {
  return formatShape(dims, rank) + " (" + attnc_dtype_name(dtype) + ")";
}

std::string describeNamedTensor(std::string_view name, attnc_dtype_t dtype,
                                const int64_t *dims, size_t rank) {
  // A declaration: a run-time dim (-1) reads as "?".
  std::string shape = "[";
  for (size_t i = 0; i < rank; ++i)
    shape += (i ? ", " : "") + (dims[i] == -1 ? std::string("?") : std::to_string(dims[i]));
  return "'" + quoteForMessage(name) + "' (" + attnc_dtype_name(dtype) + " " + shape + "])";
}

} // namespace attnc

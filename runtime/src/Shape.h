//===- Shape.h - Shape arithmetic and wording -------------------*- C++ -*-===//
//
// One place for element counts with overflow checks and for the way shapes
// are written in messages ("[1, 8] (i64)"), so the wording never forks
// between the model checks, the tensor files and the runner.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_SRC_SHAPE_H
#define ATTNC_RUNTIME_SRC_SHAPE_H

#include "attnc/tensor.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace attnc {

/// Writes the product of `dims` (1 for rank 0) to `outCount`. False when a
/// dim is negative or the product, or the product times `elementSize`,
/// overflows size_t.
bool checkedElementCount(const int64_t *dims, size_t rank, size_t elementSize,
                         size_t &outCount);

/// "[1, 8]"; "[]" for a scalar.
std::string formatShape(const int64_t *dims, size_t rank);

/// "[1, 8] (i64)".
std::string formatShapeAndDtype(const int64_t *dims, size_t rank,
                                attnc_dtype_t dtype);

/// "'a' (f32 [2, 3])": a named tensor as lists of expected inputs show it;
/// a run-time dim of the declaration (-1) as "?": "'x' (f32 [?, 64])".
std::string describeNamedTensor(std::string_view name, attnc_dtype_t dtype,
                                const int64_t *dims, size_t rank);

} // namespace attnc

#endif // ATTNC_RUNTIME_SRC_SHAPE_H

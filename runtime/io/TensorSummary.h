//===- TensorSummary.h - A tensor's values in brief --------------*- C++ -*-===//
//
// What the runner's --print shows of each output, so a user sees a result
// without writing a script: the first few values, min / max / mean, and for
// a logits-shaped tensor (floating point, last dim > 1) the top-k entries
// of its last row.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_IO_TENSORSUMMARY_H
#define ATTNC_RUNTIME_IO_TENSORSUMMARY_H

#include "attnc/tensor.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace attnc::io {

/// Up to three lines, each starting with two spaces, e.g.
///   "  values: 0.1, -2, 3.5, ... (first 8 of 768)"
///   "  min -3.21, max 4.56, mean 0.0123"
///   "  top 5 of the last row: 17 (4.56), 3 (4.1), ..."
/// `data` holds `dims`' elements of `dtype`, row-major; "  (empty)" when
/// there are none.
std::string summarizeTensor(const void *data, attnc_dtype_t dtype, const int64_t *dims,
                            size_t rank, size_t firstCount = 8, size_t topCount = 5);

} // namespace attnc::io

#endif // ATTNC_RUNTIME_IO_TENSORSUMMARY_H

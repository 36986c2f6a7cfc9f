//===- CacheBuffer.h - A KV cache's positions in its whole buffer -*- C++ -*-===//
//
// A model compiled with `attnc compile --kv-capacity` takes each KV cache as
// one buffer with room for its capacity along the cache dim (row-major in
// that larger shape), of which the first positions are the cached ones.
// The runner and `attnc check` move an exported past into such a buffer and
// read the present (the cache after a run) back out.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_IO_CACHEBUFFER_H
#define ATTNC_RUNTIME_IO_CACHEBUFFER_H

#include "runtime/io/TensorFile.h"

#include <cstddef>
#include <cstdint>

namespace attnc::io {

/// The bytes of a cache buffer for `shape` with `capacity` positions along
/// `axis`.
size_t cacheBufferBytes(const std::vector<int64_t> &shape, attnc_dtype_t dtype, size_t axis,
                        int64_t capacity);

/// Copies `tensor` (its positions along `axis`, at most `capacity`) to the
/// start of `buffer`, a cache buffer of cacheBufferBytes() for its shape.
void copyIntoCache(const Tensor &tensor, size_t axis, int64_t capacity, void *buffer);

/// The first `length` positions of `buffer`, a cache buffer of `dtype`
/// whose dims are `shape`'s but along `axis`, as a tensor of `shape` with
/// `length` there.
Tensor copyOutOfCache(const void *buffer, attnc_dtype_t dtype, std::vector<int64_t> shape,
                      size_t axis, int64_t capacity, int64_t length);

} // namespace attnc::io

#endif // ATTNC_RUNTIME_IO_CACHEBUFFER_H

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

#include "attnc/model.h"
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

/// Input `index` of `model`, a KV cache kept in place, after a run on
/// `inputs` (which pass it as its whole buffer): the positions it then
/// holds, as the exported present it stands for (named so), in `out`;
/// with `withBytes` false only its name, dtype and shape (a caller that
/// just reports the shape need not copy a cache of many megabytes).
/// Returns the runtime's status (null when it succeeded).
attnc_status_t *readPresent(const attnc_model_t *model, const attnc_tensor_t *inputs,
                            size_t count, size_t index, Tensor &out, bool withBytes = true);

} // namespace attnc::io

#endif // ATTNC_RUNTIME_IO_CACHEBUFFER_H

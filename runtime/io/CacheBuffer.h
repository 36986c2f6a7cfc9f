//===- CacheBuffer.h - A KV cache's positions in its whole buffer -*- C++ -*-===//
//
// A model compiled with `attnc compile --kv-capacity` takes each KV cache as
// one buffer along the cache dim (row-major in that larger shape): with room
// for its capacity, the first positions the cached ones; or, for a
// sliding-window model's ring, with room for 2 x its slots, position `a` at
// slots `a % slots` and `slots + a % slots`. The runner and `attnc check`
// move an exported past into such a buffer and read the present (the cache
// after a run) back out.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_IO_CACHEBUFFER_H
#define ATTNC_RUNTIME_IO_CACHEBUFFER_H

#include "attnc/model.h"
#include "runtime/io/TensorFile.h"

#include <cstddef>
#include <cstdint>

namespace attnc::io {

/// Where a cache's positions live in its buffer: attnc_tensor_info_t's
/// cache_axis, cache_capacity and cache_ring.
struct CacheLayout {
  size_t axis = 0;
  /// The most positions a run may leave in the cache.
  int64_t capacity = 0;
  /// A ring's slots (it keeps the last `ring` positions); 0 for no ring.
  int64_t ring = 0;

  static CacheLayout of(const attnc_tensor_info_t &info);
  /// Positions the buffer has room for.
  int64_t bufferPositions() const { return ring ? 2 * ring : capacity; }
};

/// The bytes of a cache buffer for `shape` (its positions along the axis
/// aside).
size_t cacheBufferBytes(const std::vector<int64_t> &shape, attnc_dtype_t dtype,
                        const CacheLayout &layout);

/// Copies `tensor` (its positions along the axis, at most the capacity; a
/// ring keeps the last of them) into `buffer`, a cache buffer of
/// cacheBufferBytes() for its shape.
void copyIntoCache(const Tensor &tensor, const CacheLayout &layout, void *buffer);

/// Input `index` of `model`, a KV cache kept in place, after a run on
/// `inputs` (which pass it as its whole buffer): the positions it then
/// holds, as the exported present it stands for (named so), in `out`;
/// with `withBytes` false only its name, dtype and shape (a caller that
/// just reports the shape need not copy a cache of many megabytes). A ring
/// that has let positions go holds only the last ones: `firstHeld` is the
/// position of `out`'s first (0 when it holds them all). Returns the
/// runtime's status (null when it succeeded).
attnc_status_t *readPresent(const attnc_model_t *model, const attnc_tensor_t *inputs,
                            size_t count, size_t index, Tensor &out, int64_t &firstHeld,
                            bool withBytes = true);

/// The last `count` positions of `tensor` along `axis` (an exported present
/// cut to what a ring holds).
Tensor lastPositions(const Tensor &tensor, size_t axis, int64_t count);

} // namespace attnc::io

#endif // ATTNC_RUNTIME_IO_CACHEBUFFER_H

//===- CacheBuffer.cpp - A KV cache's positions in its whole buffer ------===//

#include "runtime/io/CacheBuffer.h"

#include <cstring>

namespace attnc::io {
namespace {

/// A cache of `shape` seen as `outer` rows (the dims before the cache
/// axis) of positions of `positionBytes` each (the dims after it).
struct CacheRows {
  size_t outer = 1, positionBytes = 0;

  CacheRows(const std::vector<int64_t> &shape, attnc_dtype_t dtype, size_t axis) {
    positionBytes = attnc_dtype_size(dtype);
    for (size_t d = 0; d < axis; ++d)
      outer *= (size_t)shape[d];
    for (size_t d = axis + 1; d < shape.size(); ++d)
      positionBytes *= (size_t)shape[d];
  }
};

} // namespace

size_t cacheBufferBytes(const std::vector<int64_t> &shape, attnc_dtype_t dtype, size_t axis,
                        int64_t capacity) {
  CacheRows rows(shape, dtype, axis);
  return rows.outer * (size_t)capacity * rows.positionBytes;
}

void copyIntoCache(const Tensor &tensor, size_t axis, int64_t capacity, void *buffer) {
  CacheRows rows(tensor.shape, tensor.dtype, axis);
  size_t held = (size_t)tensor.shape[axis] * rows.positionBytes;
  size_t room = (size_t)capacity * rows.positionBytes;
  auto *to = static_cast<uint8_t *>(buffer);
  for (size_t o = 0; o < rows.outer && held; ++o)
    std::memcpy(to + o * room, tensor.bytes.data() + o * held, held);
}

namespace {

/// The first `length` positions of `buffer`, a cache buffer of `dtype`
/// whose dims are `shape`'s but along `axis`, as a tensor of `shape` with
/// `length` there.
Tensor copyOutOfCache(const void *buffer, attnc_dtype_t dtype, std::vector<int64_t> shape,
                      size_t axis, int64_t capacity, int64_t length) {
  shape[axis] = length;
  CacheRows rows(shape, dtype, axis);
  size_t held = (size_t)length * rows.positionBytes;
  size_t room = (size_t)capacity * rows.positionBytes;
  Tensor tensor;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  tensor.bytes.resize(rows.outer * held);
  const auto *from = static_cast<const uint8_t *>(buffer);
  for (size_t o = 0; o < rows.outer && held; ++o)
    std::memcpy(tensor.bytes.data() + o * held, from + o * room, held);
  return tensor;
}

} // namespace

attnc_status_t *readPresent(const attnc_model_t *model, const attnc_tensor_t *inputs,
                            size_t count, size_t index, Tensor &out, bool withBytes) {
  attnc_tensor_info_t info;
  int64_t length = 0;
  if (attnc_status_t *status = attnc_model_input_info(model, index, &info))
    return status;
  if (attnc_status_t *status = attnc_model_cache_length(model, inputs, count, index, &length))
    return status;
  const attnc_tensor_t &cache = inputs[index];
  std::vector<int64_t> shape(cache.dims, cache.dims + cache.rank);
  if (withBytes) {
    out = copyOutOfCache(cache.data, info.dtype, std::move(shape), (size_t)info.cache_axis,
                         info.cache_capacity, length);
  } else {
    shape[info.cache_axis] = length;
    out = Tensor();
    out.dtype = info.dtype;
    out.shape = std::move(shape);
  }
  out.name = info.cache_present;
  return nullptr;
}

} // namespace attnc::io

//===- CacheBuffer.cpp - A KV cache's positions in its whole buffer ------===//

#include "runtime/io/CacheBuffer.h"

#include <algorithm>
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

/// The buffer slots of position `a`: one, or a ring's two.
template <typename Fn> void forEachSlot(const CacheLayout &layout, int64_t a, Fn &&fn) {
  if (!layout.ring) {
    fn(a);
    return;
  }
  fn(a % layout.ring);
  fn(layout.ring + a % layout.ring);
}

/// The positions [first, first + count) of `buffer` (laid out as `layout`,
/// `shape` but along the axis), as a tensor of `shape` with `count` there.
/// They are one contiguous run of slots: from `first` in a plain cache;
/// in a ring (count <= ring) from `first % ring`, running into the second
/// copies past the ring's end.
Tensor copyOutOfCache(const void *buffer, attnc_dtype_t dtype, std::vector<int64_t> shape,
                      const CacheLayout &layout, int64_t first, int64_t count) {
  shape[layout.axis] = count;
  CacheRows rows(shape, dtype, layout.axis);
  size_t room = (size_t)layout.bufferPositions() * rows.positionBytes;
  size_t start = (size_t)(layout.ring ? first % layout.ring : first) * rows.positionBytes;
  size_t run = (size_t)count * rows.positionBytes;
  Tensor tensor;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  tensor.bytes.resize(rows.outer * run);
  const auto *from = static_cast<const uint8_t *>(buffer);
  for (size_t o = 0; o < rows.outer && run; ++o)
    std::memcpy(tensor.bytes.data() + o * run, from + o * room + start, run);
  return tensor;
}

} // namespace

CacheLayout CacheLayout::of(const attnc_tensor_info_t &info) {
  CacheLayout layout;
  layout.axis = (size_t)info.cache_axis;
  layout.capacity = info.cache_capacity;
  layout.ring = info.cache_ring;
  return layout;
}

size_t cacheBufferBytes(const std::vector<int64_t> &shape, attnc_dtype_t dtype,
                        const CacheLayout &layout) {
  CacheRows rows(shape, dtype, layout.axis);
  return rows.outer * (size_t)layout.bufferPositions() * rows.positionBytes;
}

void copyIntoCache(const Tensor &tensor, const CacheLayout &layout, void *buffer) {
  CacheRows rows(tensor.shape, tensor.dtype, layout.axis);
  int64_t length = tensor.shape[layout.axis];
  int64_t first = layout.ring ? std::max<int64_t>(0, length - layout.ring) : 0;
  size_t room = (size_t)layout.bufferPositions() * rows.positionBytes;
  auto *to = static_cast<uint8_t *>(buffer);
  for (size_t o = 0; o < rows.outer; ++o)
    for (int64_t a = first; a < length; ++a) {
      const uint8_t *row =
          tensor.bytes.data() + (o * (size_t)length + (size_t)a) * rows.positionBytes;
      forEachSlot(layout, a, [&](int64_t slot) {
        std::memcpy(to + o * room + (size_t)slot * rows.positionBytes, row, rows.positionBytes);
      });
    }
}

attnc_status_t *readPresent(const attnc_model_t *model, const attnc_tensor_t *inputs,
                            size_t count, size_t index, Tensor &out, int64_t &firstHeld,
                            bool withBytes) {
  attnc_tensor_info_t info;
  int64_t length = 0;
  if (attnc_status_t *status = attnc_model_input_info(model, index, &info))
    return status;
  if (attnc_status_t *status = attnc_model_cache_length(model, inputs, count, index, &length))
    return status;
  CacheLayout layout = CacheLayout::of(info);
  firstHeld = layout.ring ? std::max<int64_t>(0, length - layout.ring) : 0;
  const attnc_tensor_t &cache = inputs[index];
  std::vector<int64_t> shape(cache.dims, cache.dims + cache.rank);
  if (withBytes) {
    out = copyOutOfCache(cache.data, info.dtype, std::move(shape), layout, firstHeld,
                         length - firstHeld);
  } else {
    shape[layout.axis] = length - firstHeld;
    out = Tensor();
    out.dtype = info.dtype;
    out.shape = std::move(shape);
  }
  out.name = info.cache_present;
  return nullptr;
}

Tensor lastPositions(const Tensor &tensor, size_t axis, int64_t count) {
  int64_t length = tensor.shape[axis];
  count = std::min(count, length);
  Tensor cut = tensor;
  cut.shape[axis] = count;
  CacheRows rows(tensor.shape, tensor.dtype, axis);
  cut.bytes.resize(rows.outer * (size_t)count * rows.positionBytes);
  for (size_t o = 0; o < rows.outer; ++o)
    std::memcpy(cut.bytes.data() + o * (size_t)count * rows.positionBytes,
                tensor.bytes.data() + (o * (size_t)length + (size_t)(length - count)) *
                                          rows.positionBytes,
                (size_t)count * rows.positionBytes);
  return cut;
}

} // namespace attnc::io

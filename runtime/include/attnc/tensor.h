/*===- attnc/tensor.h - Element types and tensor descriptions ------*- C -*-===*
 *
 * Element types (dtypes) of model inputs and outputs, and the plain structs
 * that describe a tensor: attnc_tensor_info_t (what a model declares) and
 * attnc_tensor_t (a caller-owned buffer handed to a run).
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTNC_TENSOR_H
#define ATTNC_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Element type of a tensor. The short names are those of the model
/// manifest; all data is little-endian, row-major and densely packed.
typedef enum attnc_dtype_e {
  ATTNC_DTYPE_INVALID = 0,
  ATTNC_DTYPE_F32 = 1,  /* "f32":  IEEE binary32 */
  ATTNC_DTYPE_F64 = 2,  /* "f64":  IEEE binary64 */
  ATTNC_DTYPE_F16 = 3,  /* "f16":  IEEE binary16 */
  ATTNC_DTYPE_BF16 = 4, /* "bf16": bfloat16; an input accepts u16 bits */
  ATTNC_DTYPE_I64 = 5,  /* "i64" */
  ATTNC_DTYPE_I32 = 6,  /* "i32" */
  ATTNC_DTYPE_I16 = 7,  /* "i16" */
  ATTNC_DTYPE_I8 = 8,   /* "i8" */
  ATTNC_DTYPE_U8 = 9,   /* "u8" */
  ATTNC_DTYPE_I1 = 10,  /* "i1": bool, one byte holding 0 or 1 */
  ATTNC_DTYPE_U16 = 11, /* "u16" */
  ATTNC_DTYPE_U32 = 12, /* "u32" */
  ATTNC_DTYPE_U64 = 13, /* "u64" */
  /* Not a dtype: makes every 32-bit value a valid attnc_dtype_t in C++, so
   * a stray value from C is reported as "invalid" rather than being UB. */
  ATTNC_DTYPE_MAX_ENUM = 0x7fffffff,
} attnc_dtype_t;

/// The manifest name of `dtype` ("f32", "i1", ...); "invalid" for
/// ATTNC_DTYPE_INVALID or any value outside the enum.
const char *attnc_dtype_name(attnc_dtype_t dtype);

/// Bytes per element of `dtype` (1 for i1); 0 for an invalid dtype.
size_t attnc_dtype_size(attnc_dtype_t dtype);

/// The dtype whose manifest name is `name` (exact, case-sensitive match);
/// ATTNC_DTYPE_INVALID for NULL or an unknown name.
attnc_dtype_t attnc_dtype_from_name(const char *name);

/// What a model declares about one of its inputs or outputs.
///
/// Ownership: every pointer is borrowed from the model and stays valid until
/// the model's last reference is released.
typedef struct attnc_tensor_info_t {
  /// Decoded name, NUL-terminated (the manifest's percent-encoding removed).
  const char *name;
  attnc_dtype_t dtype;
  /// Number of dims; 0 for a scalar.
  size_t rank;
  /// `rank` extents, outermost first: non-negative, or -1 for a run-time
  /// dim (a model compiled with `attnc compile --max-shape`), whose value
  /// each run takes from its inputs.
  const int64_t *dims;
  /// Product of `max_dims` (1 for a scalar): the most elements a run has.
  size_t element_count;
  /// element_count * attnc_dtype_size(dtype).
  size_t byte_size;
  /// `rank` extents: `dims` with each run-time dim at its upper bound
  /// (equal to `dims` for a static tensor).
  const int64_t *max_dims;
  /// For an input that is a KV cache kept in place (`attnc compile
  /// --kv-capacity`): the dim that holds its positions; -1 for every
  /// other tensor. Such an input is passed as its whole buffer, with room
  /// for `cache_capacity` positions along that dim (byte_size above is that
  /// buffer's), and `dims` giving how many it holds; a run writes its new
  /// positions after them, in place.
  int64_t cache_axis;
  int64_t cache_capacity;
  /// For a cache of a sliding-window model kept as a ring: it keeps only
  /// the last `cache_ring` positions (all its attention reads), position
  /// `a` at slots `a % cache_ring` and `cache_ring + a % cache_ring` of a
  /// buffer with room for 2 x cache_ring positions (byte_size is that
  /// buffer's), while `dims` and `cache_capacity` count every position of
  /// the sequence. 0 for any other cache, whose buffer has room for
  /// `cache_capacity` positions, the first `dims` of them held.
  int64_t cache_ring;
  /// For such an input, the name of the exported output it stands for (its
  /// "present", which is no output of the compiled model); NULL otherwise.
  const char *cache_present;
} attnc_tensor_info_t;

/// A caller-owned buffer passed to attnc_model_invoke().
///
/// Ownership: the runtime never frees, retains or reallocates anything an
/// attnc_tensor_t points at; the caller keeps `data` and `dims` alive for the
/// duration of the call.
typedef struct attnc_tensor_t {
  /// Contiguous row-major elements. May be NULL only when byte_size is 0.
  void *data;
  attnc_dtype_t dtype;
  size_t rank;
  /// `rank` extents; may be NULL only when rank is 0.
  const int64_t *dims;
  /// Size of the buffer at `data` in bytes; must equal the element count
  /// times attnc_dtype_size(dtype).
  size_t byte_size;
} attnc_tensor_t;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_TENSOR_H */

//===- Dtype.cpp - Element type names and sizes -----------------*- C++ -*-===//

#include "attnc/tensor.h"

#include <cstring>

namespace {
struct DtypeRow {
  attnc_dtype_t dtype;
  const char *name;
  size_t size;
};

constexpr DtypeRow kDtypes[] = {
    {ATTNC_DTYPE_F32, "f32", 4}, {ATTNC_DTYPE_F64, "f64", 8},
    {ATTNC_DTYPE_F16, "f16", 2}, {ATTNC_DTYPE_BF16, "bf16", 2},
    {ATTNC_DTYPE_I64, "i64", 8}, {ATTNC_DTYPE_I32, "i32", 4},
    {ATTNC_DTYPE_I16, "i16", 2}, {ATTNC_DTYPE_I8, "i8", 1},
    {ATTNC_DTYPE_U8, "u8", 1},   {ATTNC_DTYPE_I1, "i1", 1},
    {ATTNC_DTYPE_U16, "u16", 2}, {ATTNC_DTYPE_U32, "u32", 4},
    {ATTNC_DTYPE_U64, "u64", 8},
};

const DtypeRow *findRow(attnc_dtype_t dtype) {
  for (const DtypeRow &row : kDtypes)
    if (row.dtype == dtype)
      return &row;
  return nullptr;
}
} // namespace

extern "C" {

const char *attnc_dtype_name(attnc_dtype_t dtype) {
  const DtypeRow *row = findRow(dtype);
  return row ? row->name : "invalid";
}

size_t attnc_dtype_size(attnc_dtype_t dtype) {
  const DtypeRow *row = findRow(dtype);
  return row ? row->size : 0;
}

attnc_dtype_t attnc_dtype_from_name(const char *name) {
  if (!name)
    return ATTNC_DTYPE_INVALID;
  for (const DtypeRow &row : kDtypes)
    if (std::strcmp(row.name, name) == 0)
      return row.dtype;
  return ATTNC_DTYPE_INVALID;
}

} // extern "C"

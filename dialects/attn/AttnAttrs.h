//===- AttnAttrs.h - attn dialect attributes --------------------*- C++ -*-===//
//
// #attn.window and the enums used by attn ops.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECTS_ATTN_ATTNATTRS_H
#define ATTNC_DIALECTS_ATTN_ATTNATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include <limits>

#include "dialects/attn/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/attn/AttnAttrs.h.inc"

#endif // ATTNC_DIALECTS_ATTN_ATTNATTRS_H

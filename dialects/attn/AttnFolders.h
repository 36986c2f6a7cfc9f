//===- AttnFolders.h - constant folding helpers shared with the frontend -*- C++ -*-===//
//
// The folders of the attn ops evaluate small constants (shape arithmetic,
// masks) at compile time. The ONNX frontend reads constant operands the same
// way, so both agree on what counts as a constant.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECTS_ATTN_ATTNFOLDERS_H
#define ATTNC_DIALECTS_ATTN_ATTNFOLDERS_H

#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::attn {

/// Folders only build results of at most this many elements (splats of any
/// size excepted), so that folding never inflates the IR with data.
constexpr int64_t kMaxFoldedElements = 4096;

/// The elements of a constant's value as a DenseElementsAttr: `value` itself
/// when it is one, or a copy of a `dense_resource` blob holding at most
/// `maxElements` elements. Null for anything else.
DenseElementsAttr asDenseElements(Attribute value,
                                  int64_t maxElements = kMaxFoldedElements);

} // namespace mlir::attn

#endif // ATTNC_DIALECTS_ATTN_ATTNFOLDERS_H

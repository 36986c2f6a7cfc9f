//===- ReleaseBlobs.h - Free the bytes of weights no op refers to -*- C++ -*-===//
//
// A model's weights live in `dense_resource` blobs, which belong to the
// MLIRContext, not to the ops that use them: MLIR keeps a blob, bytes and
// all, until the context is destroyed, even after every op that referred
// to it is gone. Passes that rewrite weights (attn-merge-projections
// concatenates q/k/v and gate/up; attn-tile-matmul packs every weight into
// its kernel's panels) leave the old layout behind, so a compile held each
// weight two or three times over.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_RELEASEBLOBS_H
#define ATTNC_COMPILER_RELEASEBLOBS_H

#include "mlir/IR/BuiltinOps.h"
#include <cstdint>

namespace attnc {

/// Frees the bytes of every builtin `dense_resource` blob that no attribute
/// in `module` refers to (the entry stays, empty), and returns how many
/// bytes that freed. Only for a context that holds `module` alone, and
/// between pipelines: blobs are shared by the whole context.
uint64_t releaseUnreferencedBlobs(mlir::ModuleOp module);

} // namespace attnc

#endif // ATTNC_COMPILER_RELEASEBLOBS_H

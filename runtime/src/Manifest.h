//===- Manifest.h - Parse a compiled model's manifest -----------*- C++ -*-===//
//
// The manifest is the text a compiled model returns from
// attnc_model_manifest(): a version line, then one line per input and output
// (see attnc/model.h for the format).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_SRC_MANIFEST_H
#define ATTNC_RUNTIME_SRC_MANIFEST_H

#include "attnc/tensor.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnc {

/// One input or output line of a manifest.
struct TensorDecl {
  std::string name; ///< Decoded.
  attnc_dtype_t dtype = ATTNC_DTYPE_INVALID;
  std::vector<int64_t> dims;
  size_t elementCount = 0;
  size_t byteSize = 0;
};

struct Manifest {
  std::vector<TensorDecl> inputs;
  std::vector<TensorDecl> outputs;
  /// Scratch bytes the model needs per run (its planned intermediates),
  /// passed after the outputs; 0 when the model needs none.
  size_t workspaceBytes = 0;
};

/// The newest manifest version this runtime reads; it reads every version
/// from 1 (no `workspace` line) up to this one.
inline constexpr int kManifestVersion = 2;

/// Parses `text` into `out`. On failure returns false and sets `error` to a
/// message that names the line, e.g. "line 2: input 'x': unknown dtype 'f8'".
bool parseManifest(std::string_view text, Manifest &out, std::string &error);

} // namespace attnc

#endif // ATTNC_RUNTIME_SRC_MANIFEST_H

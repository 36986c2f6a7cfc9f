//===- Generate.h - `attnc generate`: the token loop from the CLI -*- C++ -*-===//

#ifndef ATTNC_COMPILER_GENERATE_H
#define ATTNC_COMPILER_GENERATE_H

#include "attnc/generation.h"
#include "compiler/Compiler.h"
#include "llvm/Support/raw_ostream.h"
#include <string>
#include <vector>

namespace attnc {

struct GenerateOptions {
  std::vector<int64_t> promptIds;
  size_t maxNewTokens = 16;
  /// Most tokens (prompt plus generated) the compiled model holds; 0: just
  /// enough for this prompt and maxNewTokens.
  int64_t maxLength = 0;
  /// Most prompt tokens one run reads (0: the whole prompt at once). The
  /// session reads a longer prompt in runs of this many; a sliding-window
  /// model's caches then fit a ring of its window plus this many
  /// positions (attn-kv-cache-in-place) instead of holding maxLength.
  int64_t prefillChunk = 0;
  /// Token ids that end the generation once emitted (an end-of-sequence
  /// id); the id itself is printed.
  std::vector<int64_t> stopIds;
  attnc_sampling_t sampling{};
  /// Compile an ONNX model's KV caches in place (attn-kv-cache-in-place,
  /// with room for every position the session holds) instead of as
  /// past/present copies.
  bool kvCacheInPlace = true;
  /// How to compile an ONNX model (its pipeline options; the bounds come
  /// from maxLength).
  PipelineOptions pipeline;
  TilingFlags tilingFlags;
};

/// `attnc generate MODEL`: compiles an ONNX decoder once with run-time
/// lengths (or loads an already compiled library), feeds the prompt, then
/// writes each new token id to `tokens` as it comes (space-separated, one
/// line) and the timings to `report`. Returns the exit code; errors are
/// printed to `errors` (one line naming the cause) before any token.
int generate(const std::string &modelPath, const GenerateOptions &options,
             llvm::raw_ostream &tokens, llvm::raw_ostream &report, llvm::raw_ostream &errors);

} // namespace attnc

#endif // ATTNC_COMPILER_GENERATE_H

//===- SdpaTiling.h - How attn-tile-sdpa tiles one attn.sdpa ----*- C++ -*-===//
//
// The tiling of one attn.sdpa is data, not pass state: the declared pass
// cpu-choose-tilings (compiler/cpu) decides it per op from the target and
// records it as the discardable attribute `attn.tiling`, an
// `#attn.sdpa_tiling<...>`; attn-tile-sdpa reads it back, falling back to
// its pass options for ops without one. Tests and users can write the
// attribute by hand.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_SDPATILING_H
#define ATTNC_PASSES_SDPATILING_H

#include "dialects/attn/AttnOps.h"
#include <optional>
#include <string>

namespace mlir::attn {

struct SdpaTiling {
  /// Queries and keys per block of the FlashAttention-2 loop.
  int64_t qBlock = 64;
  int64_t kvBlock = 64;
  /// Elements per vector register for the register-tiled kernel; 0 selects
  /// the portable kernel (linalg loops, left to LLVM's auto-vectorizer).
  int64_t vectorWidth = 0;
  /// The register tile of both products: `registerRows` query rows by
  /// `registerColumnVectors` vectors of columns (keys in q·kᵀ, value
  /// channels in p·v).
  int64_t registerRows = 4;
  int64_t registerColumnVectors = 2;
  /// Splits of each q-block's kv range run as separate parallel tasks and
  /// merged (flash-decoding); 1 means no split.
  int64_t kvSplits = 1;
  /// 1 when the target has AVX-512F: the vector kernel (vector_width 16)
  /// then computes 2^n of its exponentials with vscalefps (see
  /// buildVectorExp2) instead of building the float's bits.
  int64_t avx512 = 0;
};

/// The name of the per-op attribute: an #attn.sdpa_tiling on attn.sdpa, an
/// #attn.matmul_tiling on attn.linear and attn.matmul.
constexpr llvm::StringLiteral kTilingAttrName = "attn.tiling";

/// An attn.sdpa whose query length is a run-time dim runs one of two size
/// classes per call: `attn.tiling` for many query rows per kv head (a
/// prompt), and this one, also an #attn.sdpa_tiling, for a few (a decode
/// step; typically with kv splits).
constexpr llvm::StringLiteral kDecodeTilingAttrName = "attn.decode_tiling";

/// Records `tiling` on `op` (as `name`).
void setSdpaTiling(SdpaOp op, const SdpaTiling &tiling,
                   llvm::StringRef name = kTilingAttrName);

/// The tiling recorded on `op` (as `name`), or std::nullopt if none. An
/// attribute that is not an #attn.sdpa_tiling is reported on `op` and
/// yields failure.
FailureOr<std::optional<SdpaTiling>> getSdpaTiling(SdpaOp op,
                                                   llvm::StringRef name = kTilingAttrName);

/// Checks `tiling` against `op`'s shapes; returns a message naming the
/// offending field, or the empty string if it is usable.
std::string validateSdpaTiling(SdpaOp op, const SdpaTiling &tiling);

} // namespace mlir::attn

#endif // ATTNC_PASSES_SDPATILING_H

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

/// A run-time dim (a `dim` line): its decoded name and the largest value
/// a run may give it (at least 1; a run may give 0, an empty cache).
struct DimDecl {
  std::string name;
  int64_t bound = 1;
};

/// An output extent made of run-time dims (manifest version 4): `constant`
/// plus each term's dim value times its coefficient, e.g. `$0+1` for a KV
/// cache's past length plus one new row.
struct DimSum {
  int64_t constant = 0;
  /// (index in Manifest::dims, coefficient).
  std::vector<std::pair<int, int64_t>> terms;
};

/// TensorDecl::symbols of a dim whose extent is a DimSum.
inline constexpr int kSumDim = -2;

/// One input or output line of a manifest.
struct TensorDecl {
  std::string name; ///< Decoded.
  attnc_dtype_t dtype = ATTNC_DTYPE_INVALID;
  /// Extents; -1 for a run-time dim.
  std::vector<int64_t> dims;
  /// Per dim: the index of its DimDecl in Manifest::dims, -1 (static), or
  /// kSumDim (an output's sum, in `sums`).
  std::vector<int> symbols;
  /// Per dim when some dim is a sum (empty otherwise): the sums, at the
  /// kSumDim dims.
  std::vector<DimSum> sums;
  /// `dims` with each run-time dim at its bound.
  std::vector<int64_t> maxDims;
  /// Of `maxDims`: the largest buffer a run can need (for a KV cache kept
  /// in place, its whole buffer: `maxDims` with cacheCapacity positions).
  size_t elementCount = 0;
  size_t byteSize = 0;
  /// An input that is a KV cache kept in place (a `cache` line, manifest
  /// version 5): the dim holding its positions (-1: not a cache), the most
  /// a run may leave in it, and how many it holds after a run. A ring
  /// (version 6; cacheRing > 0) keeps the last cacheRing positions, each
  /// at two slots of a buffer of 2 x cacheRing; any other cache's buffer
  /// has room for cacheCapacity.
  int cacheAxis = -1;
  int64_t cacheCapacity = 0;
  int64_t cacheRing = 0;
  DimSum cacheExtent;
  /// The exported output the cache stands for (its present; decoded).
  std::string cachePresent;

  bool hasRunTimeDims() const { return !symbols.empty() && dims != maxDims; }
  /// The positions a KV cache's buffer has room for along cacheAxis.
  int64_t cacheBufferPositions() const { return cacheRing ? 2 * cacheRing : cacheCapacity; }
};

struct Manifest {
  /// Run-time dims, in `$k` order; empty for a fully static model.
  std::vector<DimDecl> dims;
  std::vector<TensorDecl> inputs;
  std::vector<TensorDecl> outputs;
  /// Scratch bytes the model needs per run (its planned intermediates),
  /// passed after the outputs; 0 when the model needs none.
  size_t workspaceBytes = 0;
};

/// The newest manifest version this runtime reads; it reads every version
/// from 1 (no `workspace` line) up to this one.
inline constexpr int kManifestVersion = 6;

/// The value of `sum` for a run whose dims have `values` (-1: not given);
/// -1 when a term's dim is not given.
int64_t evaluateSum(const DimSum &sum, const std::vector<int64_t> &values);

/// "[batch, seq, 64] (f32)": a declaration's shape with each run-time dim
/// by its name, a sum as "past+1".
std::string formatDecl(const TensorDecl &decl, const Manifest &manifest);

/// Parses `text` into `out`. On failure returns false and sets `error` to a
/// message that names the line, e.g. "line 2: input 'x': unknown dtype 'f8'".
bool parseManifest(std::string_view text, Manifest &out, std::string &error);

} // namespace attnc

#endif // ATTNC_RUNTIME_SRC_MANIFEST_H

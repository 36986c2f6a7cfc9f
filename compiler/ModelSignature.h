//===- ModelSignature.h - Names, dtypes and shapes of a model's I/O -----===//
//
// What the compiled object tells the runtime about itself: the manifest
// text of the runtime ABI (runtime/include/attnc/model.h).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_MODELSIGNATURE_H
#define ATTNC_COMPILER_MODELSIGNATURE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include <string>
#include <vector>

namespace attnc {

/// One dim of a tensor: `constant` plus each term's symbol (an index into
/// ModelSignature::dims) times its coefficient. A static dim has no terms;
/// an input's run-time dim is one symbol; an output's may be a sum (a KV
/// cache's `past + 1`).
struct DimExtent {
  int64_t constant = 0;
  std::vector<std::pair<int, int64_t>> terms;

  bool isStatic() const { return terms.empty(); }
  /// The symbol when the extent is exactly one symbol; -1 otherwise.
  int symbol() const {
    return terms.size() == 1 && terms[0].second == 1 && constant == 0 ? terms[0].first : -1;
  }
  /// The largest value with every symbol from 0 to its bound.
  int64_t bound(const struct ModelSignature &signature) const;
  /// The manifest spelling: `7`, `$0`, `$0+1`, `$0+$1`, `2*$0+-3`.
  std::string manifestText() const;
};

struct TensorSignature {
  std::string name;
  std::string dtype; // manifest spelling: f32, i64, i1, ...
  /// Extents; a run-time dim is -1 here and described in `extents`.
  std::vector<int64_t> shape;
  /// Per dim: its extent (a constant for a static dim).
  std::vector<DimExtent> extents;
  /// An input that is a KV cache kept in place (attn-kv-cache-in-place):
  /// the dim holding its positions, the most positions a run may leave in
  /// it, and how many it holds after a run (the cached plus the run's new
  /// ones). cacheAxis is -1 for every other tensor. Its buffer has room
  /// for cacheCapacity positions, or for a ring (cacheRing > 0: it keeps
  /// the last cacheRing positions, each at two slots) 2 x cacheRing.
  int cacheAxis = -1;
  int64_t cacheCapacity = 0;
  int64_t cacheRing = 0;
  DimExtent cacheExtent;
  /// The exported output the cache stands for (its present), which the
  /// manifest no longer lists as an output.
  std::string cachePresent;

  /// The positions a KV cache's buffer has room for.
  int64_t cacheBufferPositions() const { return cacheRing ? 2 * cacheRing : cacheCapacity; }
  bool hasRunTimeDims() const;
  /// The shape at the symbols' bounds (the largest buffer a run can need).
  std::vector<int64_t> boundShape(const struct ModelSignature &signature) const;
};

/// A run-time dim shared by the inputs and outputs that carry it: its name
/// (the model's dim_param) and the largest value a run may give it.
struct DimSymbol {
  std::string name;
  int64_t bound;
};

struct ModelSignature {
  /// Run-time dims (`attnc compile --max-shape`); empty for a static model.
  std::vector<DimSymbol> dims;
  std::vector<TensorSignature> inputs;
  std::vector<TensorSignature> outputs;
  /// Scratch bytes the entry takes after the outputs (attn-plan-memory's
  /// arena); 0 when it takes none.
  int64_t workspaceBytes = 0;
  /// What `attnc inspect` shows of the model (describeModel in
  /// ModelInfo.h), kept in the artifact's `.attnc_info` section; none when
  /// empty.
  std::string description;

  /// The manifest text: "attnc-model 2", the workspace line when there is
  /// a workspace, then one line per input and output; "attnc-model 3" with
  /// a `dim` line per symbol when there are run-time dims, "attnc-model 4"
  /// when an output's extent is a sum of them, "attnc-model 5" with a
  /// `cache` line per input kept in place.
  std::string manifest() const;
};

/// Reads the signature of `func` (tensor arguments and results named by
/// `attnc.name` attributes; unnamed ones become input_K / output_K). A
/// run-time dim of an argument names its symbol in `attnc.dim_symbols`
/// (bounded by the function's `attnc.dim_bounds`); one of a result is traced
/// to the argument dims it is made of (dialects/attn/RunTimeDims.h). A
/// result that is an `attn.kv_append` to an argument is that input's cache
/// (TensorSignature::cacheAxis), not an output. Emits an
/// error on the function and fails for a run-time dim it cannot name or
/// element types the runtime cannot carry.
mlir::FailureOr<ModelSignature> readSignature(mlir::func::FuncOp func);

} // namespace attnc

#endif // ATTNC_COMPILER_MODELSIGNATURE_H

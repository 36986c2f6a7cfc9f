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

struct TensorSignature {
  std::string name;
  std::string dtype; // manifest spelling: f32, i64, i1, ...
  std::vector<int64_t> shape;
};

struct ModelSignature {
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
  /// a workspace, then one line per input and output.
  std::string manifest() const;
};

/// Reads the signature of `func` (static tensor arguments and results named
/// by `attnc.name` attributes; unnamed ones become input_K / output_K).
/// Emits an error on the function and fails for dynamic shapes or element
/// types the runtime cannot carry.
mlir::FailureOr<ModelSignature> readSignature(mlir::func::FuncOp func);

} // namespace attnc

#endif // ATTNC_COMPILER_MODELSIGNATURE_H

//===- Model.h - The attnc_model_t object -----------------------*- C++ -*-===//
//
// Shared by Model.cpp (creation, queries) and Invoke.cpp (checked runs).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_SRC_MODEL_H
#define ATTNC_RUNTIME_SRC_MODEL_H

#include "attnc/model.h"
#include "runtime/src/Manifest.h"

#include <atomic>
#include <string>

struct attnc_model_t {
  attnc_model_t() = default;
  attnc_model_t(const attnc_model_t &) = delete;
  attnc_model_t &operator=(const attnc_model_t &) = delete;
  /// Closes `library` when there is one.
  ~attnc_model_t();

  std::atomic<size_t> references{1};
  /// Where the model came from, for messages: "'/path/model.so'" or
  /// "linked model".
  std::string source;
  /// dlopen handle, or null for a linked model.
  void *library = nullptr;
  attnc_model_run_fn_t run = nullptr;
  attnc::Manifest manifest;
  /// The model's scratch memory (manifest.workspaceBytes, 64-byte aligned),
  /// allocated once at load and handed to every run; null when it needs
  /// none. Runs of one entry point never overlap (see Invoke.cpp), so one
  /// workspace per model is enough.
  void *workspace = nullptr;
};

namespace attnc {
/// "a (f32 [2, 3]), b (f32 [2, 3])": the declarations in order, for messages
/// that tell the user what a model expects. Long lists are cut short.
std::string describeDecls(const std::vector<TensorDecl> &decls);

/// NOT_FOUND: "input index 3 is out of range (model has 2 inputs)".
attnc_status_t *indexOutOfRange(const char *kind, size_t index, size_t count);
} // namespace attnc

#endif // ATTNC_RUNTIME_SRC_MODEL_H

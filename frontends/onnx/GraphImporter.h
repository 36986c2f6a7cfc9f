//===- GraphImporter.h - ONNX GraphProto -> func.func @main -----*- C++ -*-===//
//
// Walks a parsed, opset-checked model: binds input shapes, converts each
// node through the handler registry, checks the outputs, and leaves a
// function over static shapes. Parsing and validation are in Importer.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_ONNX_GRAPHIMPORTER_H
#define ATTNC_FRONTENDS_ONNX_GRAPHIMPORTER_H

#include "frontends/onnx/Importer.h"
#include <map>
#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace mlir::attn::onnx_frontend {

struct ModelInfo {
  /// The model file (or text buffer name), for locations and messages.
  std::string path;
  /// Directory that external data locations are relative to.
  std::string directory;
  /// Opset version per imported domain; "" is the default ONNX domain.
  std::map<std::string, int64_t> opsets;
};

/// Adds `func.func @main` for `model`'s graph to `module`. Emits one error
/// and fails on any problem.
LogicalResult importGraph(ModuleOp module, const onnx::ModelProto &model,
                          const ModelInfo &info, const ImportOptions &options);

} // namespace mlir::attn::onnx_frontend

#endif // ATTNC_FRONTENDS_ONNX_GRAPHIMPORTER_H

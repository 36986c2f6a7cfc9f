//===- Registry.h - ONNX op handlers keyed by (op_type, since_version) -*- C++ -*-===//
//
// One handler per ONNX op version. A model at opset N uses, for each op type,
// the handler with the largest since_version <= N, as ONNX resolves schemas.
// Each category file (Math.cpp, NN.cpp, ...) registers its own handlers.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_ONNX_REGISTRY_H
#define ATTNC_FRONTENDS_ONNX_REGISTRY_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::attn::onnx_frontend {

class OnnxNode;

/// Builds the IR for one node and sets its outputs, or emits an error at the
/// node's location and fails.
using NodeHandler = LogicalResult (*)(OnnxNode &node);

class HandlerRegistry {
public:
  void add(StringRef opType, int64_t sinceVersion, NodeHandler handler);
  /// The handler for `opType` in a model of default-domain opset `opset`, or
  /// null when the op is unknown or only defined in later opsets.
  NodeHandler lookup(StringRef opType, int64_t opset) const;

private:
  llvm::StringMap<SmallVector<std::pair<int64_t, NodeHandler>, 2>> handlers;
};

void registerMathHandlers(HandlerRegistry &registry);
void registerNNHandlers(HandlerRegistry &registry);
void registerAttentionHandlers(HandlerRegistry &registry);
void registerReductionHandlers(HandlerRegistry &registry);
void registerLogicalHandlers(HandlerRegistry &registry);
void registerTensorHandlers(HandlerRegistry &registry);
void registerIndexingHandlers(HandlerRegistry &registry);
void registerGeneratorHandlers(HandlerRegistry &registry);

/// All of the above.
HandlerRegistry buildHandlerRegistry();

} // namespace mlir::attn::onnx_frontend

#endif // ATTNC_FRONTENDS_ONNX_REGISTRY_H

//===- Registry.cpp - ONNX op handlers keyed by (op_type, since_version) --===//

#include "frontends/onnx/Registry.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::attn::onnx_frontend;

void HandlerRegistry::add(StringRef opType, int64_t sinceVersion,
                          NodeHandler handler) {
  auto &versions = handlers[opType];
  assert(llvm::none_of(versions,
                       [&](const auto &v) { return v.first == sinceVersion; }) &&
         "one handler per (op_type, since_version)");
  versions.push_back({sinceVersion, handler});
  llvm::sort(versions, [](const auto &a, const auto &b) { return a.first < b.first; });
}

NodeHandler HandlerRegistry::lookup(StringRef opType, int64_t opset) const {
  auto it = handlers.find(opType);
  if (it == handlers.end())
    return nullptr;
  NodeHandler found = nullptr;
  for (const auto &[since, handler] : it->second)
    if (since <= opset)
      found = handler;
  return found;
}

HandlerRegistry mlir::attn::onnx_frontend::buildHandlerRegistry() {
  HandlerRegistry registry;
  registerMathHandlers(registry);
  registerNNHandlers(registry);
  registerAttentionHandlers(registry);
  registerReductionHandlers(registry);
  registerLogicalHandlers(registry);
  registerTensorHandlers(registry);
  registerIndexingHandlers(registry);
  registerGeneratorHandlers(registry);
  return registry;
}

//===- ReleaseBlobs.cpp - Free the bytes of weights no op refers to -------===//

#include "compiler/ReleaseBlobs.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringSet.h"

namespace attnc {

uint64_t releaseUnreferencedBlobs(mlir::ModuleOp module) {
  llvm::StringSet<> referenced;
  module->walk([&](mlir::Operation *op) {
    // The dictionary holds the inherent attributes too (a global's value).
    op->getAttrDictionary().walk([&](mlir::DenseResourceElementsAttr attr) {
      referenced.insert(attr.getRawHandle().getKey());
    });
  });
  auto &manager =
      mlir::DenseResourceElementsHandle::getManagerInterface(module->getContext());
  std::vector<std::string> unreferenced;
  uint64_t bytes = 0;
  manager.getBlobManager().getBlobMap([&](const auto &blobs) {
    for (const auto &entry : blobs) {
      const mlir::AsmResourceBlob *blob = entry.getValue().getBlob();
      if (!blob || blob->getData().empty() || referenced.contains(entry.getKey()))
        continue;
      unreferenced.push_back(entry.getKey().str());
      bytes += blob->getData().size();
    }
  });
  // Outside getBlobMap, which holds the manager's lock.
  for (const std::string &key : unreferenced)
    manager.update(key, mlir::AsmResourceBlob());
  return bytes;
}

} // namespace attnc

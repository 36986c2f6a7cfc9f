//===- NodeNames.cpp - The model's names that an op's location carries ---===//

#include "compiler/NodeNames.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"

namespace attnc {

void collectNodeNames(mlir::Location loc, std::vector<std::string> &names) {
  if (auto name = llvm::dyn_cast<mlir::NameLoc>(loc)) {
    std::string text = name.getName().str();
    if (llvm::find(names, text) == names.end())
      names.push_back(text);
    return;
  }
  if (auto fused = llvm::dyn_cast<mlir::FusedLoc>(loc))
    for (mlir::Location child : fused.getLocations())
      collectNodeNames(child, names);
}

std::string firstNodeName(mlir::Location loc) {
  std::vector<std::string> names;
  collectNodeNames(loc, names);
  return names.empty() ? "" : names.front();
}

} // namespace attnc

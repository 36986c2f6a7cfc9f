//===- NodeNames.h - The model's names that an op's location carries -*- C++ -*-===//
//
// The ONNX importer gives each op (and each initializer's constant) a
// NameLoc with the node's or tensor's name; fusion fuses the locations of
// the ops it replaces. These read those names back for messages and
// reports.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_NODENAMES_H
#define ATTNC_COMPILER_NODENAMES_H

#include "mlir/IR/Location.h"
#include <string>
#include <vector>

namespace attnc {

/// Appends the names of the NameLocs in `loc` (through fused locations,
/// in order) to `names`, each once.
void collectNodeNames(mlir::Location loc, std::vector<std::string> &names);

/// The first name `loc` carries, or "" when it carries none.
std::string firstNodeName(mlir::Location loc);

} // namespace attnc

#endif // ATTNC_COMPILER_NODENAMES_H

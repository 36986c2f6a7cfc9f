//===- Importer.h - ONNX model -> attn graph IR -----------------*- C++ -*-===//
//
// The ONNX frontend's public entry points. The result is a module holding
// `func.func @main` over statically shaped tensors, one attn op (or a few)
// per ONNX node, shape arithmetic already folded to constants.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_ONNX_IMPORTER_H
#define ATTNC_FRONTENDS_ONNX_IMPORTER_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::attn::onnx_frontend {

struct ImportOptions {
  /// Full static shapes for graph inputs, by name (from --input-shape
  /// NAME=1x128 or a data set).
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Upper bounds for graph inputs whose symbolic dims stay symbolic, by
  /// name (from --max-shape NAME=1x1024). Each symbolic dim becomes a
  /// run-time dim (`?`) with that bound, named by its dim_param; a static
  /// dim must be given its own value.
  llvm::StringMap<llvm::SmallVector<int64_t>> maxShapes;
  /// When above 0, an input named by neither map above keeps its symbolic
  /// dims as run-time dims too, bounded as a decoder's inputs are (`attnc
  /// generate`): its dim 0, the batch, by 1 (so fixed), every other
  /// symbolic dim by this.
  int64_t boundSymbolicDims = 0;
  /// Known values of graph inputs (a data set's tensors, for `attnc check`).
  /// One is folded in only where an op needs that input as a constant (a
  /// Reshape's shape, Unsqueeze's axes); other uses stay run-time inputs.
  llvm::StringMap<DenseElementsAttr> inputValues;
};

/// Reads `path` (a binary ModelProto, or the text form when the file starts
/// with `<`; external data files resolved relative to the model's directory
/// and refused outside it), returns a module holding `func.func @main`. On
/// failure returns nullptr after emitting one diagnostic that names the file,
/// and for node problems the node name, op type, domain and opset.
///
/// ```mlir
/// func.func @main(%arg0: tensor<1x8xi64> {attnc.name = "input_ids"})
///     -> (tensor<1x8x96xf32> {attnc.name = "logits"})
/// ```
///
/// With run-time dims (ImportOptions::maxShapes), each argument with a `?`
/// names its dims' symbols and the function bounds every symbol:
///
/// ```mlir
/// func.func @main(%arg0: tensor<1x?xi64> {attnc.name = "input_ids",
///                                         attnc.dim_symbols = ["", "seq"]})
///     attributes {attnc.dim_bounds = {seq = 1024 : i64}}
/// ```
OwningOpRef<ModuleOp> importOnnxFile(MLIRContext &ctx, llvm::StringRef path,
                                     const ImportOptions &options);

/// Whether file contents are the ONNX text form rather than a binary
/// ModelProto. importOnnxFile reads either.
bool looksLikeOnnxText(llvm::StringRef contents);

/// Same from ONNX textual syntax (onnx/defs/parser.h); `bufferName` stands
/// for the file in locations and messages.
OwningOpRef<ModuleOp> importOnnxText(MLIRContext &ctx, llvm::StringRef text,
                                     llvm::StringRef bufferName,
                                     const ImportOptions &options);

} // namespace mlir::attn::onnx_frontend

#endif // ATTNC_FRONTENDS_ONNX_IMPORTER_H

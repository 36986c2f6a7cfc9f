//===- Compiler.h - ONNX (or attn IR) to a native artifact ------*- C++ -*-===//
//
// The whole compilation behind `attnc compile` and `attnc check`: import,
// graph passes, CPU lowering, LLVM code generation, linking.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_COMPILER_H
#define ATTNC_COMPILER_COMPILER_H

#include "compiler/Pipeline.h"
#include "compiler/Target.h"
#include "compiler/cpu/TilingCostModel.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {

enum class EmitKind { Executable, Library, StaticLibrary, Object, Mlir, Llvm };

struct CompileOptions {
  /// Static shapes for graph inputs (--input-shape NAME=1x128).
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Upper bounds for inputs whose symbolic dims stay run-time dims
  /// (--max-shape NAME=1x1024).
  llvm::StringMap<llvm::SmallVector<int64_t>> maxShapes;
  /// Above 0: every other input's symbolic dims stay run-time dims too, the
  /// batch (dim 0) bounded by 1 and the rest by this (`attnc generate
  /// --max-length`; ImportOptions::boundSymbolicDims).
  int64_t boundSymbolicDims = 0;
  /// Known values of graph inputs. The frontend folds one in only where an
  /// op needs that input as a constant (a Reshape's shape, Unsqueeze's
  /// axes, ...); every other use stays a run-time input. `attnc check`
  /// passes the data set's tensors here.
  llvm::StringMap<mlir::DenseElementsAttr> inputValues;
  TargetOptions target;
  PipelineOptions pipeline;
  /// With pipeline.kvCapacity: a model with no cache to keep in place is
  /// an error (`attnc compile --kv-capacity`), or compiles as it is
  /// (`attnc generate`, which takes models without caches too).
  bool requireKvCache = true;
  EmitKind emit = EmitKind::Executable;
  /// Overrides of the tiling cost model (--attention-kernel, --q-block,
  /// --kv-block); it runs unless pipeline.tileAttention is off.
  TilingFlags tilingFlags;
  /// Where to print the attention tiling chosen for each attn.sdpa (null:
  /// nowhere).
  llvm::raw_ostream *tilingLog = nullptr;
};

/// Registers what compileModel needs on `context`.
void prepareContext(mlir::MLIRContext &context);

/// Loads `inputPath`: an ONNX model (`.onnx`), or attn IR (`.mlir`) with a
/// `func.func @main`. Emits a diagnostic and returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp> loadModel(mlir::MLIRContext &context,
                                            llvm::StringRef inputPath,
                                            const CompileOptions &options);

/// Compiles `inputPath` into `outputPath` as `options.emit` says. On failure
/// emits diagnostics through `context` and leaves no output file behind.
/// `context` must hold no other model: between pipelines the compile frees
/// the bytes of every weight blob its module no longer refers to
/// (ReleaseBlobs.h).
mlir::LogicalResult compileModel(mlir::MLIRContext &context,
                                 llvm::StringRef inputPath,
                                 llvm::StringRef outputPath,
                                 const CompileOptions &options);

/// `attnc inspect` of a model source: imports `inputPath`, runs the graph
/// passes and prints what a compiled artifact of it would carry in its
/// `.attnc_info` section (describeModel in ModelInfo.h). Emits diagnostics
/// and fails when the model cannot be imported (a symbolic dim not bound
/// by `options.inputShapes` is named in the error).
mlir::LogicalResult inspectModel(mlir::MLIRContext &context, llvm::StringRef inputPath,
                                 const CompileOptions &options, llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_COMPILER_COMPILER_H

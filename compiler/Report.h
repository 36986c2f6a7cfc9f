//===- Report.h - `attnc report`: what fusion did to each attention -----===//

#ifndef ATTNC_COMPILER_REPORT_H
#define ATTNC_COMPILER_REPORT_H

#include "compiler/Compiler.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// Imports `modelPath`, finds every attention site (a softmax over the last
/// axis whose input comes from a Q·Kᵀ matmul), runs the graph pipeline and
/// prints per site: the ONNX nodes it covers, fused or not (and why not),
/// the mask found (window and offset, key mask, dense mask), Hq/Hkv, S/T/D.
/// Text ends with `attention sites: N, fused: F, structured masks: M`;
/// `json` prints one JSON object instead. Emits diagnostics and fails when
/// the model cannot be imported.
mlir::LogicalResult reportModel(mlir::MLIRContext &context, llvm::StringRef modelPath,
                                const CompileOptions &options, bool json,
                                llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_COMPILER_REPORT_H

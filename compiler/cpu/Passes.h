//===- Passes.h - The CPU backend's pass declarations ------------*- C++ -*-===//

#ifndef ATTNC_COMPILER_CPU_PASSES_H
#define ATTNC_COMPILER_CPU_PASSES_H

#include "dialects/attn/AttnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace attnc::cpu {

#define GEN_PASS_DECL
#include "compiler/cpu/Passes.h.inc"

/// cpu-choose-tilings with a log: one --print-tiling line per attn.sdpa,
/// written to `log` (none when null).
std::unique_ptr<mlir::Pass>
createCpuChooseTilingsPass(const CpuChooseTilingsPassOptions &options, llvm::raw_ostream *log);

/// registerCpuPasses(): every CPU pass, for tools that parse pipelines.
#define GEN_PASS_REGISTRATION
#include "compiler/cpu/Passes.h.inc"

} // namespace attnc::cpu

#endif // ATTNC_COMPILER_CPU_PASSES_H

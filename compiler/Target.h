//===- Target.h - The machine a model is compiled for -----------*- C++ -*-===//

#ifndef ATTNC_COMPILER_TARGET_H
#define ATTNC_COMPILER_TARGET_H

#include "mlir/Support/LLVM.h"
#include "llvm/Target/TargetMachine.h"
#include <memory>
#include <string>

namespace attnc {

/// What to generate code for; empty fields mean "this host".
struct TargetOptions {
  std::string triple;
  std::string cpu;
};

/// For a CPU named to run on this host (`attnc check --mcpu`): the
/// instruction-set features it has that the host lacks, comma separated;
/// empty when the host runs its code. Checked on x86 hosts; elsewhere every
/// CPU LLVM knows passes.
std::string featuresHostLacks(const std::string &cpu);

/// Creates the LLVM TargetMachine for `options` (host triple, CPU and
/// features by default). Returns null and sets `error` for unknown ones.
std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const TargetOptions &options, std::string &error);

/// Whether `options` names the machine attnc itself runs on.
bool isHostTarget(const TargetOptions &options);

} // namespace attnc

#endif // ATTNC_COMPILER_TARGET_H

//===- Target.cpp - The machine a model is compiled for -----------------===//

#include "compiler/Target.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/TargetParser/X86TargetParser.h"

namespace attnc {

bool isHostTarget(const TargetOptions &options) {
  if (options.triple.empty())
    return true;
  return llvm::Triple(options.triple).getArch() ==
         llvm::Triple(llvm::sys::getDefaultTargetTriple()).getArch();
}

std::string featuresHostLacks(const std::string &cpu) {
  llvm::Triple host(llvm::sys::getDefaultTargetTriple());
  if (!host.isX86() || cpu.empty() || cpu == "native")
    return "";
  // An unknown CPU is compileModel's error to report.
  if (llvm::X86::parseArchX86(cpu) == llvm::X86::CK_None)
    return "";
  llvm::SmallVector<llvm::StringRef> wanted;
  llvm::X86::getFeaturesForCPU(cpu, wanted);
  llvm::StringMap<bool> has = llvm::sys::getHostCPUFeatures();
  // Only the instruction sets generated code uses; a CPU's system features
  // (SGX, ...) and x87 (which the host map leaves out) do not matter.
  auto generated = [](llvm::StringRef feature) {
    return feature.starts_with("sse") || feature == "ssse3" || feature.starts_with("avx") ||
           feature == "fma" || feature == "f16c" || feature.starts_with("bmi") ||
           feature.starts_with("amx");
  };
  std::string missing;
  for (llvm::StringRef feature : wanted)
    if (generated(feature) && !has.lookup(feature))
      missing += (missing.empty() ? "" : ",") + feature.str();
  return missing;
}

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const TargetOptions &options, std::string &error) {
  static bool initialized = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    return true;
  }();
  (void)initialized;
  bool host = options.triple.empty();
  llvm::Triple triple(host ? llvm::sys::getDefaultTargetTriple() : options.triple);
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    error = "unknown target '" + triple.str() + "': " + error;
    return nullptr;
  }
  std::string cpu = options.cpu;
  std::string features;
  if (cpu.empty() || cpu == "native") {
    if (host) {
      cpu = llvm::sys::getHostCPUName().str();
      for (const auto &feature : llvm::sys::getHostCPUFeatures())
        features += (features.empty() ? "" : ",") +
                    std::string(feature.second ? "+" : "-") + feature.first().str();
    } else {
      cpu = "generic";
    }
  }
  // Check the CPU first: LLVM would only warn and fall back to generic code.
  if (!options.cpu.empty() && options.cpu != "native") {
    std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
        target->createMCSubtargetInfo(triple, "", ""));
    if (subtarget && !subtarget->isCPUStringValid(cpu)) {
      error = "unknown CPU '" + cpu + "' for target '" + triple.str() + "'";
      return nullptr;
    }
  }
  // Global destructors (the model heap's release) in .fini_array, which
  // the dynamic loader runs at dlclose, as a C compiler would put them.
  llvm::TargetOptions codegen;
  codegen.UseInitArray = true;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, codegen, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine) {
    error = "cannot create a target machine for '" + triple.str() + "'";
    return nullptr;
  }
  return machine;
}

} // namespace attnc

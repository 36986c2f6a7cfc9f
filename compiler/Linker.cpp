//===- Linker.cpp - Object file to shared library or executable ---------===//

#include "compiler/Linker.h"
#include "compiler/BuildInfo.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/TargetParser/Triple.h"

namespace attnc {

std::string libraryDir() {
  static int anchor;
  std::string exe = llvm::sys::fs::getMainExecutable("attnc", &anchor);
  llvm::SmallString<256> dir(llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
  llvm::sys::path::append(dir, "lib");
  return std::string(dir);
}

std::string runtimeDirFor(const TargetOptions &target, std::string &error) {
  if (isHostTarget(target))
    return libraryDir();
  llvm::Triple triple(llvm::Triple::normalize(target.triple));
  std::string name = (triple.getArchName() + "-" + triple.getOSName() + "-" +
                      triple.getEnvironmentName())
                         .str();
  llvm::SmallString<256> dir(libraryDir());
  llvm::sys::path::append(dir, name);
  if (!llvm::sys::fs::exists(llvm::Twine(dir) + "/libattnc_runtime.a")) {
    error = "no attnc runtime for '" + target.triple + "' in '" + std::string(dir) +
            "' (built when its cross compiler " + name +
            "-g++ is installed; see README); --emit=obj and --emit=lib need none";
    return "";
  }
  return std::string(dir);
}

std::vector<std::string> openmpLinkArgs(const TargetOptions &target, std::string &error) {
  if (isHostTarget(target))
    return {"-L/usr/lib/llvm-22/lib", "-Wl,-rpath,/usr/lib/llvm-22/lib", "-lomp"};
  std::string lib = runtimeDirFor(target, error);
  if (lib.empty())
    return {};
  if (!llvm::sys::fs::exists(lib + "/libomp.so")) {
    error = "no OpenMP runtime (libomp.so) for '" + target.triple + "' in '" + lib +
            "' (./setup.sh fetches it): compile with --single-thread, or put the "
            "target's libomp.so there";
    return {};
  }
  return {"-L" + lib, "-lomp"};
}

static std::string findDriver() {
  for (const char *name : {"clang++-22", "clang++", "c++", "g++"})
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(name))
      return *path;
  return "";
}

bool linkModel(const std::vector<std::string> &objectPaths, const std::string &outputPath,
               LinkKind kind, const TargetOptions &target, bool usesOpenMP, bool usesCuda,
               std::string &error) {
  std::string driver = findDriver();
  if (driver.empty()) {
    error = "no C++ compiler driver (clang++-22, clang++, c++ or g++) on PATH "
            "to link with";
    return false;
  }
  std::vector<std::string> args = {driver};
  if (!target.triple.empty())
    args.push_back("--target=" + target.triple);
  if (llvm::StringRef(driver).contains("clang"))
    args.push_back("-fuse-ld=lld");
  args.push_back("-o");
  args.push_back(outputPath);
  args.insert(args.end(), objectPaths.begin(), objectPaths.end());
  if (kind == LinkKind::Relocatable) {
    args.push_back("-r");
    args.push_back("-nostdlib");
  } else if (kind == LinkKind::SharedLibrary) {
    args.push_back("-shared");
    // The archive's CUDA layer (only the objects the model calls are
    // taken), built position-independent for this.
    if (usesCuda) {
      std::string lib = runtimeDirFor(target, error);
      if (lib.empty())
        return false;
      llvm::SmallString<256> path(lib);
      llvm::sys::path::append(path, "libattnc_runtime.a");
      args.push_back(std::string(path));
      args.push_back("-ldl");
      args.push_back("-pthread");
    }
  } else {
    std::string lib = runtimeDirFor(target, error);
    if (lib.empty())
      return false;
    for (const char *name : {"libattnc_runner.a", "libattnc_tensor_io.a",
                             "libattnc_runtime.a"}) {
      llvm::SmallString<256> path(lib);
      llvm::sys::path::append(path, name);
      if (!llvm::sys::fs::exists(path)) {
        error = "attnc runtime library '" + std::string(path) + "' not found";
        return false;
      }
      args.push_back(std::string(path));
    }
    args.push_back("-ldl");
    args.push_back("-pthread");
    // A sanitized runtime (ATTNC_SANITIZE) needs the sanitizers' runtimes.
    if (isHostTarget(target) && !llvm::StringRef(ATTNC_RUNTIME_SANITIZE).empty())
      args.push_back(std::string("-fsanitize=") + ATTNC_RUNTIME_SANITIZE);
  }
  // Parallel loops call libomp. A cross-compiled shared library leaves
  // those symbols to the target's libomp where it is loaded.
  if (usesOpenMP && kind != LinkKind::Relocatable &&
      (isHostTarget(target) || kind == LinkKind::Executable)) {
    std::vector<std::string> omp = openmpLinkArgs(target, error);
    if (omp.empty())
      return false;
    args.insert(args.end(), omp.begin(), omp.end());
  }
  if (kind != LinkKind::Relocatable)
    args.push_back("-lm");

  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string message;
  llvm::SmallString<128> log;
  llvm::sys::fs::createTemporaryFile("attnc-link", "log", log);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log),
                                                llvm::StringRef(log)};
  int rc = llvm::sys::ExecuteAndWait(driver, argRefs, std::nullopt, redirects, 0, 0,
                                     &message);
  if (rc != 0) {
    // One line: the linker's first error, not the driver's whole log.
    std::string reason = message;
    if (auto buffer = llvm::MemoryBuffer::getFile(log)) {
      llvm::SmallVector<llvm::StringRef> lines;
      (*buffer)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
      auto first = llvm::find_if(lines, [](llvm::StringRef l) { return l.contains("error:"); });
      if (first != lines.end())
        reason = first->trim().str();
      else if (!lines.empty() && reason.empty())
        reason = lines.front().trim().str();
    }
    error = "linking '" + outputPath + "' failed" + (reason.empty() ? "" : ": " + reason);
  }
  llvm::sys::fs::remove(log);
  return rc == 0;
}

} // namespace attnc

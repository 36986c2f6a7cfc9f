//===- StaticLibrary.cpp - A model as a static library and a C header ----===//

#include "compiler/StaticLibrary.h"
#include "compiler/Linker.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {

bool buildStaticLibrary(llvm::ArrayRef<llvm::MemoryBufferRef> objects,
                        const TargetOptions &target, std::string &archive, std::string &error) {
  std::string runtimeDir = runtimeDirFor(target, error);
  if (runtimeDir.empty())
    return false;
  llvm::SmallString<256> runtimePathBuffer(runtimeDir);
  llvm::sys::path::append(runtimePathBuffer, "libattnc_runtime.a");
  std::string runtimePath(runtimePathBuffer);
  auto runtimeBuffer = llvm::MemoryBuffer::getFile(runtimePath);
  if (!runtimeBuffer) {
    error = "attnc runtime library '" + runtimePath + "' not found";
    return false;
  }
  auto runtime = llvm::object::Archive::create((*runtimeBuffer)->getMemBufferRef());
  if (!runtime) {
    error = "cannot read '" + runtimePath + "': " + llvm::toString(runtime.takeError());
    return false;
  }
  std::vector<llvm::NewArchiveMember> members;
  for (llvm::MemoryBufferRef object : objects)
    members.emplace_back(object);
  llvm::Error childError = llvm::Error::success();
  for (const llvm::object::Archive::Child &child : (*runtime)->children(childError)) {
    auto member = llvm::NewArchiveMember::getOldMember(child, /*Deterministic=*/true);
    if (!member) {
      error = "cannot read '" + runtimePath + "': " + llvm::toString(member.takeError());
      llvm::consumeError(std::move(childError));
      return false;
    }
    members.push_back(std::move(*member));
  }
  if (childError) {
    error = "cannot read '" + runtimePath + "': " + llvm::toString(std::move(childError));
    return false;
  }
  auto written = llvm::writeArchiveToBuffer(members, llvm::SymtabWritingMode::NormalSymtab,
                                            llvm::object::Archive::K_GNU,
                                            /*Deterministic=*/true, /*Thin=*/false);
  if (!written) {
    error = "cannot write the archive: " + llvm::toString(written.takeError());
    return false;
  }
  archive = (*written)->getBuffer().str();
  return true;
}

std::string cPrefixFor(llvm::StringRef outputPath) {
  std::string prefix;
  for (char c : llvm::sys::path::stem(outputPath))
    prefix.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  if (prefix.empty() || llvm::isDigit(prefix[0]))
    prefix.insert(prefix.begin(), '_');
  return prefix;
}

/// The C element type of a manifest dtype (bool is one byte; f16 and
/// bf16 travel as their bits).
static const char *cType(llvm::StringRef dtype) {
  return llvm::StringSwitch<const char *>(dtype)
      .Case("f32", "float")
      .Case("f64", "double")
      .Cases({"f16", "bf16"}, "uint16_t")
      .Case("i64", "int64_t")
      .Case("i32", "int32_t")
      .Case("i16", "int16_t")
      .Case("i8", "int8_t")
      .Case("u16", "uint16_t")
      .Case("u32", "uint32_t")
      .Case("u64", "uint64_t")
      .Default("uint8_t");
}

/// A C identifier from a tensor name (bytes outside [A-Za-z0-9_] as '_').
static std::string cName(llvm::StringRef name, size_t index, const char *kind) {
  std::string id;
  for (char c : name)
    id.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  if (id.empty() || llvm::isDigit(id[0]))
    id = std::string(kind) + "_" + std::to_string(index) + (id.empty() ? "" : "_" + id);
  return id;
}

/// What the header says about the `dims` argument of a model with run-time
/// dims.
/// A dim as the header's comments write it: `8`, `dims[0]`,
/// `dims[0] + 1`.
static std::string cExtent(const DimExtent &extent) {
  if (extent.isStatic())
    return std::to_string(extent.constant);
  std::string text;
  for (auto [symbol, coefficient] : extent.terms)
    text += (text.empty() ? "" : " + ") +
            (coefficient == 1 ? "" : std::to_string(coefficient) + " * ") + "dims[" +
            std::to_string(symbol) + "]";
  if (extent.constant)
    text += " + " + std::to_string(extent.constant);
  return text;
}

static std::string runTimeDimsComment(const ModelSignature &signature) {
  std::string text = "/* Run-time dims: dims[k] is the value this run gives dim k (0 to its\n"
                     " * bound); the shapes above name them, the _ELEMENTS counts are at the\n"
                     " * bounds.\n";
  for (auto [k, dim] : llvm::enumerate(signature.dims)) {
    std::string name = dim.name;
    for (size_t at = name.find("*/"); at != std::string::npos; at = name.find("*/", at))
      name.replace(at, 2, "* /");
    text += " *   dims[" + std::to_string(k) + "]: \"" + name + "\", 0.." +
            std::to_string(dim.bound) + "\n";
  }
  return text + " */\n";
}

std::string buildModelHeader(const ModelSignature &signature, llvm::StringRef prefix,
                             llvm::ArrayRef<std::string> openmpLinkArgs) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string guard = "ATTNC_MODEL_" + llvm::StringRef(prefix).upper() + "_H";
  os << "/* " << prefix << ".h: generated by attnc for the model in " << prefix << ".a.\n"
     << " * Link: cc main.c " << prefix << ".a -lm";
  for (const std::string &arg : openmpLinkArgs)
    os << " " << arg;
  os << "\n * (the archive also holds the attnc runtime's C API, attnc/runtime.h,\n"
     << " * which needs -lstdc++ -ldl -lpthread when used). */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stddef.h>\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* The model's entry point (the runtime ABI): inputs, outputs, then the\n"
     << " * workspace, each a pointer to contiguous row-major data. */\n"
     << "void attnc_model_run(void **buffers);\n\n";
  auto describe = [&](const char *kind, const std::vector<TensorSignature> &tensors) {
    for (auto [i, t] : llvm::enumerate(tensors)) {
      std::string id = cName(t.name, i, kind);
      // At the run-time dims' bounds: the largest buffer a run needs (a KV
      // cache kept in place: its whole buffer, at the capacity).
      std::vector<int64_t> buffer = t.boundShape(signature);
      if (t.cacheAxis >= 0)
        buffer[t.cacheAxis] = t.cacheBufferPositions();
      size_t elements = 1;
      for (int64_t d : buffer)
        elements *= static_cast<size_t>(d);
      // The name inside a comment: no "*/" may end it early.
      std::string shown = t.name;
      for (size_t at = shown.find("*/"); at != std::string::npos; at = shown.find("*/", at))
        shown.replace(at, 2, "* /");
      os << "/* " << kind << " " << i << ": \"" << shown << "\", " << t.dtype << " [";
      for (auto [d, extent] : llvm::enumerate(t.extents))
        os << (d ? ", " : "") << cExtent(extent);
      os << "]";
      if (t.cacheAxis >= 0 && t.cacheRing)
        os << ", a KV cache kept in place as a ring: its buffer has room for "
           << t.cacheBufferPositions() << " positions along dim " << t.cacheAxis
           << ", position a at a % " << t.cacheRing << " and " << t.cacheRing << " + a % "
           << t.cacheRing << ", the run writing its new ones (at most " << t.cacheCapacity
           << " in all)";
      else if (t.cacheAxis >= 0)
        os << ", a KV cache kept in place: its buffer has room for " << t.cacheCapacity
           << " positions along dim " << t.cacheAxis << " and the run appends its new ones";
      os << " */\n#define " << llvm::StringRef(prefix).upper() << "_"
         << llvm::StringRef(id).upper() << "_ELEMENTS " << elements << "u\n";
    }
  };
  describe("input", signature.inputs);
  describe("output", signature.outputs);
  os << "\n/* Scratch bytes a run needs (64-byte aligned; one run at a time per\n"
     << " * buffer); 0: pass NULL. */\n#define " << llvm::StringRef(prefix).upper()
     << "_WORKSPACE_BYTES " << signature.workspaceBytes << "u\n\n"
     << (signature.dims.empty()
             ? ""
             : runTimeDimsComment(signature))
     << "/* Runs the model on caller buffers of exactly the shapes above. */\n"
     << "static inline void " << prefix << "_run(";
  bool first = true;
  auto params = [&](const char *kind, const std::vector<TensorSignature> &tensors, bool input) {
    for (auto [i, t] : llvm::enumerate(tensors)) {
      os << (first ? "" : ", ") << (input && t.cacheAxis < 0 ? "const " : "") << cType(t.dtype)
         << " *"
         << cName(t.name, i, kind);
      first = false;
    }
  };
  params("input", signature.inputs, true);
  params("output", signature.outputs, false);
  bool runTimeDims = !signature.dims.empty();
  os << (first ? "" : ", ") << "void *workspace"
     << (runTimeDims ? ", const int64_t *dims" : "") << ") {\n  void *buffers[] = {";
  first = true;
  auto args = [&](const char *kind, const std::vector<TensorSignature> &tensors) {
    for (auto [i, t] : llvm::enumerate(tensors)) {
      os << (first ? "" : ", ") << "(void *)" << cName(t.name, i, kind);
      first = false;
    }
  };
  args("input", signature.inputs);
  args("output", signature.outputs);
  // The dims' values follow the workspace, or the outputs when the model
  // takes no workspace (attnc/model.h).
  if (!runTimeDims)
    os << (first ? "" : ", ") << "workspace";
  else
    os << (first ? "" : ", ") << (signature.workspaceBytes > 0 ? "workspace, " : "")
       << "(void *)dims";
  os << "};\n  " << (runTimeDims && signature.workspaceBytes == 0 ? "(void)workspace;\n  " : "")
     << "attnc_model_run(buffers);\n}\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return text;
}

} // namespace attnc

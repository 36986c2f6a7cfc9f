//===- ModelInfo.cpp - What `attnc inspect` shows of a model ------------===//

#include "compiler/ModelInfo.h"
#include "compiler/BuildInfo.h"
#include "dialects/attn/AttnOps.h"
#include "llvm/Object/Archive.h"
#include "llvm/Object/Binary.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// `[1, 4, ?, 12]`: a run-time dim as `?`.
static void printShape(llvm::raw_ostream &os, llvm::ArrayRef<int64_t> shape) {
  os << '[';
  llvm::interleaveComma(shape, os, [&](int64_t dim) {
    if (dim < 0)
      os << '?';
    else
      os << dim;
  });
  os << ']';
}

static void printShape(llvm::raw_ostream &os, mlir::Type type) {
  printShape(os, llvm::cast<mlir::RankedTensorType>(type).getShape());
}

std::string describeModel(mlir::ModuleOp module, const ModelSignature &signature,
                          llvm::StringRef source, const TargetOptions &target,
                          bool threads) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "attnc " << ATTNC_VERSION << '\n';
  os << "source " << source << '\n';
  bool host = target.triple.empty();
  os << "target " << (host ? std::string("host") : target.triple) << " cpu "
     << (!target.cpu.empty() ? target.cpu : host ? std::string("host") : std::string("generic"))
     << '\n';
  os << "threads " << (threads ? "openmp" : "none") << '\n';
  for (auto [kind, tensors] : {std::pair{"input", &signature.inputs},
                               std::pair{"output", &signature.outputs}})
    for (const TensorSignature &t : *tensors) {
      os << kind << ' ' << t.name << ' ' << t.dtype << ' ';
      printShape(os, t.shape);
      if (t.cacheAxis >= 0)
        os << " kv-cache in place: dim " << t.cacheAxis << ", capacity " << t.cacheCapacity
           << (t.cacheRing ? ", ring of " + std::to_string(t.cacheRing) : std::string());
      os << '\n';
    }
  int64_t count = 0;
  module.walk([&](mlir::attn::SdpaOp op) {
    ++count;
    os << "attention q ";
    printShape(os, op.getQuery().getType());
    os << " k ";
    printShape(os, op.getKey().getType());
    os << " v ";
    printShape(os, op.getValue().getType());
    if (auto window = op.getMaskAttr())
      os << " mask " << window;
    if (op.getKeyMask())
      os << " key_mask";
    if (op.getDenseMask())
      os << " dense_mask";
    os << '\n';
  });
  os << "attention ops: " << count << '\n';
  return text;
}

/// The section's bytes in `object`, if it has one.
static std::optional<std::string> infoSection(const llvm::object::ObjectFile &object) {
  for (const llvm::object::SectionRef &section : object.sections()) {
    llvm::Expected<llvm::StringRef> name = section.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (*name != kModelInfoSection)
      continue;
    llvm::Expected<llvm::StringRef> contents = section.getContents();
    if (!contents) {
      llvm::consumeError(contents.takeError());
      return std::nullopt;
    }
    return contents->rtrim('\0').str();
  }
  return std::nullopt;
}

std::optional<std::string> readModelInfo(llvm::StringRef path, std::string &error) {
  llvm::Expected<llvm::object::OwningBinary<llvm::object::Binary>> binary =
      llvm::object::createBinary(path);
  if (!binary) {
    error = "cannot read '" + path.str() + "': " + llvm::toString(binary.takeError());
    return std::nullopt;
  }
  llvm::object::Binary *file = binary->getBinary();
  if (auto *object = llvm::dyn_cast<llvm::object::ObjectFile>(file))
    if (std::optional<std::string> info = infoSection(*object))
      return info;
  if (auto *archive = llvm::dyn_cast<llvm::object::Archive>(file)) {
    llvm::Error childError = llvm::Error::success();
    for (const llvm::object::Archive::Child &child : archive->children(childError)) {
      llvm::Expected<std::unique_ptr<llvm::object::Binary>> member = child.getAsBinary();
      if (!member) {
        llvm::consumeError(member.takeError());
        continue;
      }
      if (auto *object = llvm::dyn_cast<llvm::object::ObjectFile>(member->get()))
        if (std::optional<std::string> info = infoSection(*object)) {
          llvm::consumeError(std::move(childError));
          return info;
        }
    }
    llvm::consumeError(std::move(childError));
  }
  error = "'" + path.str() + "' is not a model compiled by attnc (no " +
          kModelInfoSection + " section)";
  return std::nullopt;
}

} // namespace attnc

//===- ModelSignature.cpp - Names, dtypes and shapes of a model's I/O ---===//

#include "compiler/ModelSignature.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace attnc {

/// Manifest names percent-encode every byte outside [A-Za-z0-9_.:/-].
static std::string percentEncode(llvm::StringRef name) {
  std::string out;
  llvm::raw_string_ostream os(out);
  for (unsigned char c : name) {
    if (llvm::isAlnum(c) || llvm::StringRef("_.:/-").contains(c))
      os << c;
    else
      os << '%' << llvm::format_hex_no_prefix(c, 2, /*Upper=*/true);
  }
  return out;
}

static std::string dtypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isF64())
    return "f64";
  if (type.isF16())
    return "f16";
  if (type.isBF16())
    return "bf16";
  if (type.isUnsignedInteger(64))
    return "u64";
  if (type.isUnsignedInteger(32))
    return "u32";
  if (type.isUnsignedInteger(16))
    return "u16";
  if (type.isUnsignedInteger(8))
    return "u8";
  if (type.isInteger(64))
    return "i64";
  if (type.isInteger(32))
    return "i32";
  if (type.isInteger(16))
    return "i16";
  if (type.isInteger(8))
    return "i8";
  if (type.isInteger(1))
    return "i1";
  return "";
}

std::string ModelSignature::manifest() const {
  std::string text = "attnc-model 2\n";
  llvm::raw_string_ostream os(text);
  if (workspaceBytes > 0)
    os << "workspace " << workspaceBytes << '\n';
  auto line = [&](const char *kind, const TensorSignature &t) {
    os << kind << ' ' << percentEncode(t.name) << ' ' << t.dtype << ' '
       << t.shape.size();
    for (int64_t d : t.shape)
      os << ' ' << d;
    os << '\n';
  };
  for (const TensorSignature &t : inputs)
    line("input", t);
  for (const TensorSignature &t : outputs)
    line("output", t);
  return text;
}

FailureOr<ModelSignature> readSignature(func::FuncOp func) {
  ModelSignature signature;
  auto read = [&](Type type, StringAttr name, const std::string &fallback,
                  std::vector<TensorSignature> &into) -> LogicalResult {
    auto tensor = dyn_cast<RankedTensorType>(type);
    std::string label = name ? name.str() : fallback;
    if (!tensor || !tensor.hasStaticShape())
      return func.emitError("'") << label << "' has type " << type
                                 << "; a compiled model needs static shapes";
    std::string dtype = dtypeName(tensor.getElementType());
    if (dtype.empty())
      return func.emitError("'") << label << "' has element type "
                                 << tensor.getElementType()
                                 << ", which the runtime cannot carry";
    into.push_back({label, dtype, std::vector<int64_t>(tensor.getShape().begin(),
                                                       tensor.getShape().end())});
    return success();
  };
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i)
    if (failed(read(type.getInput(i), func.getArgAttrOfType<StringAttr>(i, "attnc.name"),
                    "input_" + std::to_string(i), signature.inputs)))
      return failure();
  for (unsigned i = 0; i < type.getNumResults(); ++i)
    if (failed(read(type.getResult(i),
                    func.getResultAttrOfType<StringAttr>(i, "attnc.name"),
                    "output_" + std::to_string(i), signature.outputs)))
      return failure();
  return signature;
}

} // namespace attnc

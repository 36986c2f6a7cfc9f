//===- ModelSignature.cpp - Names, dtypes and shapes of a model's I/O ---===//

#include "compiler/ModelSignature.h"
#include "dialects/attn/RunTimeDims.h"
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

bool TensorSignature::hasRunTimeDims() const {
  return llvm::any_of(symbols, [](int s) { return s >= 0; });
}

std::vector<int64_t> TensorSignature::boundShape(const ModelSignature &signature) const {
  std::vector<int64_t> bound(shape);
  for (auto [dim, symbol] : llvm::zip(bound, symbols))
    if (symbol >= 0)
      dim = signature.dims[symbol].bound;
  return bound;
}

std::string ModelSignature::manifest() const {
  std::string text = dims.empty() ? "attnc-model 2\n" : "attnc-model 3\n";
  llvm::raw_string_ostream os(text);
  if (workspaceBytes > 0)
    os << "workspace " << workspaceBytes << '\n';
  for (const DimSymbol &dim : dims)
    os << "dim " << percentEncode(dim.name) << ' ' << dim.bound << '\n';
  auto line = [&](const char *kind, const TensorSignature &t) {
    os << kind << ' ' << percentEncode(t.name) << ' ' << t.dtype << ' '
       << t.shape.size();
    for (auto [d, symbol] : llvm::zip(t.shape, t.symbols)) {
      if (symbol >= 0)
        os << " $" << symbol;
      else
        os << ' ' << d;
    }
    os << '\n';
  };
  for (const TensorSignature &t : inputs)
    line("input", t);
  for (const TensorSignature &t : outputs)
    line("output", t);
  return text;
}

namespace {

/// Reads the run-time dim symbols of `func` into `signature.dims`.
LogicalResult readDimSymbols(func::FuncOp func, ModelSignature &signature,
                             llvm::StringMap<int> &symbolIndex) {
  auto bounds = func->getAttrOfType<DictionaryAttr>("attnc.dim_bounds");
  if (!bounds)
    return success();
  for (NamedAttribute bound : bounds) {
    auto value = dyn_cast<IntegerAttr>(bound.getValue());
    if (!value || value.getInt() < 1)
      return func.emitError("attnc.dim_bounds: the bound of '")
             << bound.getName().getValue() << "' must be a positive integer";
    symbolIndex[bound.getName().getValue()] = signature.dims.size();
    signature.dims.push_back({bound.getName().getValue().str(), value.getInt()});
  }
  return success();
}

} // namespace

FailureOr<ModelSignature> readSignature(func::FuncOp func) {
  ModelSignature signature;
  llvm::StringMap<int> symbolIndex;
  if (failed(readDimSymbols(func, signature, symbolIndex)))
    return failure();
  // The symbol of each run-time dim of each argument.
  SmallVector<SmallVector<int>> argumentSymbols;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto names = func.getArgAttrOfType<ArrayAttr>(i, "attnc.dim_symbols");
    SmallVector<int> symbols;
    if (names)
      for (Attribute name : names) {
        auto text = dyn_cast<StringAttr>(name);
        auto it = text ? symbolIndex.find(text.getValue()) : symbolIndex.end();
        symbols.push_back(it == symbolIndex.end() ? -1 : it->second);
      }
    argumentSymbols.push_back(symbols);
  }
  auto read = [&](Type type, StringAttr name, const std::string &fallback,
                  function_ref<int(unsigned dim)> symbolOf,
                  std::vector<TensorSignature> &into) -> LogicalResult {
    auto tensor = dyn_cast<RankedTensorType>(type);
    std::string label = name ? name.str() : fallback;
    if (!tensor)
      return func.emitError("'") << label << "' has type " << type
                                 << "; a compiled model needs ranked tensors";
    std::string dtype = dtypeName(tensor.getElementType());
    if (dtype.empty())
      return func.emitError("'") << label << "' has element type "
                                 << tensor.getElementType()
                                 << ", which the runtime cannot carry";
    TensorSignature t{label, dtype, {}, {}};
    for (int64_t d = 0; d < tensor.getRank(); ++d) {
      int symbol = tensor.isDynamicDim(d) ? symbolOf(d) : -1;
      if (tensor.isDynamicDim(d) && symbol < 0)
        return func.emitError("'") << label << "' has type " << type << ": its dim " << d
                                   << " is not one of the inputs' bounded run-time dims "
                                      "(bind the inputs with --input-shape or bound them "
                                      "with --max-shape)";
      t.shape.push_back(symbol >= 0 ? -1 : tensor.getDimSize(d));
      t.symbols.push_back(symbol);
    }
    into.push_back(std::move(t));
    return success();
  };
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i)
    if (failed(read(
            type.getInput(i), func.getArgAttrOfType<StringAttr>(i, "attnc.name"),
            "input_" + std::to_string(i),
            [&](unsigned d) { return d < argumentSymbols[i].size() ? argumentSymbols[i][d] : -1; },
            signature.inputs)))
      return failure();
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    auto symbolOf = [&](unsigned d) -> int {
      std::optional<attn::DimOf> source = attn::traceRunTimeDim(ret.getOperand(i), d);
      auto arg = source ? dyn_cast<BlockArgument>(source->value) : nullptr;
      if (!arg || arg.getOwner()->getParentOp() != func)
        return -1;
      const SmallVector<int> &symbols = argumentSymbols[arg.getArgNumber()];
      return source->dim < symbols.size() ? symbols[source->dim] : -1;
    };
    if (failed(read(type.getResult(i), func.getResultAttrOfType<StringAttr>(i, "attnc.name"),
                    "output_" + std::to_string(i), symbolOf, signature.outputs)))
      return failure();
  }
  return signature;
}

} // namespace attnc

//===- ModelSignature.cpp - Names, dtypes and shapes of a model's I/O ---===//

#include "compiler/ModelSignature.h"
#include "dialects/attn/AttnOps.h"
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

int64_t DimExtent::bound(const ModelSignature &signature) const {
  int64_t value = constant;
  for (auto [symbol, coefficient] : terms)
    if (coefficient > 0)
      value += coefficient * signature.dims[symbol].bound;
  return value;
}

std::string DimExtent::manifestText() const {
  if (terms.empty())
    return std::to_string(constant);
  std::string text;
  for (auto [symbol, coefficient] : terms) {
    if (!text.empty())
      text += '+';
    if (coefficient != 1)
      text += std::to_string(coefficient) + '*';
    text += '$' + std::to_string(symbol);
  }
  if (constant != 0)
    text += '+' + std::to_string(constant);
  return text;
}

bool TensorSignature::hasRunTimeDims() const {
  return llvm::any_of(extents, [](const DimExtent &e) { return !e.isStatic(); });
}

std::vector<int64_t> TensorSignature::boundShape(const ModelSignature &signature) const {
  std::vector<int64_t> bound;
  for (const DimExtent &extent : extents)
    bound.push_back(extent.bound(signature));
  return bound;
}

std::string ModelSignature::manifest() const {
  bool sums = llvm::any_of(outputs, [](const TensorSignature &t) {
    return llvm::any_of(t.extents,
                        [](const DimExtent &e) { return !e.isStatic() && e.symbol() < 0; });
  });
  bool caches = llvm::any_of(inputs, [](const TensorSignature &t) { return t.cacheAxis >= 0; });
  bool rings = llvm::any_of(inputs, [](const TensorSignature &t) { return t.cacheRing > 0; });
  std::string text = dims.empty() ? "attnc-model 2\n"
                     : rings      ? "attnc-model 6\n"
                     : caches     ? "attnc-model 5\n"
                     : sums       ? "attnc-model 4\n"
                                  : "attnc-model 3\n";
  llvm::raw_string_ostream os(text);
  if (workspaceBytes > 0)
    os << "workspace " << workspaceBytes << '\n';
  for (const DimSymbol &dim : dims)
    os << "dim " << percentEncode(dim.name) << ' ' << dim.bound << '\n';
  auto line = [&](const char *kind, const TensorSignature &t) {
    os << kind << ' ' << percentEncode(t.name) << ' ' << t.dtype << ' '
       << t.shape.size();
    for (const DimExtent &extent : t.extents)
      os << ' ' << extent.manifestText();
    os << '\n';
  };
  for (const TensorSignature &t : inputs)
    line("input", t);
  for (const TensorSignature &t : inputs)
    if (t.cacheAxis >= 0)
      os << "cache " << percentEncode(t.name) << ' ' << t.cacheAxis << ' ' << t.cacheCapacity
         << ' ' << t.cacheExtent.manifestText() << ' ' << percentEncode(t.cachePresent)
         << (t.cacheRing ? " ring " + std::to_string(t.cacheRing) : std::string()) << '\n';
  for (const TensorSignature &t : outputs)
    line("output", t);
  return text;
}

namespace {

/// Reads the run-time dim symbols of `func` into `signature.dims`.
LogicalResult readDimSymbols(func::FuncOp func, ModelSignature &signature,
                             llvm::StringMap<int> &symbolIndex) {
  auto bounds = func->getAttrOfType<DictionaryAttr>(attn::kDimBoundsAttrName);
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
    auto names = func.getArgAttrOfType<ArrayAttr>(i, attn::kDimSymbolsAttrName);
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
                  function_ref<std::optional<DimExtent>(unsigned dim)> extentOf,
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
    TensorSignature t;
    t.name = label;
    t.dtype = dtype;
    for (int64_t d = 0; d < tensor.getRank(); ++d) {
      std::optional<DimExtent> extent = DimExtent{tensor.getDimSize(d), {}};
      if (tensor.isDynamicDim(d))
        extent = extentOf(d);
      if (!extent || (tensor.isDynamicDim(d) && extent->isStatic()))
        return func.emitError("'") << label << "' has type " << type << ": its dim " << d
                                   << " is not made of the inputs' bounded run-time dims "
                                      "(bind the inputs with --input-shape or bound them "
                                      "with --max-shape)";
      t.shape.push_back(tensor.isDynamicDim(d) ? -1 : tensor.getDimSize(d));
      t.extents.push_back(*extent);
    }
    into.push_back(std::move(t));
    return success();
  };
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    auto symbolOf = [&](unsigned d) -> std::optional<DimExtent> {
      int symbol = d < argumentSymbols[i].size() ? argumentSymbols[i][d] : -1;
      if (symbol < 0)
        return std::nullopt;
      return DimExtent{0, {{symbol, 1}}};
    };
    if (failed(read(type.getInput(i), func.getArgAttrOfType<StringAttr>(i, "attnc.name"),
                    "input_" + std::to_string(i), symbolOf, signature.inputs)))
      return failure();
  }
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  // The extent of a result's dim `d` in the inputs' symbols.
  auto resultExtent = [&](Value result, unsigned d) -> std::optional<DimExtent> {
    std::optional<attn::LinearExtent> traced = attn::traceRunTimeExtent(result, d);
    if (!traced)
      return std::nullopt;
    DimExtent extent{traced->constant, {}};
    for (const auto &[source, coefficient] : traced->terms) {
      auto arg = dyn_cast<BlockArgument>(source.value);
      if (!arg || arg.getOwner()->getParentOp() != func)
        return std::nullopt;
      const SmallVector<int> &symbols = argumentSymbols[arg.getArgNumber()];
      int symbol = source.dim < symbols.size() ? symbols[source.dim] : -1;
      if (symbol < 0)
        return std::nullopt;
      extent.terms.push_back({symbol, coefficient});
    }
    return extent;
  };
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    Value result = ret.getOperand(i);
    if (auto append = result.getDefiningOp<attn::KvAppendOp>()) {
      auto cache = dyn_cast<BlockArgument>(append.getCache());
      std::optional<DimExtent> extent = resultExtent(result, append.getAxis());
      if (!cache || cache.getOwner()->getParentOp() != func || !extent)
        return func.emitError("the KV cache appended to for result ")
               << i << " is not an argument with a run-time length";
      TensorSignature &input = signature.inputs[cache.getArgNumber()];
      input.cacheAxis = (int)append.getAxis();
      input.cacheCapacity = append.getCapacity();
      input.cacheRing = (int64_t)append.getRing().value_or(0);
      input.cacheExtent = *extent;
      auto present = func.getResultAttrOfType<StringAttr>(i, "attnc.name");
      input.cachePresent = present ? present.str() : "output_" + std::to_string(i);
      continue;
    }
    auto extentOf = [&](unsigned d) { return resultExtent(result, d); };
    if (failed(read(type.getResult(i), func.getResultAttrOfType<StringAttr>(i, "attnc.name"),
                    "output_" + std::to_string(i), extentOf, signature.outputs)))
      return failure();
  }
  return signature;
}

} // namespace attnc

//===- GraphImporter.cpp - ONNX GraphProto -> func.func @main -------------===//
//
// Values are keyed by ONNX tensor name. Initializers become attn.constant at
// their first use, so unused weights cost nothing. Every node is converted
// under a diagnostic handler that catches what the handler, type inference or
// a verifier reports, and re-emits it once, prefixed with the node's name, op
// type, domain and opset.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/OnnxNode.h"
#include "frontends/onnx/Registry.h"
#include "frontends/onnx/ShapeExprs.h"
#include "frontends/onnx/Tensors.h"
#include "dialects/attn/RunTimeDims.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"
#include <map>
#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

namespace {

class GraphImporter {
public:
  GraphImporter(ModuleOp module, const onnx::ModelProto &model,
                const ModelInfo &info, const ImportOptions &options)
      : ctx(module.getContext()), module(module), graph(model.graph()),
        info(info), options(options), builder(ctx),
        fileLoc(FileLineColLoc::get(ctx, info.path, 0, 0)),
        registry(buildHandlerRegistry()), shapeExprs(ctx) {}

  LogicalResult run();

private:
  LogicalResult collectInitializers();
  FailureOr<RankedTensorType> boundInputType(const onnx::ValueInfoProto &input);
  FailureOr<RankedTensorType> boundedRunTimeType(const onnx::ValueInfoProto &input,
                                                 ArrayRef<int64_t> bounds, Type element);
  void fixUnitSymbols(ArrayRef<const onnx::ValueInfoProto *> arguments,
                      MutableArrayRef<Type> types);
  void recordRunTimeDims(func::FuncOp func, ArrayRef<const onnx::ValueInfoProto *> arguments);
  LogicalResult checkInputMatchesInitializer(const onnx::ValueInfoProto &input,
                                             const onnx::TensorProto &initializer);
  LogicalResult importNode(const onnx::NodeProto &node, size_t index);
  LogicalResult convertNode(const onnx::NodeProto &node, int64_t opset,
                            Location loc);
  LogicalResult checkRunTimeDimsSupported(const onnx::NodeProto &node, int64_t opset,
                                          ValueRange inputs, Location loc);
  FailureOr<Value> lookup(StringRef name);
  LogicalResult checkOutput(const onnx::ValueInfoProto &output, Value value);
  void eraseDeadOps(func::FuncOp func);
  void spillFoldedWeights(func::FuncOp func);

  MLIRContext *ctx;
  ModuleOp module;
  const onnx::GraphProto &graph;
  const ModelInfo &info;
  const ImportOptions &options;
  OpBuilder builder;
  Location fileLoc;
  HandlerRegistry registry;

  llvm::StringMap<Value> values;
  llvm::StringMap<const onnx::TensorProto *> initializers;
  /// Tensor names read by some node or returned by the graph.
  llvm::StringSet<> usedNames;
  /// Run-time dims (--max-shape): each input's dim symbols ("" for a
  /// static dim), and each symbol's bound, in order of appearance.
  llvm::StringMap<SmallVector<std::string>> inputDimSymbols;
  llvm::MapVector<std::string, int64_t, std::map<std::string, unsigned>> symbolBounds;
  ShapeExprs shapeExprs;
};

} // namespace

static std::string domainName(StringRef domain) {
  return domain.empty() ? "ai.onnx" : domain.str();
}

/// The declared shape of a value for messages: `[1, sequence, ?]`.
static std::string declaredShape(const onnx::TensorShapeProto &shape) {
  std::string text = "[";
  for (int i = 0; i < shape.dim_size(); ++i) {
    if (i)
      text += ", ";
    const auto &dim = shape.dim(i);
    if (dim.has_dim_value())
      text += std::to_string(dim.dim_value());
    else if (dim.has_dim_param() && !dim.dim_param().empty())
      text += dim.dim_param();
    else
      text += "?";
  }
  return text + "]";
}

static std::string shapeFlag(ArrayRef<int64_t> shape) {
  std::string text;
  for (auto [i, dim] : llvm::enumerate(shape))
    text += (i ? "x" : "") + std::to_string(dim);
  return text;
}

LogicalResult GraphImporter::collectInitializers() {
  for (const onnx::TensorProto &tensor : graph.initializer())
    initializers[tensor.name()] = &tensor;
  if (graph.sparse_initializer_size() > 0)
    return emitError(fileLoc) << "sparse initializers are not supported";
  return success();
}

/// ImportOptions::boundSymbolicDims's bounds for an input of `shape`: the
/// static dims as they are, a symbolic dim 0 (the batch) 1, every other
/// symbolic dim `length`.
static SmallVector<int64_t> decoderBounds(const onnx::TensorShapeProto &shape, int64_t length) {
  SmallVector<int64_t> bounds;
  for (int i = 0; i < shape.dim_size(); ++i) {
    const auto &dim = shape.dim(i);
    bounds.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value()
                     : i == 0                                    ? 1
                                                                 : length);
  }
  return bounds;
}

FailureOr<RankedTensorType>
GraphImporter::boundInputType(const onnx::ValueInfoProto &input) {
  const std::string &name = input.name();
  if (!input.type().has_tensor_type())
    return emitError(fileLoc) << "input '" << name << "' is not a tensor";
  const auto &tensorType = input.type().tensor_type();
  Type element = convertElementType(ctx, tensorType.elem_type());
  if (!element)
    return emitError(fileLoc) << "input '" << name
                              << "' has unsupported element type '"
                              << elementTypeName(tensorType.elem_type()) << "'";
  auto bound = options.inputShapes.find(name);
  if (!tensorType.has_shape()) {
    if (bound == options.inputShapes.end())
      return emitError(fileLoc) << "input '" << name
                                << "' has no declared shape: pass "
                                   "--input-shape "
                                << name << "=...";
    return RankedTensorType::get(bound->second, element);
  }
  const onnx::TensorShapeProto &shape = tensorType.shape();
  if (auto max = options.maxShapes.find(name);
      max != options.maxShapes.end() && bound == options.inputShapes.end())
    return boundedRunTimeType(input, max->second, element);
  if (options.boundSymbolicDims > 0 && bound == options.inputShapes.end())
    return boundedRunTimeType(input, decoderBounds(shape, options.boundSymbolicDims), element);
  if (bound != options.inputShapes.end()) {
    ArrayRef<int64_t> given = bound->second;
    bool matches = (int64_t)given.size() == shape.dim_size();
    for (int i = 0; matches && i < shape.dim_size(); ++i)
      matches = given[i] >= 0 && (!shape.dim(i).has_dim_value() ||
                                  shape.dim(i).dim_value() == given[i]);
    if (!matches)
      return emitError(fileLoc)
             << "input '" << name << "' has shape " << declaredShape(shape)
             << " in the model, which --input-shape " << name << "="
             << shapeFlag(given) << " contradicts";
    return RankedTensorType::get(given, element);
  }
  SmallVector<int64_t> dims;
  for (int i = 0; i < shape.dim_size(); ++i) {
    const auto &dim = shape.dim(i);
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      dims.push_back(dim.dim_value());
      continue;
    }
    if (dim.has_dim_param() && !dim.dim_param().empty())
      return emitError(fileLoc) << "input '" << name << "' has symbolic dim '"
                                << dim.dim_param() << "' (dim " << i
                                << "): pass --input-shape " << name
                                << "=... to fix it, or --max-shape " << name
                                << "=... to bound it";
    return emitError(fileLoc) << "input '" << name << "' has unknown dim " << i
                              << ": pass --input-shape " << name
                              << "=... to fix it, or --max-shape " << name << "=... to bound it";
  }
  return RankedTensorType::get(dims, element);
}

/// An input bounded by --max-shape: its static dims must be given as
/// themselves, each symbolic one becomes `?` under the given bound (a bound
/// of 1 fixes it). Dims sharing a dim_param share a symbol, whose bound is
/// the smallest given; an unnamed dim gets a symbol of its own.
FailureOr<RankedTensorType>
GraphImporter::boundedRunTimeType(const onnx::ValueInfoProto &input,
                                  ArrayRef<int64_t> bounds, Type element) {
  const std::string &name = input.name();
  const onnx::TensorShapeProto &shape = input.type().tensor_type().shape();
  if ((int64_t)bounds.size() != shape.dim_size())
    return emitError(fileLoc) << "input '" << name << "' has shape " << declaredShape(shape)
                              << " in the model, which --max-shape " << name << "="
                              << shapeFlag(bounds) << " contradicts (rank " << shape.dim_size()
                              << ")";
  SmallVector<int64_t> dims;
  SmallVector<std::string> symbols;
  for (int i = 0; i < shape.dim_size(); ++i) {
    const auto &dim = shape.dim(i);
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      if (bounds[i] != dim.dim_value())
        return emitError(fileLoc) << "input '" << name << "' dim " << i << " is "
                                  << dim.dim_value() << " in the model, which --max-shape "
                                  << name << "=" << shapeFlag(bounds) << " contradicts";
      dims.push_back(dim.dim_value());
      symbols.push_back("");
      continue;
    }
    if (bounds[i] < 1)
      return emitError(fileLoc) << "--max-shape " << name << "=" << shapeFlag(bounds)
                                << ": the bound of dim " << i << " must be at least 1";
    std::string symbol = dim.has_dim_param() && !dim.dim_param().empty()
                             ? dim.dim_param()
                             : name + "." + std::to_string(i);
    auto [it, inserted] = symbolBounds.insert({symbol, bounds[i]});
    if (!inserted)
      it->second = std::min(it->second, bounds[i]);
    dims.push_back(ShapedType::kDynamic);
    symbols.push_back(symbol);
  }
  inputDimSymbols[name] = symbols;
  return RankedTensorType::get(dims, element);
}

/// A symbol bounded by 1 is the static dim 1 (so the body, imported
/// afterwards, sees it static).
void GraphImporter::fixUnitSymbols(ArrayRef<const onnx::ValueInfoProto *> arguments,
                                   MutableArrayRef<Type> types) {
  for (auto [input, type] : llvm::zip(arguments, types)) {
    auto symbols = inputDimSymbols.find(input->name());
    if (symbols == inputDimSymbols.end())
      continue;
    auto tensor = cast<RankedTensorType>(type);
    SmallVector<int64_t> dims(tensor.getShape());
    for (auto [dim, symbol] : llvm::zip(dims, symbols->second))
      if (!symbol.empty() && symbolBounds.lookup(symbol) == 1) {
        dim = 1;
        symbol.clear();
      }
    type = RankedTensorType::get(dims, tensor.getElementType());
  }
}

/// Each argument with run-time dims names their symbols, and the function
/// bounds every symbol, for the compiler's signature.
void GraphImporter::recordRunTimeDims(func::FuncOp func,
                                      ArrayRef<const onnx::ValueInfoProto *> arguments) {
  SmallVector<NamedAttribute> bounds;
  for (const auto &[symbol, bound] : symbolBounds)
    if (bound > 1)
      bounds.push_back(builder.getNamedAttr(symbol, builder.getI64IntegerAttr(bound)));
  if (bounds.empty())
    return;
  func->setAttr(attn::kDimBoundsAttrName, builder.getDictionaryAttr(bounds));
  for (auto [i, input] : llvm::enumerate(arguments)) {
    auto symbols = inputDimSymbols.find(input->name());
    if (symbols == inputDimSymbols.end() ||
        llvm::all_of(symbols->second, [](const std::string &s) { return s.empty(); }))
      continue;
    SmallVector<StringRef> names(symbols->second.begin(), symbols->second.end());
    func.setArgAttr(i, attn::kDimSymbolsAttrName, builder.getStrArrayAttr(names));
  }
}

FailureOr<Value> GraphImporter::lookup(StringRef name) {
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  auto init = initializers.find(name);
  if (init == initializers.end())
    return emitError(builder.getInsertionBlock()->getParentOp()->getLoc())
           << "tensor '" << name << "' is used before it is defined";
  FailureOr<ElementsAttr> value =
      convertTensor(*init->second, ctx, info.directory, fileLoc);
  if (failed(value))
    return failure();
  Value constant =
      ConstantOp::create(builder, NameLoc::get(builder.getStringAttr(name), fileLoc), *value);
  values[name] = constant;
  return constant;
}

/// The ops whose handlers keep a run-time dim (`?`, from --max-shape) as it
/// is: they never read its extent. Any other op with such an input would
/// fold the unknown extent into a shape or a constant, so it is refused
/// until shape arithmetic on run-time dims exists.
static bool carriesRunTimeDims(StringRef opType, int64_t opset) {
  static const llvm::StringSet<> ops = {
      "Abs", "Add", "And", "Cast", "Ceil", "Clip", "Cos", "Div", "Equal", "Erf", "Exp",
      "Floor", "Gelu", "Greater", "GreaterOrEqual", "Identity", "LayerNormalization", "Less",
      "LessOrEqual", "Log", "LogSoftmax", "MatMul", "Max", "Min", "Mul", "Neg", "Not", "Or",
      "Pow", "Reciprocal", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceSum", "Relu",
      "Sigmoid", "Sin", "Softmax", "Sqrt", "Sub", "Tanh", "Transpose", "Where", "Xor",
      // Shape builds the shape at run time (and ShapeExprs follows it);
      // Reshape takes a target ShapeExprs knows; (Un)Squeeze move unit dims.
      "Shape", "Reshape", "Squeeze", "Unsqueeze",
      // Splits a static dim; the slices take run-time dims whole.
      "Split",
      // Keep the input's run-time dims where they are (Gather: the
      // indices'); Expand and Slice follow ShapeExprs for their targets.
      "Gather", "Trilu", "Expand", "Slice", "Gemm",
      // Along a static axis (the handler refuses a run-time one).
      "Concat"};
  // Before opset 13 a softmax reshapes its input to rows of a product of
  // dims.
  if ((opType == "Softmax" || opType == "LogSoftmax") && opset < 13)
    return false;
  return ops.contains(opType);
}

LogicalResult GraphImporter::checkRunTimeDimsSupported(const onnx::NodeProto &node,
                                                       int64_t opset, ValueRange inputs,
                                                       Location loc) {
  if (carriesRunTimeDims(node.op_type(), opset))
    return success();
  for (auto [i, input] : llvm::enumerate(inputs)) {
    auto type = input ? dyn_cast<RankedTensorType>(input.getType()) : nullptr;
    if (type && !type.hasStaticShape())
      return emitError(loc) << "input " << i << " has type " << type
                            << "; attnc cannot yet compile " << node.op_type()
                            << " on run-time dims (from --max-shape): bind them with "
                               "--input-shape";
  }
  return success();
}

LogicalResult GraphImporter::convertNode(const onnx::NodeProto &node,
                                         int64_t opset, Location loc) {
  bool isDefaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
  NodeHandler handler =
      isDefaultDomain ? registry.lookup(node.op_type(), opset) : nullptr;
  if (!handler)
    return emitError(loc) << "unsupported operator";

  SmallVector<Value> inputs;
  for (const std::string &name : node.input()) {
    if (name.empty()) {
      inputs.push_back(Value());
      continue;
    }
    FailureOr<Value> value = lookup(name);
    if (failed(value))
      return failure();
    inputs.push_back(*value);
  }
  if (failed(checkRunTimeDimsSupported(node, opset, inputs, loc)))
    return failure();
  SmallVector<bool> outputUsed;
  for (const std::string &name : node.output())
    outputUsed.push_back(!name.empty() && usedNames.contains(name));

  OnnxNode onnxNode(node, opset, loc, builder, std::move(inputs),
                    std::move(outputUsed), info.directory);
  onnxNode.setKnownInputValues(&options.inputValues);
  onnxNode.setShapeExprs(&shapeExprs);
  if (failed(handler(onnxNode)))
    return failure();
  SmallVector<Value> nodeInputs, outputs;
  for (unsigned i = 0; i < onnxNode.numInputs(); ++i)
    nodeInputs.push_back(onnxNode.input(i));
  for (unsigned i = 0; i < (unsigned)node.output_size(); ++i)
    outputs.push_back(onnxNode.output(i));
  shapeExprs.evaluate(node, nodeInputs, outputs);
  for (auto [i, name] : llvm::enumerate(node.output())) {
    if (name.empty())
      continue;
    if (Value value = onnxNode.output(i))
      values[name] = value;
    else if (onnxNode.isOutputUsed(i))
      return emitError(loc) << "output " << i << " ('" << name
                            << "') is not supported";
  }
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        size_t index) {
  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  auto opsetIt = info.opsets.find(domain);
  int64_t opset = opsetIt == info.opsets.end() ? 0 : opsetIt->second;
  std::string name = node.name().empty()
                         ? node.op_type() + "_" + std::to_string(index)
                         : node.name();
  Location loc = NameLoc::get(builder.getStringAttr(name), fileLoc);

  std::string message;
  LogicalResult result = success();
  {
    ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &diag) {
      if (diag.getSeverity() != DiagnosticSeverity::Error)
        return failure();
      if (message.empty())
        message = diag.str();
      return success();
    });
    result = convertNode(node, opset, loc);
  }
  if (succeeded(result))
    return success();
  return emitError(loc) << "node '" << name << "' (op '" << node.op_type()
                        << "', domain '" << domainName(domain) << "', opset "
                        << opset << "): "
                        << (message.empty() ? "conversion failed" : message);
}

/// A graph input that is also an initializer is imported as the
/// initializer's constant (older exporters list every weight as an input);
/// a declaration that disagrees with the data would make either reading
/// wrong, so it is refused.
LogicalResult GraphImporter::checkInputMatchesInitializer(const onnx::ValueInfoProto &input,
                                                          const onnx::TensorProto &initializer) {
  if (!input.type().has_tensor_type())
    return emitError(fileLoc) << "input '" << input.name()
                              << "' has an initializer but is not declared a tensor";
  const auto &declared = input.type().tensor_type();
  if (declared.elem_type() != onnx::TensorProto::UNDEFINED &&
      declared.elem_type() != initializer.data_type())
    return emitError(fileLoc) << "input '" << input.name() << "' is declared with element type '"
                              << elementTypeName(declared.elem_type())
                              << "', but its initializer has element type '"
                              << elementTypeName(initializer.data_type()) << "'";
  if (!declared.has_shape())
    return success();
  const onnx::TensorShapeProto &shape = declared.shape();
  bool matches = shape.dim_size() == initializer.dims_size();
  for (int i = 0; matches && i < shape.dim_size(); ++i)
    matches = !shape.dim(i).has_dim_value() || shape.dim(i).dim_value() == initializer.dims(i);
  if (!matches)
    return emitError(fileLoc) << "input '" << input.name() << "' is declared "
                              << declaredShape(shape) << ", but its initializer has shape "
                              << formatShape(SmallVector<int64_t>(initializer.dims().begin(),
                                                                  initializer.dims().end()));
  return success();
}

LogicalResult GraphImporter::checkOutput(const onnx::ValueInfoProto &output,
                                         Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!output.type().has_tensor_type())
    return success();
  const auto &declared = output.type().tensor_type();
  if (declared.elem_type() != onnx::TensorProto::UNDEFINED) {
    Type element = convertElementType(ctx, declared.elem_type());
    if (element != type.getElementType())
      return emitError(fileLoc) << "output '" << output.name()
                                << "' is declared with element type '"
                                << elementTypeName(declared.elem_type())
                                << "', but the graph computes " << type;
  }
  if (!declared.has_shape())
    return success();
  const onnx::TensorShapeProto &shape = declared.shape();
  bool matches = shape.dim_size() == type.getRank();
  for (int i = 0; matches && i < shape.dim_size(); ++i)
    matches = !shape.dim(i).has_dim_value() ||
              shape.dim(i).dim_value() == type.getDimSize(i);
  if (!matches)
    return emitError(fileLoc) << "output '" << output.name()
                              << "' is declared " << declaredShape(shape)
                              << ", but the graph computes "
                              << formatShape(type.getShape());
  return success();
}

void GraphImporter::eraseDeadOps(func::FuncOp func) {
  // Folding leaves the constants it consumed behind; drop what nothing reads.
  Block &body = func.getBody().front();
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();
}

void GraphImporter::spillFoldedWeights(func::FuncOp func) {
  // Folding turns slices and gathers of weights (position tables, say) into
  // dense float constants; give the large ones blobs like the initializers
  // they came from, so weights are never printed inline. Integer and bool
  // constants (ids, masks) stay readable.
  func.walk([&](ConstantOp op) {
    auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
    if (!dense || dense.isSplat() || !isa<FloatType>(dense.getElementType()) ||
        dense.getNumElements() <= kMaxInlineElements)
      return;
    auto nameLoc = dyn_cast<NameLoc>(op.getLoc());
    StringRef name = nameLoc ? nameLoc.getName().strref() : "folded";
    op.setValueAttr(
        makeResourceElements(dense.getType(), name, dense.getRawData()));
  });
}

LogicalResult GraphImporter::run() {
  if (failed(collectInitializers()))
    return failure();

  // Arguments: graph inputs that are not initializers (older exporters
  // list weights as inputs too).
  llvm::StringSet<> inputNames;
  SmallVector<const onnx::ValueInfoProto *> arguments;
  SmallVector<Type> argumentTypes;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (auto init = initializers.find(input.name()); init != initializers.end()) {
      if (failed(checkInputMatchesInitializer(input, *init->second)))
        return failure();
      continue;
    }
    FailureOr<RankedTensorType> type = boundInputType(input);
    if (failed(type))
      return failure();
    arguments.push_back(&input);
    argumentTypes.push_back(*type);
    inputNames.insert(input.name());
  }
  fixUnitSymbols(arguments, argumentTypes);
  for (auto [flag, shapes] : {std::pair{"--input-shape", &options.inputShapes},
                               std::pair{"--max-shape", &options.maxShapes}})
    for (const auto &bound : *shapes) {
      if (inputNames.contains(bound.getKey()))
        continue;
      InFlightDiagnostic diag = emitError(fileLoc)
                                << flag << " names '" << bound.getKey()
                                << "', which is not an input of the graph; its inputs are ";
      if (arguments.empty())
        diag << "none";
      for (auto [i, input] : llvm::enumerate(arguments))
        diag << (i ? ", " : "") << "'" << input->name() << "'";
      return diag;
    }

  builder.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(argumentTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [i, input] : llvm::enumerate(arguments)) {
    BlockArgument argument = body->getArgument(i);
    argument.setLoc(
        NameLoc::get(builder.getStringAttr(input->name()), fileLoc));
    values[input->name()] = argument;
    // Its run-time dims, as shape arithmetic sees them.
    auto symbols = inputDimSymbols.find(input->name());
    if (symbols != inputDimSymbols.end())
      for (auto [dim, symbol] : llvm::enumerate(symbols->second))
        if (!symbol.empty() && symbolBounds.lookup(symbol) > 1)
          shapeExprs.bindArgumentDim(argument, dim,
                                     symbolBounds.find(symbol) - symbolBounds.begin(),
                                     symbolBounds.lookup(symbol));
  }

  for (const onnx::NodeProto &node : graph.node())
    for (const std::string &name : node.input())
      usedNames.insert(name);
  for (const onnx::ValueInfoProto &output : graph.output())
    usedNames.insert(output.name());

  builder.setInsertionPointToEnd(body);
  for (auto [index, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, index)))
      return failure();

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    if (!values.contains(output.name()) &&
        !initializers.contains(output.name()))
      return emitError(fileLoc) << "output '" << output.name()
                                << "' is not computed by any node";
    FailureOr<Value> value = lookup(output.name());
    if (failed(value) || failed(checkOutput(output, *value)))
      return failure();
    results.push_back(*value);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setType(builder.getFunctionType(argumentTypes, ValueRange(results).getTypes()));
  for (auto [i, input] : llvm::enumerate(arguments))
    func.setArgAttr(i, "attnc.name", builder.getStringAttr(input->name()));
  recordRunTimeDims(func, arguments);
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "attnc.name", builder.getStringAttr(output.name()));
  eraseDeadOps(func);
  spillFoldedWeights(func);
  return success();
}

LogicalResult mlir::attn::onnx_frontend::importGraph(
    ModuleOp module, const onnx::ModelProto &model, const ModelInfo &info,
    const ImportOptions &options) {
  return GraphImporter(module, model, info, options).run();
}

//===- Importer.cpp - Parse and validate ONNX models ----------------------===//
//
// Reads a binary or textual ONNX model, checks its opset, runs the ONNX
// checker where ONNX 1.12 knows the opset, and hands the graph to
// GraphImporter. libonnx reports errors by throwing; every call into it is
// caught here and turned into one diagnostic.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Importer.h"
#include "dialects/attn/AttnOps.h"
#include "frontends/onnx/GraphImporter.h"
#include "frontends/onnx/Tensors.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <google/protobuf/io/coded_stream.h>
#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

/// Default-domain opsets attnc imports: from 7 (numpy broadcasting in the
/// arithmetic ops) to 23. Each node's handler is the one for the op version
/// in effect at the model's opset (Registry.h); older forms (attribute
/// axes, splits and slices, Clip-6's bounds, Softmax-1's 2-D coercion) have
/// their own. Above 23, ops may have changed in ways the handlers do not
/// know.
static constexpr int64_t kMinOpset = 7;
static constexpr int64_t kMaxOpset = 23;
/// What ONNX 1.12's checker and schema registry understand.
static constexpr int64_t kCheckerMaxOpset = 17;
static constexpr int64_t kCheckerMaxIrVersion = onnx::IR_VERSION;

/// The first line of a libonnx exception message (the rest is context that
/// repeats the node).
static std::string firstLine(const char *what) {
  StringRef text(what);
  return text.take_until([](char c) { return c == '\n'; }).trim().str();
}

/// A multi-line parser message joined into one line.
static std::string oneLine(const std::string &text) {
  SmallVector<StringRef> lines;
  StringRef(text).split(lines, '\n', -1, /*KeepEmpty=*/false);
  std::string result;
  for (StringRef line : lines) {
    if (!result.empty())
      result += " ";
    result += line.trim().str();
  }
  return result;
}

/// Runs the ONNX checker on the graph when every node has a schema it knows:
/// for other models the importer's own "unsupported operator" is clearer.
static LogicalResult runChecker(const onnx::ModelProto &model,
                                const ModelInfo &info, Location loc) {
  int64_t opset = info.opsets.at("");
  if (opset > kCheckerMaxOpset || model.ir_version() > kCheckerMaxIrVersion)
    return success();
  for (const onnx::NodeProto &node : model.graph().node()) {
    auto it = info.opsets.find(node.domain() == "ai.onnx" ? "" : node.domain());
    int64_t version = it == info.opsets.end() ? 0 : it->second;
    if (!onnx::OpSchemaRegistry::Schema(node.op_type(), version, node.domain()))
      return success();
  }
  onnx::checker::CheckerContext checker;
  checker.set_ir_version(model.ir_version());
  std::unordered_map<std::string, int> opsets;
  for (const auto &[domain, version] : info.opsets)
    opsets[domain] = version;
  checker.set_opset_imports(opsets);
  // External data is resolved against the model's directory, not the
  // current one.
  checker.set_model_dir(info.directory);
  onnx::checker::LexicalScopeContext scope;
  try {
    onnx::checker::check_graph(model.graph(), checker, scope);
  } catch (const std::exception &error) {
    return emitError(loc) << "ONNX model '" << info.path
                          << "' is invalid: " << firstLine(error.what());
  }
  return success();
}

static OwningOpRef<ModuleOp> importModel(MLIRContext &ctx,
                                         const onnx::ModelProto &model,
                                         ModelInfo info,
                                         const ImportOptions &options) {
  Location loc = FileLineColLoc::get(&ctx, info.path, 0, 0);
  for (const onnx::OperatorSetIdProto &opset : model.opset_import()) {
    std::string domain = opset.domain() == "ai.onnx" ? "" : opset.domain();
    info.opsets[domain] = opset.version();
  }
  auto defaultOpset = info.opsets.find("");
  if (defaultOpset == info.opsets.end()) {
    emitError(loc) << "ONNX model '" << info.path
                   << "' imports no version of the default domain "
                      "(opset_import has no entry for \"\" or \"ai.onnx\")";
    return {};
  }
  if (defaultOpset->second < kMinOpset) {
    emitError(loc) << "model opset " << defaultOpset->second
                   << " is below the supported minimum " << kMinOpset;
    return {};
  }
  if (defaultOpset->second > kMaxOpset) {
    emitError(loc) << "model opset " << defaultOpset->second
                   << " is above the supported maximum " << kMaxOpset;
    return {};
  }
  // Missing weight files are reported before the checker, which would
  // report them in its own words.
  for (const onnx::TensorProto &tensor : model.graph().initializer())
    if (tensor.data_location() == onnx::TensorProto::EXTERNAL &&
        failed(checkExternalData(tensor, info.directory, loc)))
      return {};
  if (failed(runChecker(model, info, loc)))
    return {};

  ctx.loadDialect<AttnDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  try {
    if (failed(importGraph(*module, model, info, options)))
      return {};
  } catch (const std::exception &error) {
    emitError(loc) << "ONNX model '" << info.path
                   << "' could not be imported: " << firstLine(error.what());
    return {};
  }
  return module;
}

static std::string parentDirectory(StringRef path) {
  StringRef parent = llvm::sys::path::parent_path(path);
  return parent.empty() ? "." : parent.str();
}

bool mlir::attn::onnx_frontend::looksLikeOnnxText(StringRef contents) {
  // The text form starts with `<` after any `#` comment lines; a binary
  // ModelProto starts with a field tag (ir_version is 0x08).
  StringRef start = contents.ltrim();
  while (start.starts_with("#"))
    start = start.drop_until([](char c) { return c == '\n'; }).ltrim();
  return start.starts_with("<");
}

OwningOpRef<ModuleOp>
mlir::attn::onnx_frontend::importOnnxFile(MLIRContext &ctx, StringRef path,
                                          const ImportOptions &options) {
  Location loc = FileLineColLoc::get(&ctx, path, 0, 0);
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) {
    emitError(loc) << "cannot open ONNX model '" << path
                   << "': " << file.getError().message();
    return {};
  }
  if (looksLikeOnnxText((*file)->getBuffer()))
    return importOnnxText(ctx, (*file)->getBuffer(), path, options);
  onnx::ModelProto model;
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>((*file)->getBufferStart()),
      (*file)->getBufferSize());
  stream.SetTotalBytesLimit(std::numeric_limits<int>::max());
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage() ||
      !model.has_graph()) {
    emitError(loc) << "failed to parse ONNX model '" << path
                   << "': the file is truncated or not an ONNX ModelProto (or nests "
                      "subgraphs deeper than protobuf's limit of 100)";
    return {};
  }
  // The ModelProto holds its own copy of every byte from here on.
  file->reset();
  ModelInfo info;
  info.path = path.str();
  info.directory = parentDirectory(path);
  return importModel(ctx, model, std::move(info), options);
}

OwningOpRef<ModuleOp> mlir::attn::onnx_frontend::importOnnxText(
    MLIRContext &ctx, StringRef text, StringRef bufferName,
    const ImportOptions &options) {
  Location loc = FileLineColLoc::get(&ctx, bufferName, 0, 0);
  onnx::ModelProto model;
  std::string source = text.str();
  try {
    onnx::OnnxParser parser(source.c_str());
    onnx::Common::Status status = parser.Parse(model);
    if (!status.IsOK()) {
      emitError(loc) << "failed to parse ONNX model '" << bufferName
                     << "': " << oneLine(status.ErrorMessage());
      return {};
    }
  } catch (const std::exception &error) {
    emitError(loc) << "failed to parse ONNX model '" << bufferName
                   << "': " << firstLine(error.what());
    return {};
  }
  ModelInfo info;
  info.path = bufferName.str();
  info.directory = parentDirectory(bufferName);
  return importModel(ctx, model, std::move(info), options);
}

//===- Tensors.cpp - ONNX element types and TensorProto data --------------===//

#include "frontends/onnx/Tensors.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SwapByteOrder.h"
#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace mlir::attn::onnx_frontend;
using onnx::TensorProto;

Type mlir::attn::onnx_frontend::convertElementType(MLIRContext *ctx,
                                                   int32_t onnxType) {
  Builder b(ctx);
  switch (onnxType) {
  case TensorProto::FLOAT:
    return b.getF32Type();
  case TensorProto::DOUBLE:
    return b.getF64Type();
  case TensorProto::FLOAT16:
    return b.getF16Type();
  case TensorProto::INT64:
    return b.getI64Type();
  case TensorProto::INT32:
    return b.getI32Type();
  case TensorProto::INT16:
    return b.getI16Type();
  case TensorProto::INT8:
    return b.getI8Type();
  // Unsigned integers keep their signedness in the type: the lowering
  // picks unsigned compare, divide, extend and convert from it.
  case TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case TensorProto::UINT16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case TensorProto::UINT32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case TensorProto::UINT64:
    return b.getIntegerType(64, /*isSigned=*/false);
  case TensorProto::BFLOAT16:
    return b.getBF16Type();
  case TensorProto::BOOL:
    return b.getI1Type();
  default:
    return {};
  }
}

std::string mlir::attn::onnx_frontend::elementTypeName(int32_t onnxType) {
  std::string name = onnx::TensorProto_DataType_IsValid(onnxType)
                         ? onnx::TensorProto_DataType_Name(onnxType)
                         : std::string();
  if (name.empty())
    return "data type " + std::to_string(onnxType);
  return llvm::StringRef(name).lower();
}

std::string mlir::attn::onnx_frontend::formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(shape, os);
  os << "]";
  return text;
}

std::optional<int64_t>
mlir::attn::onnx_frontend::elementCount(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    if (dim < 0 || llvm::MulOverflow(count, dim, count))
      return std::nullopt;
  return count;
}

namespace {

/// Where an external tensor's bytes live.
struct ExternalLocation {
  std::string path;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

} // namespace

static FailureOr<ExternalLocation>
readExternalLocation(const TensorProto &tensor, StringRef modelDir,
                     Location loc) {
  ExternalLocation result;
  std::string location;
  for (const auto &entry : tensor.external_data()) {
    uint64_t number = 0;
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      if (llvm::StringRef(entry.value()).getAsInteger(10, number)) {
        emitError(loc) << "tensor '" << tensor.name() << "' has external "
                       << entry.key() << " '" << entry.value()
                       << "', expected a non-negative integer";
        return failure();
      }
      if (entry.key() == "offset")
        result.offset = number;
      else
        result.length = number;
    }
  }
  if (location.empty()) {
    emitError(loc) << "tensor '" << tensor.name()
                   << "' is stored externally but names no location";
    return failure();
  }
  // External data lives beside the model: a path that leaves its folder
  // (absolute, through "..", or through a symlink) is refused before any
  // file is opened, so a downloaded model cannot make attnc read elsewhere.
  auto leaves = [&](StringRef why) {
    emitError(loc) << "tensor '" << tensor.name() << "' has external data location '"
                   << location << "', " << why
                   << "; external data must be a relative path inside the model's folder";
    return failure();
  };
  if (llvm::sys::path::is_absolute(location) || StringRef(location).starts_with("/"))
    return leaves("an absolute path");
  for (StringRef component : llvm::make_range(llvm::sys::path::begin(location),
                                              llvm::sys::path::end(location)))
    if (component == "..")
      return leaves("which leaves the model's folder");
  llvm::SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  llvm::SmallString<256> realPath, realDir;
  if (!llvm::sys::fs::real_path(path, realPath) &&
      !llvm::sys::fs::real_path(modelDir.empty() ? "." : modelDir, realDir)) {
    StringRef inside(realPath);
    if (!inside.consume_front(realDir) || !llvm::sys::path::is_separator(inside.front()))
      return leaves(("which resolves to '" + realPath + "', outside the model's folder").str());
  }
  result.path = std::string(path);
  return result;
}

/// Maps the tensor's byte range of its external file (read, not copied:
/// the caller copies it once, into the tensor's blob).
static FailureOr<std::unique_ptr<llvm::MemoryBuffer>>
openExternalData(const TensorProto &tensor, StringRef modelDir, Location loc,
                 int64_t expectedBytes) {
  FailureOr<ExternalLocation> where =
      readExternalLocation(tensor, modelDir, loc);
  if (failed(where))
    return failure();
  auto cannotRead = [&](std::error_code error) {
    emitError(loc) << "tensor '" << tensor.name()
                   << "' is stored in external data file '" << where->path
                   << "', which cannot be read: " << error.message();
    return failure();
  };
  uint64_t fileSize = 0;
  if (std::error_code error = llvm::sys::fs::file_size(where->path, fileSize))
    return cannotRead(error);
  uint64_t length = where->length.value_or(
      where->offset <= fileSize ? fileSize - where->offset : 0);
  if (length != (uint64_t)expectedBytes || where->offset > fileSize ||
      length > fileSize - where->offset) {
    emitError(loc) << "tensor '" << tensor.name() << "' expects "
                   << expectedBytes << " bytes at offset " << where->offset
                   << " of '" << where->path << "', found a length of "
                   << length << " in a file of " << fileSize << " bytes";
    return failure();
  }
  auto slice = llvm::MemoryBuffer::getFileSlice(where->path, length, where->offset);
  if (!slice)
    return cannotRead(slice.getError());
  return std::move(*slice);
}

LogicalResult mlir::attn::onnx_frontend::checkExternalData(
    const TensorProto &tensor, StringRef modelDir, Location loc) {
  FailureOr<ExternalLocation> where =
      readExternalLocation(tensor, modelDir, loc);
  if (failed(where))
    return failure();
  if (!llvm::sys::fs::exists(where->path)) {
    emitError(loc) << "tensor '" << tensor.name()
                   << "' is stored in external data file '" << where->path
                   << "', which does not exist";
    return failure();
  }
  return success();
}

/// Narrows the int32_data field, where ONNX keeps bool, (u)int8, (u)int16,
/// float16 and bfloat16 (as raw bits) one element per int32.
template <typename T>
static std::vector<char> narrowInt32Data(const TensorProto &tensor) {
  std::vector<char> bytes(tensor.int32_data_size() * sizeof(T));
  for (int i = 0; i < tensor.int32_data_size(); ++i) {
    T value = static_cast<T>(tensor.int32_data(i));
    std::memcpy(bytes.data() + i * sizeof(T), &value, sizeof(T));
  }
  return bytes;
}

/// Narrows the uint64_data field, where ONNX keeps uint32 one element per
/// uint64.
template <typename T>
static std::vector<char> narrowUint64Data(const TensorProto &tensor) {
  std::vector<char> bytes(tensor.uint64_data_size() * sizeof(T));
  for (int i = 0; i < tensor.uint64_data_size(); ++i) {
    T value = static_cast<T>(tensor.uint64_data(i));
    std::memcpy(bytes.data() + i * sizeof(T), &value, sizeof(T));
  }
  return bytes;
}

template <typename Field>
static std::vector<char> fieldBytes(const Field &field) {
  std::vector<char> bytes(field.size() * sizeof(field.Get(0)));
  if (!bytes.empty())
    std::memcpy(bytes.data(), field.data(), bytes.size());
  return bytes;
}

/// The little-endian bytes of the tensor's typed data field.
static std::vector<char> typedFieldBytes(const TensorProto &tensor) {
  switch (tensor.data_type()) {
  case TensorProto::FLOAT:
    return fieldBytes(tensor.float_data());
  case TensorProto::DOUBLE:
    return fieldBytes(tensor.double_data());
  case TensorProto::INT64:
    return fieldBytes(tensor.int64_data());
  case TensorProto::INT32:
    return narrowInt32Data<int32_t>(tensor);
  case TensorProto::INT16:
    return narrowInt32Data<int16_t>(tensor);
  case TensorProto::INT8:
  case TensorProto::UINT8:
  case TensorProto::BOOL:
    return narrowInt32Data<int8_t>(tensor);
  case TensorProto::UINT16:
  case TensorProto::FLOAT16:
  case TensorProto::BFLOAT16:
    return narrowInt32Data<uint16_t>(tensor);
  case TensorProto::UINT32:
    return narrowUint64Data<uint32_t>(tensor);
  case TensorProto::UINT64:
    return fieldBytes(tensor.uint64_data());
  default:
    return {};
  }
}

/// A name usable as a resource key: [A-Za-z0-9_.], not starting with a
/// digit or dot.
static std::string blobName(StringRef tensorName) {
  std::string name;
  for (char c : tensorName)
    name.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  if (name.empty() || !(llvm::isAlpha(name[0]) || name[0] == '_'))
    name.insert(name.begin(), '_');
  return name;
}

ElementsAttr mlir::attn::onnx_frontend::makeResourceElements(
    ShapedType type, StringRef tensorName, ArrayRef<char> data) {
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      data, alignof(std::max_align_t));
  return DenseResourceElementsAttr::get(type, blobName(tensorName),
                                        std::move(blob));
}

FailureOr<ElementsAttr> mlir::attn::onnx_frontend::convertTensor(
    const TensorProto &tensor, MLIRContext *ctx, StringRef modelDir,
    Location loc, StringRef fallbackName) {
  // Constant nodes often leave their tensor unnamed.
  StringRef name = tensor.name().empty() ? fallbackName : tensor.name();
  static_assert(sizeof(float) == 4 && sizeof(double) == 8);
  if (!llvm::sys::IsLittleEndianHost) {
    emitError(loc) << "reading ONNX tensor data needs a little-endian host";
    return failure();
  }
  Type element = convertElementType(ctx, tensor.data_type());
  if (!element) {
    emitError(loc) << "tensor '" << name
                   << "' has unsupported element type '"
                   << elementTypeName(tensor.data_type()) << "'";
    return failure();
  }
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  std::optional<int64_t> elements = elementCount(shape);
  if (!elements) {
    emitError(loc) << "tensor '" << name << "' has an invalid shape "
                   << formatShape(shape);
    return failure();
  }
  int64_t count = *elements;
  auto type = RankedTensorType::get(shape, element);
  // i1 is one byte per element in ONNX and in resource blobs.
  int64_t elementBytes =
      element.isInteger(1) ? 1 : element.getIntOrFloatBitWidth() / 8;
  int64_t expectedBytes = count * elementBytes;

  std::vector<char> bytes;
  std::unique_ptr<llvm::MemoryBuffer> external;
  ArrayRef<char> data;
  if (tensor.data_location() == TensorProto::EXTERNAL) {
    auto buffer = openExternalData(tensor, modelDir, loc, expectedBytes);
    if (failed(buffer))
      return failure();
    external = std::move(*buffer);
    data = ArrayRef<char>(external->getBufferStart(), external->getBufferSize());
  } else if (tensor.has_raw_data()) {
    data = ArrayRef<char>(tensor.raw_data().data(), tensor.raw_data().size());
  } else {
    bytes = typedFieldBytes(tensor);
    data = bytes;
  }
  if ((int64_t)data.size() != expectedBytes) {
    emitError(loc) << "tensor '" << name << "' of shape "
                   << formatShape(shape) << " holds " << data.size() << " bytes, expected "
                   << expectedBytes;
    return failure();
  }

  if (count > kMaxInlineElements)
    return makeResourceElements(type, name, data);
  if (element.isInteger(1)) {
    SmallVector<bool> bits(llvm::map_range(data, [](char c) { return c != 0; }));
    return ElementsAttr(DenseElementsAttr::get(type, bits));
  }
  if (count == 0)
    return ElementsAttr(DenseElementsAttr::get(type, ArrayRef<Attribute>()));
  return ElementsAttr(DenseElementsAttr::getFromRawBuffer(type, data));
}

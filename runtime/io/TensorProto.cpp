//===- TensorProto.cpp - ONNX TensorProto .pb files -------------*- C++ -*-===//
//
// Reads the TensorProto fields a tensor file uses (onnx.proto field numbers:
// dims 1, data_type 2, float_data 4, int32_data 5, string_data 6,
// int64_data 7, name 8, raw_data 9, double_data 10, uint64_data 11,
// external_data 13, data_location 14) and skips the rest.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/TensorFile.h"

#include "runtime/io/ProtoWire.h"
#include "runtime/src/Shape.h"

#include <cstring>

namespace attnc::io {
namespace {

using wire::Reader;
using wire::WireType;

enum Field : uint32_t {
  kDims = 1,
  kDataType = 2,
  kFloatData = 4,
  kInt32Data = 5,
  kStringData = 6,
  kInt64Data = 7,
  kName = 8,
  kRawData = 9,
  kDoubleData = 10,
  kUint64Data = 11,
  kExternalData = 13,
  kDataLocation = 14,
};

constexpr uint64_t kDataLocationExternal = 1;

struct OnnxType {
  int code;
  const char *name;
  attnc_dtype_t dtype; ///< INVALID: no attnc dtype
};

constexpr OnnxType kOnnxTypes[] = {
    {1, "FLOAT", ATTNC_DTYPE_F32},
    {2, "UINT8", ATTNC_DTYPE_U8},
    {3, "INT8", ATTNC_DTYPE_I8},
    {4, "UINT16", ATTNC_DTYPE_U16},
    {5, "INT16", ATTNC_DTYPE_I16},
    {6, "INT32", ATTNC_DTYPE_I32},
    {7, "INT64", ATTNC_DTYPE_I64},
    {8, "STRING", ATTNC_DTYPE_INVALID},
    {9, "BOOL", ATTNC_DTYPE_I1},
    {10, "FLOAT16", ATTNC_DTYPE_F16},
    {11, "DOUBLE", ATTNC_DTYPE_F64},
    {12, "UINT32", ATTNC_DTYPE_U32},
    {13, "UINT64", ATTNC_DTYPE_U64},
    {14, "COMPLEX64", ATTNC_DTYPE_INVALID},
    {15, "COMPLEX128", ATTNC_DTYPE_INVALID},
    {16, "BFLOAT16", ATTNC_DTYPE_BF16},
};

const OnnxType *findOnnxType(int64_t code) {
  for (const OnnxType &type : kOnnxTypes)
    if (type.code == code)
      return &type;
  return nullptr;
}

const OnnxType *findOnnxType(attnc_dtype_t dtype) {
  for (const OnnxType &type : kOnnxTypes)
    if (type.dtype == dtype && dtype != ATTNC_DTYPE_INVALID)
      return &type;
  return nullptr;
}

const char *fieldName(uint32_t field) {
  switch (field) {
  case kDims:
    return "dims";
  case kDataType:
    return "data_type";
  case kFloatData:
    return "float_data";
  case kInt32Data:
    return "int32_data";
  case kInt64Data:
    return "int64_data";
  case kDoubleData:
    return "double_data";
  case kUint64Data:
    return "uint64_data";
  case kName:
    return "name";
  case kRawData:
    return "raw_data";
  default:
    return "field";
  }
}

/// The typed data fields, decoded but not yet checked against data_type.
struct TypedData {
  std::vector<uint64_t> varints[3]; ///< int32, int64, uint64 values; by slot
  std::vector<uint32_t> floats;
  std::vector<uint64_t> doubles;
};

/// Which TypedData slot a varint field fills.
int varintSlot(uint32_t field) {
  return field == kInt32Data ? 0 : field == kInt64Data ? 1 : 2;
}

class TensorProtoParser {
public:
  TensorProtoParser(const uint8_t *data, size_t size,
                    const std::string &fileName)
      : reader(data, size), where(" TensorProto in '" + fileName + "': ") {}

  Result<Tensor> parse() {
    while (!reader.atEnd()) {
      uint32_t field = 0;
      WireType type = WireType::Varint;
      if (!reader.readTag(field, type) || !parseField(field, type))
        return failure.ok() ? readerFailure() : Result<Tensor>(failure);
    }
    return finish();
  }

private:
  Status invalid(const std::string &message) const {
    return Status::error("invalid" + where + message);
  }
  Status unsupported(const std::string &message) const {
    return Status::error("unsupported" + where + message);
  }
  /// Records why parsing stopped; always false.
  bool reject(Status status) {
    failure = std::move(status);
    return false;
  }
  Status readerFailure() {
    return Status::error((reader.truncated() ? "truncated" : "invalid") +
                         where + reader.error());
  }

  bool wrongType(uint32_t field, WireType type, const char *expected) {
    return reject(invalid("field " + std::to_string(field) + " (" +
                          fieldName(field) + ") has wire type " +
                          wire::wireTypeName(type) + ", expected " + expected));
  }

  /// Reads a repeated varint field, packed or not.
  bool readVarints(uint32_t field, WireType type, std::vector<uint64_t> &out) {
    uint64_t value = 0;
    if (type == WireType::Varint) {
      if (!reader.readVarint(value))
        return false;
      out.push_back(value);
      return true;
    }
    if (type != WireType::LengthDelimited)
      return wrongType(field, type, "varint or length-delimited");
    const uint8_t *payload = nullptr;
    size_t size = 0;
    if (!reader.readLengthDelimited(payload, size))
      return false;
    Reader packed(payload, size, "packed field " + std::to_string(field));
    while (!packed.atEnd()) {
      if (!packed.readVarint(value))
        return reject(invalid(packed.error()));
      out.push_back(value);
    }
    return true;
  }

  /// Reads a repeated fixed-width field (4 or 8 bytes), packed or not.
  template <typename T>
  bool readFixed(uint32_t field, WireType type, std::vector<T> &out) {
    constexpr bool wide = sizeof(T) == 8;
    WireType single = wide ? WireType::Fixed64 : WireType::Fixed32;
    if (type == single) {
      uint64_t value64 = 0;
      uint32_t value32 = 0;
      if (!(wide ? reader.readFixed64(value64) : reader.readFixed32(value32)))
        return false;
      out.push_back(wide ? static_cast<T>(value64) : static_cast<T>(value32));
      return true;
    }
    if (type != WireType::LengthDelimited)
      return wrongType(field, type,
                       wide ? "fixed64 or length-delimited"
                            : "fixed32 or length-delimited");
    const uint8_t *payload = nullptr;
    size_t size = 0;
    if (!reader.readLengthDelimited(payload, size))
      return false;
    if (size % sizeof(T))
      return reject(invalid("field " + std::to_string(field) + " (" +
                            fieldName(field) + ") has " + std::to_string(size) +
                            " bytes, not a multiple of " +
                            std::to_string(sizeof(T))));
    size_t start = out.size();
    out.resize(start + size / sizeof(T));
    if (size)
      std::memcpy(out.data() + start, payload, size);
    return true;
  }

  bool parseField(uint32_t field, WireType type) {
    uint64_t value = 0;
    const uint8_t *payload = nullptr;
    size_t size = 0;
    switch (field) {
    case kDims:
      return readVarints(field, type, dims);
    case kDataType:
      if (type != WireType::Varint)
        return wrongType(field, type, "varint");
      if (!reader.readVarint(value))
        return false;
      dataType = static_cast<int64_t>(value);
      hasDataType = true;
      return true;
    case kFloatData:
      return readFixed(field, type, typed.floats);
    case kDoubleData:
      return readFixed(field, type, typed.doubles);
    case kInt32Data:
    case kInt64Data:
    case kUint64Data:
      return readVarints(field, type, typed.varints[varintSlot(field)]);
    case kName:
    case kRawData:
      if (type != WireType::LengthDelimited)
        return wrongType(field, type, "length-delimited");
      if (!reader.readLengthDelimited(payload, size))
        return false;
      if (field == kName) {
        name.assign(reinterpret_cast<const char *>(payload), size);
      } else {
        raw = payload;
        rawSize = size;
        hasRaw = true;
      }
      return true;
    case kStringData:
      return reject(unsupported(
          "string tensors (field 6, string_data) are not supported"));
    case kExternalData:
      return reject(unsupported("external data (field 13, external_data) is "
                                "not supported; save the tensor with its "
                                "data inline"));
    case kDataLocation:
      if (type != WireType::Varint)
        return wrongType(field, type, "varint");
      if (!reader.readVarint(value))
        return false;
      if (value == kDataLocationExternal)
        return reject(unsupported("external data (field 14, data_location = "
                                  "EXTERNAL) is not supported; save the "
                                  "tensor with its data inline"));
      return true;
    default:
      return reader.skip(type);
    }
  }

  /// The typed field that data_type `dtype` stores its values in.
  static uint32_t typedFieldFor(attnc_dtype_t dtype) {
    switch (dtype) {
    case ATTNC_DTYPE_F32:
      return kFloatData;
    case ATTNC_DTYPE_F64:
      return kDoubleData;
    case ATTNC_DTYPE_I64:
      return kInt64Data;
    case ATTNC_DTYPE_U32:
    case ATTNC_DTYPE_U64:
      return kUint64Data;
    default:
      return kInt32Data;
    }
  }

  size_t typedCount(uint32_t field) const {
    switch (field) {
    case kFloatData:
      return typed.floats.size();
    case kDoubleData:
      return typed.doubles.size();
    default:
      return typed.varints[varintSlot(field)].size();
    }
  }

  /// Range of int32_data values that fit `dtype`; f16/bf16 bits are accepted
  /// sign-extended as well as zero-extended.
  static void int32Range(attnc_dtype_t dtype, int64_t &low, int64_t &high) {
    switch (dtype) {
    case ATTNC_DTYPE_I1:
      low = 0, high = 1;
      return;
    case ATTNC_DTYPE_I8:
      low = -128, high = 127;
      return;
    case ATTNC_DTYPE_U8:
      low = 0, high = 255;
      return;
    case ATTNC_DTYPE_I16:
      low = -32768, high = 32767;
      return;
    case ATTNC_DTYPE_U16:
      low = 0, high = 65535;
      return;
    case ATTNC_DTYPE_F16:
    case ATTNC_DTYPE_BF16:
      low = -32768, high = 65535;
      return;
    default:
      low = INT32_MIN, high = INT32_MAX;
      return;
    }
  }

  Result<Tensor> finish() {
    Tensor tensor;
    tensor.name = name;
    for (size_t i = 0; i < dims.size(); ++i) {
      auto dim = static_cast<int64_t>(dims[i]);
      if (dim < 0)
        return invalid("dim " + std::to_string(i) + " is negative (" +
                       std::to_string(dim) + ")");
      tensor.shape.push_back(dim);
    }
    if (!hasDataType || dataType == 0)
      return invalid("data_type is missing");
    const OnnxType *onnxType = findOnnxType(dataType);
    if (!onnxType)
      return unsupported("unknown data_type " + std::to_string(dataType));
    if (onnxType->dtype == ATTNC_DTYPE_INVALID)
      return unsupported("data_type " + std::to_string(dataType) + " (" +
                         onnxType->name + ") has no attnc dtype");
    tensor.dtype = onnxType->dtype;

    size_t elementSize = attnc_dtype_size(tensor.dtype);
    size_t count = 0;
    std::string described = formatShapeAndDtype(
        tensor.shape.data(), tensor.shape.size(), tensor.dtype);
    if (!checkedElementCount(tensor.shape.data(), tensor.shape.size(),
                             elementSize, count))
      return invalid("shape " + described +
                     " has more bytes than fit in memory");

    uint32_t expectedField = typedFieldFor(tensor.dtype);
    for (uint32_t field :
         {kFloatData, kInt32Data, kInt64Data, kDoubleData, kUint64Data}) {
      if (!typedCount(field))
        continue;
      if (hasRaw)
        return invalid(std::string("both raw_data and ") + fieldName(field) +
                       " hold data");
      if (field != expectedField)
        return invalid(std::string(fieldName(field)) +
                       " does not apply to data_type " + onnxType->name +
                       " (expected " + fieldName(expectedField) + ")");
    }

    if (hasRaw) {
      if (rawSize != count * elementSize)
        return invalid(
            "raw_data has " + std::to_string(rawSize) + " bytes, expected " +
            std::to_string(count * elementSize) + " for shape " + described);
      tensor.bytes.assign(raw, raw + rawSize);
    } else {
      size_t given = typedCount(expectedField);
      if (given != count)
        return invalid(std::string(fieldName(expectedField)) + " has " +
                       std::to_string(given) + " values, expected " +
                       std::to_string(count) + " for shape " + described);
      if (Status status = decodeTyped(tensor, expectedField, count); !status)
        return status;
    }
    if (Status status = checkConsistent(tensor); !status)
      return invalid(status.message());
    return tensor;
  }

  Status decodeTyped(Tensor &tensor, uint32_t field, size_t count) {
    size_t elementSize = attnc_dtype_size(tensor.dtype);
    tensor.bytes.resize(count * elementSize);
    if (!count)
      return Status();
    uint8_t *out = tensor.bytes.data();
    if (field == kFloatData) {
      std::memcpy(out, typed.floats.data(), count * 4);
      return Status();
    }
    if (field == kDoubleData) {
      std::memcpy(out, typed.doubles.data(), count * 8);
      return Status();
    }
    const std::vector<uint64_t> &values = typed.varints[varintSlot(field)];
    if (field == kInt64Data || tensor.dtype == ATTNC_DTYPE_U64) {
      std::memcpy(out, values.data(), count * 8);
      return Status();
    }
    if (field == kUint64Data) {
      // uint32 values: uint64_data varints that must fit in 32 bits.
      for (size_t i = 0; i < count; ++i) {
        if (values[i] > UINT32_MAX)
          return invalid("uint64_data value " + std::to_string(values[i]) + " at index " +
                         std::to_string(i) + " does not fit in u32");
        auto bits = static_cast<uint32_t>(values[i]);
        std::memcpy(out + i * elementSize, &bits, elementSize);
      }
      return Status();
    }
    int64_t low = 0, high = 0;
    int32Range(tensor.dtype, low, high);
    for (size_t i = 0; i < count; ++i) {
      // int32 values are varints of the sign-extended 64-bit value.
      auto value = static_cast<int64_t>(static_cast<int32_t>(values[i]));
      if (static_cast<int64_t>(values[i]) != value || value < low ||
          value > high)
        return invalid("int32_data value " +
                       std::to_string(static_cast<int64_t>(values[i])) +
                       " at index " + std::to_string(i) + " does not fit in " +
                       attnc_dtype_name(tensor.dtype));
      auto bits = static_cast<uint32_t>(value);
      std::memcpy(out + i * elementSize, &bits, elementSize);
    }
    return Status();
  }

  Reader reader;
  std::string where;
  Status failure;

  std::vector<uint64_t> dims;
  int64_t dataType = 0;
  bool hasDataType = false;
  std::string name;
  const uint8_t *raw = nullptr;
  size_t rawSize = 0;
  bool hasRaw = false;
  TypedData typed;
};

} // namespace

Result<Tensor> parseTensorProto(const uint8_t *data, size_t size,
                                const std::string &fileName) {
  return TensorProtoParser(data, size, fileName).parse();
}

Result<std::vector<uint8_t>> serializeTensorProto(const Tensor &tensor) {
  if (Status status = checkConsistent(tensor); !status)
    return status;
  const OnnxType *onnxType = findOnnxType(tensor.dtype);
  if (!onnxType)
    return Status::error(std::string(attnc_dtype_name(tensor.dtype)) +
                         " has no ONNX data_type");
  std::vector<uint8_t> out;
  out.reserve(tensor.bytes.size() + tensor.name.size() + 16 +
              10 * tensor.shape.size());
  wire::Writer writer(out);
  // Field order and unpacked dims match what onnx's own serializer writes.
  for (int64_t dim : tensor.shape)
    writer.writeVarintField(kDims, static_cast<uint64_t>(dim));
  writer.writeVarintField(kDataType, static_cast<uint64_t>(onnxType->code));
  writer.writeBytesField(kName, tensor.name.data(), tensor.name.size());
  writer.writeBytesField(kRawData, tensor.bytes.data(), tensor.bytes.size());
  return out;
}

} // namespace attnc::io

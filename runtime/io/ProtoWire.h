//===- ProtoWire.h - Minimal protobuf wire-format reader/writer -*- C++ -*-===//
//
// Just enough of the protobuf encoding (varints, fixed32/64, length-delimited
// fields) to read and write one flat message such as ONNX's TensorProto
// without libprotobuf. Every read is bounds-checked.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_IO_PROTOWIRE_H
#define ATTNC_RUNTIME_IO_PROTOWIRE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace attnc::io::wire {

enum class WireType : uint8_t {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
};

/// "varint", "fixed64", "length-delimited", ...
const char *wireTypeName(WireType type);

/// Reads fields from a byte range. On failure a call returns false and
/// leaves a message in error(); truncated() tells whether the data simply
/// ended early (as opposed to being malformed).
class Reader {
public:
  /// `context` ends "runs past the end of ..." messages: "the file", or
  /// "packed field 5" for a reader over one field's payload.
  Reader(const uint8_t *data, size_t size, std::string context = "the file")
      : data(data), size(size), context(std::move(context)) {}

  bool atEnd() const { return pos >= size; }
  size_t offset() const { return pos; }
  const std::string &error() const { return message; }
  bool truncated() const { return endedEarly; }

  /// Reads the next field's tag; rejects field number 0, group wire types
  /// and wire types 6 and 7.
  bool readTag(uint32_t &field, WireType &type);
  bool readVarint(uint64_t &out);
  bool readFixed32(uint32_t &out);
  bool readFixed64(uint64_t &out);
  /// Reads a length-delimited payload, pointing `out` into the input.
  bool readLengthDelimited(const uint8_t *&out, size_t &outSize);
  /// Skips the payload of a field of wire type `type`.
  bool skip(WireType type);

private:
  bool fail(std::string text, bool early);

  const uint8_t *data;
  size_t size;
  std::string context;
  size_t pos = 0;
  uint32_t lastField = 0;
  std::string message;
  bool endedEarly = false;
};

/// Appends fields to a byte vector.
class Writer {
public:
  explicit Writer(std::vector<uint8_t> &out) : out(out) {}

  void writeTag(uint32_t field, WireType type);
  void writeVarint(uint64_t value);
  void writeVarintField(uint32_t field, uint64_t value);
  void writeBytesField(uint32_t field, const void *bytes, size_t count);

private:
  std::vector<uint8_t> &out;
};

} // namespace attnc::io::wire

#endif // ATTNC_RUNTIME_IO_PROTOWIRE_H

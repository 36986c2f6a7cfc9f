//===- ProtoWire.cpp - Protobuf wire-format reader/writer -------*- C++ -*-===//

#include "runtime/io/ProtoWire.h"

namespace attnc::io::wire {

const char *wireTypeName(WireType type) {
  switch (type) {
  case WireType::Varint:
    return "varint";
  case WireType::Fixed64:
    return "fixed64";
  case WireType::LengthDelimited:
    return "length-delimited";
  case WireType::StartGroup:
    return "start-group";
  case WireType::EndGroup:
    return "end-group";
  case WireType::Fixed32:
    return "fixed32";
  }
  return "unknown";
}

bool Reader::fail(std::string text, bool early) {
  message = std::move(text);
  endedEarly = early;
  return false;
}

bool Reader::readVarint(uint64_t &out) {
  uint64_t value = 0;
  for (unsigned shift = 0; shift < 70; shift += 7) {
    if (pos >= size)
      return fail(lastField ? "field " + std::to_string(lastField) +
                                  " runs past the end of " + context
                            : "a varint runs past the end of " + context,
                  true);
    uint8_t byte = data[pos++];
    if (shift == 63 && byte > 1)
      return fail("varint at byte " + std::to_string(pos - 1) +
                      " overflows 64 bits",
                  false);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      out = value;
      return true;
    }
  }
  return fail("varint ending at byte " + std::to_string(pos) +
                  " is longer than 10 bytes",
              false);
}

bool Reader::readTag(uint32_t &field, WireType &type) {
  size_t start = pos;
  lastField = 0;
  uint64_t key = 0;
  if (!readVarint(key))
    return endedEarly ? fail("a field tag at byte " + std::to_string(start) +
                                 " runs past the end of " + context,
                             true)
                      : false;
  uint64_t number = key >> 3;
  unsigned wireType = static_cast<unsigned>(key & 7);
  if (number == 0 || number > 0x1fffffff)
    return fail("invalid field number " + std::to_string(number) + " at byte " +
                    std::to_string(start),
                false);
  field = static_cast<uint32_t>(number);
  lastField = field;
  if (wireType == 3 || wireType == 4)
    return fail("field " + std::to_string(field) +
                    " uses the deprecated group encoding",
                false);
  if (wireType > 5)
    return fail("field " + std::to_string(field) + " has invalid wire type " +
                    std::to_string(wireType),
                false);
  type = static_cast<WireType>(wireType);
  return true;
}

bool Reader::readFixed32(uint32_t &out) {
  if (size - pos < 4)
    return fail("field " + std::to_string(lastField) +
                    " runs past the end of " + context,
                true);
  out = 0;
  for (unsigned i = 0; i < 4; ++i)
    out |= static_cast<uint32_t>(data[pos + i]) << (8 * i);
  pos += 4;
  return true;
}

bool Reader::readFixed64(uint64_t &out) {
  if (size - pos < 8)
    return fail("field " + std::to_string(lastField) +
                    " runs past the end of " + context,
                true);
  out = 0;
  for (unsigned i = 0; i < 8; ++i)
    out |= static_cast<uint64_t>(data[pos + i]) << (8 * i);
  pos += 8;
  return true;
}

bool Reader::readLengthDelimited(const uint8_t *&out, size_t &outSize) {
  uint64_t length = 0;
  if (!readVarint(length))
    return false;
  if (length > size - pos)
    return fail("field " + std::to_string(lastField) +
                    " runs past the end of " + context,
                true);
  out = data + pos;
  outSize = static_cast<size_t>(length);
  pos += outSize;
  return true;
}

bool Reader::skip(WireType type) {
  uint64_t ignored64 = 0;
  uint32_t ignored32 = 0;
  const uint8_t *ignoredBytes = nullptr;
  size_t ignoredSize = 0;
  switch (type) {
  case WireType::Varint:
    return readVarint(ignored64);
  case WireType::Fixed64:
    return readFixed64(ignored64);
  case WireType::Fixed32:
    return readFixed32(ignored32);
  case WireType::LengthDelimited:
    return readLengthDelimited(ignoredBytes, ignoredSize);
  case WireType::StartGroup:
  case WireType::EndGroup:
    break;
  }
  return fail("field " + std::to_string(lastField) +
                  " uses the deprecated group encoding",
              false);
}

void Writer::writeVarint(uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

void Writer::writeTag(uint32_t field, WireType type) {
  writeVarint((static_cast<uint64_t>(field) << 3) |
              static_cast<uint64_t>(type));
}

void Writer::writeVarintField(uint32_t field, uint64_t value) {
  writeTag(field, WireType::Varint);
  writeVarint(value);
}

void Writer::writeBytesField(uint32_t field, const void *bytes, size_t count) {
  writeTag(field, WireType::LengthDelimited);
  writeVarint(count);
  const auto *begin = static_cast<const uint8_t *>(bytes);
  out.insert(out.end(), begin, begin + count);
}

} // namespace attnc::io::wire

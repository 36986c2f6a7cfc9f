//===- Npy.cpp - NumPy .npy files -------------------------------*- C++ -*-===//
//
// A .npy file is a magic string, a version, a Python dict literal header
// ({'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }) and the raw
// elements. Only the header's three keys and their literal forms are parsed.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/TensorFile.h"

#include "runtime/src/PercentEncoding.h"
#include "runtime/src/Shape.h"

#include <cstring>
#include <limits>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "tensor files are read and written as little-endian");

namespace attnc::io {
namespace {

constexpr uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr size_t kAlignment = 64;

struct NpyType {
  attnc_dtype_t dtype;
  const char *code; ///< descr without its byte-order character
};

constexpr NpyType kNpyTypes[] = {
    {ATTNC_DTYPE_F32, "f4"}, {ATTNC_DTYPE_F64, "f8"}, {ATTNC_DTYPE_F16, "f2"},
    {ATTNC_DTYPE_I64, "i8"}, {ATTNC_DTYPE_I32, "i4"}, {ATTNC_DTYPE_I16, "i2"},
    {ATTNC_DTYPE_I8, "i1"},  {ATTNC_DTYPE_U8, "u1"},  {ATTNC_DTYPE_I1, "b1"},
    {ATTNC_DTYPE_U16, "u2"}, {ATTNC_DTYPE_U32, "u4"}, {ATTNC_DTYPE_U64, "u8"},
    // numpy has no bfloat16: bf16 is written as its bits ("<u2", read back
    // as u16, which a bf16 input accepts).
    {ATTNC_DTYPE_BF16, "u2"},
};

/// Maps a descr such as "<f4" or "|b1" to a dtype; INVALID with `why` set
/// when it is not one this reader handles.
attnc_dtype_t dtypeForDescr(const std::string &descr, std::string &why) {
  why = "unsupported dtype '" + quoteForMessage(descr) + "'";
  if (descr.size() < 2)
    return ATTNC_DTYPE_INVALID;
  char order = descr[0];
  std::string code = descr.substr(1);
  for (const NpyType &type : kNpyTypes) {
    if (code != type.code)
      continue;
    // Byte order means nothing for one-byte types; numpy writes '|'.
    bool singleByte = attnc_dtype_size(type.dtype) == 1;
    if (order == '<' || order == '=' ||
        (singleByte && (order == '|' || order == '>')))
      return type.dtype;
    if (order == '>')
      why = "big-endian dtype '" + descr + "' is not supported";
    return ATTNC_DTYPE_INVALID;
  }
  return ATTNC_DTYPE_INVALID;
}

/// Parses the header dict. Accepts what numpy writes (and Python 2's "3L"
/// integers); anything else is an error message.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text(text) {}

  bool parse(std::string &descr, bool &fortranOrder,
             std::vector<int64_t> &shape, std::string &error) {
    bool sawDescr = false, sawOrder = false, sawShape = false;
    skipSpace();
    if (!consume('{'))
      return fail("the header is not a dict", error);
    for (;;) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key))
        return fail("expected a quoted key in the header", error);
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' after '" + quoteForMessage(key) + "'", error);
      skipSpace();
      if (key == "descr") {
        if (!parseString(descr))
          return fail("'descr' is not a string (structured dtypes are not "
                      "supported)",
                      error);
        sawDescr = true;
      } else if (key == "fortran_order") {
        if (!parseBool(fortranOrder))
          return fail("'fortran_order' is not True or False", error);
        sawOrder = true;
      } else if (key == "shape") {
        if (!parseTuple(shape))
          return fail("'shape' is not a tuple of non-negative integers", error);
        sawShape = true;
      } else {
        return fail("unexpected key '" + quoteForMessage(key) +
                        "' in the header",
                    error);
      }
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return fail("expected ',' or '}' in the header", error);
    }
    if (!sawDescr || !sawOrder || !sawShape)
      return fail(std::string("the header lacks '") +
                      (!sawDescr   ? "descr"
                       : !sawOrder ? "fortran_order"
                                   : "shape") +
                      "'",
                  error);
    return true;
  }

private:
  static bool fail(const std::string &message, std::string &error) {
    error = message;
    return false;
  }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool consumeWord(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return false;
    pos += word.size();
    return true;
  }
  bool parseString(std::string &out) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == std::string_view::npos)
      return false;
    out = std::string(text.substr(pos, end - pos));
    pos = end + 1;
    return out.find('\\') == std::string::npos;
  }
  bool parseBool(bool &out) {
    if (consumeWord("True"))
      return out = true, true;
    if (consumeWord("False"))
      return out = false, true;
    return false;
  }
  bool parseTuple(std::vector<int64_t> &out) {
    out.clear();
    if (!consume('('))
      return false;
    for (;;) {
      skipSpace();
      if (consume(')'))
        return true;
      int64_t value = 0;
      if (!parseInt(value))
        return false;
      out.push_back(value);
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      return consume(')');
    }
  }
  bool parseInt(int64_t &out) {
    size_t start = pos;
    uint64_t value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      value = value * 10 + static_cast<uint64_t>(text[pos++] - '0');
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return false;
    }
    if (pos == start)
      return false;
    consume('L');
    out = static_cast<int64_t>(value);
    return true;
  }

  std::string_view text;
  size_t pos = 0;
};

uint32_t readLittleEndian(const uint8_t *data, size_t bytes) {
  uint32_t value = 0;
  for (size_t i = 0; i < bytes; ++i)
    value |= static_cast<uint32_t>(data[i]) << (8 * i);
  return value;
}

std::string descrFor(attnc_dtype_t dtype) {
  for (const NpyType &type : kNpyTypes)
    if (type.dtype == dtype)
      return std::string(attnc_dtype_size(dtype) == 1 ? "|" : "<") + type.code;
  return "";
}

} // namespace

Result<Tensor> parseNpy(const uint8_t *data, size_t size,
                        const std::string &fileName) {
  std::string where = " .npy file '" + fileName + "': ";
  auto invalid = [&](const std::string &message) {
    return Status::error("invalid" + where + message);
  };
  auto truncated = [&](const std::string &message) {
    return Status::error("truncated" + where + message);
  };
  size_t prefix = sizeof(kMagic) + 2;
  if (size < sizeof(kMagic) || std::memcmp(data, kMagic, sizeof(kMagic)) != 0) {
    if (size < sizeof(kMagic) &&
        (size == 0 || std::memcmp(data, kMagic, size) == 0))
      return truncated("the file has " + std::to_string(size) +
                       " bytes, a .npy header needs at least 10");
    return invalid("no .npy magic string at the start");
  }
  if (size < prefix)
    return truncated("the file has " + std::to_string(size) +
                     " bytes, a .npy header needs at least 10");
  uint8_t major = data[6], minor = data[7];
  if (major < 1 || major > 3 || minor != 0)
    return Status::error("unsupported" + where + "format version " +
                         std::to_string(major) + "." + std::to_string(minor) +
                         " (this reader handles 1.0, 2.0 and 3.0)");
  size_t lengthBytes = major == 1 ? 2 : 4;
  if (size < prefix + lengthBytes)
    return truncated("the header length runs past the end of the file");
  size_t headerLength = readLittleEndian(data + prefix, lengthBytes);
  size_t headerStart = prefix + lengthBytes;
  if (headerLength > size - headerStart)
    return truncated("the header needs " +
                     std::to_string(headerStart + headerLength) +
                     " bytes, the file has " + std::to_string(size));

  std::string descr, error;
  bool fortranOrder = false;
  Tensor tensor;
  std::string_view header(reinterpret_cast<const char *>(data + headerStart),
                          headerLength);
  if (!HeaderParser(header).parse(descr, fortranOrder, tensor.shape, error))
    return invalid(error);
  tensor.dtype = dtypeForDescr(descr, error);
  if (tensor.dtype == ATTNC_DTYPE_INVALID)
    return Status::error("unsupported" + where + error);
  if (fortranOrder && tensor.shape.size() > 1)
    return Status::error("unsupported" + where +
                         "Fortran-order arrays are not supported");

  size_t elementSize = attnc_dtype_size(tensor.dtype);
  size_t count = 0;
  if (!checkedElementCount(tensor.shape.data(), tensor.shape.size(),
                           elementSize, count))
    return invalid("shape " +
                   formatShapeAndDtype(tensor.shape.data(), tensor.shape.size(),
                                       tensor.dtype) +
                   " has more bytes than fit in memory");
  size_t needed = count * elementSize;
  size_t available = size - headerStart - headerLength;
  std::string described = formatShapeAndDtype(
      tensor.shape.data(), tensor.shape.size(), tensor.dtype);
  if (available < needed)
    return truncated("shape " + described + " needs " + std::to_string(needed) +
                     " bytes of data, the file has " +
                     std::to_string(available));
  if (available > needed)
    return invalid(std::to_string(available - needed) +
                   " unexpected bytes after the data of shape " + described);
  const uint8_t *begin = data + headerStart + headerLength;
  tensor.bytes.assign(begin, begin + needed);
  if (Status status = checkConsistent(tensor); !status)
    return invalid(status.message());
  return tensor;
}

Result<std::vector<uint8_t>> serializeNpy(const Tensor &tensor) {
  if (Status status = checkConsistent(tensor); !status)
    return status;
  std::string descr = descrFor(tensor.dtype);
  if (descr.empty())
    return Status::error(std::string(attnc_dtype_name(tensor.dtype)) +
                         " has no .npy dtype; write a .pb file instead");
  std::string dict = "{'descr': '" + descr +
                     "', 'fortran_order': False, "
                     "'shape': (";
  for (size_t i = 0; i < tensor.shape.size(); ++i) {
    if (i)
      dict += ", ";
    dict += std::to_string(tensor.shape[i]);
  }
  if (tensor.shape.size() == 1)
    dict += ",";
  dict += "), }";

  // Pad with spaces and end with '\n' so the data starts 64-byte aligned.
  uint8_t major = 1;
  size_t prefix = sizeof(kMagic) + 2 + 2;
  size_t total = prefix + dict.size() + 1;
  size_t headerLength =
      dict.size() + 1 + (kAlignment - total % kAlignment) % kAlignment;
  if (headerLength > 0xffff) {
    major = 2;
    prefix += 2;
    total = prefix + dict.size() + 1;
    headerLength =
        dict.size() + 1 + (kAlignment - total % kAlignment) % kAlignment;
  }
  std::vector<uint8_t> out(kMagic, kMagic + sizeof(kMagic));
  out.push_back(major);
  out.push_back(0);
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out.push_back(static_cast<uint8_t>(headerLength >> (8 * i)));
  out.insert(out.end(), dict.begin(), dict.end());
  out.resize(prefix + headerLength - 1, ' ');
  out.push_back('\n');
  out.insert(out.end(), tensor.bytes.begin(), tensor.bytes.end());
  return out;
}

} // namespace attnc::io

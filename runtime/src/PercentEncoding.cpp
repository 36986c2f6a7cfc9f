//===- PercentEncoding.cpp - %XX encoding of tensor names -------*- C++ -*-===//

#include "runtime/src/PercentEncoding.h"

namespace attnc {
namespace {
bool isAlnum(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9');
}

bool isSafe(unsigned char c, std::string_view safe) {
  return isAlnum(c) || (c != '\0' && safe.find(static_cast<char>(c)) !=
                                         std::string_view::npos);
}

int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

} // namespace

std::string percentEncode(std::string_view bytes, std::string_view safe) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (isSafe(c, safe)) {
      out += static_cast<char>(c);
      continue;
    }
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool percentDecode(std::string_view text, std::string_view safe,
                   std::string &out, std::string &error) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c != '%') {
      if (!isSafe(c, safe)) {
        error = "unencoded byte '" + quoteForMessage(text.substr(i, 1)) +
                "' at byte " + std::to_string(i);
        return false;
      }
      out += static_cast<char>(c);
      continue;
    }
    std::string_view escape = text.substr(i, 3);
    int high = escape.size() == 3 ? hexValue(escape[1]) : -1;
    int low = escape.size() == 3 ? hexValue(escape[2]) : -1;
    if (high < 0 || low < 0) {
      error = "bad escape '" + quoteForMessage(escape) + "' at byte " +
              std::to_string(i);
      return false;
    }
    if (high == 0 && low == 0) {
      error = "escape '%00' at byte " + std::to_string(i) +
              " would put a NUL byte in the name";
      return false;
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return true;
}

std::string quoteForMessage(std::string_view bytes, size_t limit) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < limit; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (bytes.size() > limit)
    out += "...";
  return out;
}

} // namespace attnc

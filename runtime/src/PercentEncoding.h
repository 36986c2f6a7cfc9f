//===- PercentEncoding.h - %XX encoding of tensor names ---------*- C++ -*-===//
//
// The manifest writes names percent-encoded so that they never contain
// spaces or newlines; the runner encodes names again, more strictly, to make
// file names.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_SRC_PERCENTENCODING_H
#define ATTNC_RUNTIME_SRC_PERCENTENCODING_H

#include <string>
#include <string_view>

namespace attnc {

/// Bytes the manifest writes as themselves: [A-Za-z0-9] and these.
inline constexpr std::string_view kManifestNameSafe = "_.:/-";
/// Bytes a file name keeps as themselves: [A-Za-z0-9] and these.
inline constexpr std::string_view kFileNameSafe = "_.-";

/// Writes every byte of `bytes` outside [A-Za-z0-9] and `safe` as %XX
/// (uppercase hex).
std::string percentEncode(std::string_view bytes, std::string_view safe);

/// Decodes `text`, in which only [A-Za-z0-9], `safe` and %XX escapes (either
/// hex case) may appear. On failure returns false and sets `error`, e.g.
/// "bad escape '%G1' at byte 3"; %00 is rejected since names are C strings.
bool percentDecode(std::string_view text, std::string_view safe,
                   std::string &out, std::string &error);

/// `bytes` made safe to quote in a one-line message: printable ASCII kept,
/// anything else written as \xHH, cut to `limit` bytes followed by "...".
std::string quoteForMessage(std::string_view bytes, size_t limit = 80);

} // namespace attnc

#endif // ATTNC_RUNTIME_SRC_PERCENTENCODING_H

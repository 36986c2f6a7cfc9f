//===- Manifest.cpp - Parse a compiled model's manifest ---------*- C++ -*-===//
//
// Strict by design: the manifest is written by the compiler, so anything
// unexpected is a compiler or packaging bug and is reported, not guessed at.
//
//===----------------------------------------------------------------------===//

#include "runtime/src/Manifest.h"

#include "runtime/src/PercentEncoding.h"
#include "runtime/src/Shape.h"

#include <algorithm>
#include <limits>

namespace attnc {
namespace {

std::vector<std::string_view> splitTokens(std::string_view line) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t')
      ++i;
    if (i > start)
      tokens.push_back(line.substr(start, i - start));
  }
  return tokens;
}

/// Parses a non-negative decimal that fits in int64_t ("0", "007", "42").
bool parseCount(std::string_view token, int64_t &out) {
  if (token.empty())
    return false;
  uint64_t value = 0;
  for (char c : token) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return false;
  }
  out = static_cast<int64_t>(value);
  return true;
}

std::string quoted(std::string_view text) {
  return "'" + quoteForMessage(text) + "'";
}

class Parser {
public:
  Parser(Manifest &out, std::string &error) : out(out), error(error) {}

  bool parse(std::string_view text) {
    size_t lineNo = 0;
    size_t pos = 0;
    bool sawHeader = false;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos)
        end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      ++lineNo;
      if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
      std::vector<std::string_view> tokens = splitTokens(line);
      if (!sawHeader) {
        if (!parseHeader(line, tokens))
          return false;
        sawHeader = true;
        continue;
      }
      if (tokens.empty())
        continue;
      if (tokens[0] == "workspace") {
        if (!parseWorkspaceLine(lineNo, line, tokens))
          return false;
        continue;
      }
      if (tokens[0] == "dim") {
        if (!parseDimLine(lineNo, line, tokens))
          return false;
        continue;
      }
      if (tokens[0] == "cache") {
        if (!parseCacheLine(lineNo, line, tokens))
          return false;
        continue;
      }
      if (!parseTensorLine(lineNo, line, tokens))
        return false;
    }
    if (!sawHeader) {
      error = "empty manifest; expected 'attnc-model " +
              std::to_string(kManifestVersion) + "' on line 1";
      return false;
    }
    if (out.outputs.empty()) {
      error = "manifest declares no outputs";
      return false;
    }
    // A run learns each dim's value from the inputs.
    std::vector<bool> given(out.dims.size(), false);
    for (const TensorDecl &input : out.inputs)
      for (int symbol : input.symbols)
        if (symbol >= 0)
          given[symbol] = true;
    for (size_t k = 0; k < given.size(); ++k)
      if (!given[k]) {
        error = "dim " + quoted(out.dims[k].name) + " is carried by no input";
        return false;
      }
    return true;
  }

private:
  bool parseHeader(std::string_view line,
                   const std::vector<std::string_view> &tokens) {
    std::string expected =
        "'attnc-model " + std::to_string(kManifestVersion) + "'";
    int64_t version = 0;
    if (tokens.size() != 2 || tokens[0] != "attnc-model" ||
        !parseCount(tokens[1], version)) {
      error = "line 1: expected " + expected + ", got " + quoted(line);
      return false;
    }
    if (version < 1 || version > kManifestVersion) {
      error = "line 1: unsupported manifest version " +
              std::to_string(version) + " (this runtime reads versions 1 to " +
              std::to_string(kManifestVersion) + ")";
      return false;
    }
    this->version = version;
    return true;
  }

  /// `workspace <bytes>`: at most once, from version 2 on.
  bool parseWorkspaceLine(size_t lineNo, std::string_view line,
                          const std::vector<std::string_view> &tokens) {
    std::string where = "line " + std::to_string(lineNo) + ": ";
    int64_t bytes = 0;
    if (version < 2) {
      error = where + "'workspace' needs manifest version 2, got version " +
              std::to_string(version);
      return false;
    }
    if (workspaceLine) {
      error = where + "duplicate 'workspace' line (first on line " +
              std::to_string(workspaceLine) + ")";
      return false;
    }
    if (tokens.size() != 2 || !parseCount(tokens[1], bytes)) {
      error = where + "expected 'workspace <bytes>', got " + quoted(line);
      return false;
    }
    workspaceLine = lineNo;
    out.workspaceBytes = static_cast<size_t>(bytes);
    return true;
  }

  /// `dim <name> <bound>`: from version 3 on, before any input or output.
  bool parseDimLine(size_t lineNo, std::string_view line,
                    const std::vector<std::string_view> &tokens) {
    std::string where = "line " + std::to_string(lineNo) + ": ";
    if (version < 3) {
      error = where + "'dim' needs manifest version 3, got version " + std::to_string(version);
      return false;
    }
    if (!out.inputs.empty() || !out.outputs.empty()) {
      error = where + "'dim' lines must come before the inputs and outputs";
      return false;
    }
    DimDecl dim;
    std::string decodeError;
    if (tokens.size() != 3 || !parseCount(tokens[2], dim.bound) || dim.bound < 1) {
      error = where + "expected 'dim <name> <bound>' with a bound of at least 1, got " +
              quoted(line);
      return false;
    }
    if (!percentDecode(tokens[1], kManifestNameSafe, dim.name, decodeError)) {
      error = where + "bad dim name " + quoted(tokens[1]) + ": " + decodeError;
      return false;
    }
    for (const DimDecl &other : out.dims)
      if (other.name == dim.name) {
        error = where + "duplicate dim name " + quoted(dim.name);
        return false;
      }
    out.dims.push_back(std::move(dim));
    return true;
  }

  /// `cache <input> <axis> <capacity> <extent> <present> [ring <slots>]`:
  /// from version 5 on, after the input it names, whose dim `axis` is a
  /// run-time dim (the positions it holds); a run may leave at most
  /// `capacity` positions in it, leaves `extent` (a sum of dims), and it
  /// stands for the exported output `present`. Its buffer has room for
  /// `capacity` positions, or with `ring` (version 6) for 2 x `slots`.
  bool parseCacheLine(size_t lineNo, std::string_view line,
                      const std::vector<std::string_view> &tokens) {
    std::string where = "line " + std::to_string(lineNo) + ": ";
    if (version < 5) {
      error = where + "'cache' needs manifest version 5, got version " + std::to_string(version);
      return false;
    }
    int64_t axis = 0, capacity = 0;
    std::string name, decodeError;
    std::string present;
    int64_t ring = 0;
    bool ringed = tokens.size() == 8 && tokens[6] == "ring";
    if ((tokens.size() != 6 && !ringed) || !parseCount(tokens[2], axis) ||
        !parseCount(tokens[3], capacity) || capacity < 1 ||
        (ringed && (!parseCount(tokens[7], ring) || ring < 1))) {
      error = where + "expected 'cache <input> <axis> <capacity> <extent> <present> "
                      "[ring <slots>]' with a capacity and slots of at least 1, got " +
              quoted(line);
      return false;
    }
    if (ringed && version < 6) {
      error = where + "a ring cache needs manifest version 6, got version " +
              std::to_string(version);
      return false;
    }
    if (!percentDecode(tokens[1], kManifestNameSafe, name, decodeError) ||
        !percentDecode(tokens[5], kManifestNameSafe, present, decodeError)) {
      error = where + "bad cache or present name in " + quoted(line) + ": " + decodeError;
      return false;
    }
    auto input = std::find_if(out.inputs.begin(), out.inputs.end(),
                              [&](const TensorDecl &decl) { return decl.name == name; });
    if (input == out.inputs.end()) {
      error = where + "cache " + quoted(name) + " names no input declared before it";
      return false;
    }
    std::string subject = where + "cache " + quoted(name);
    if (input->cacheAxis >= 0) {
      error = subject + " is declared twice";
      return false;
    }
    if (static_cast<uint64_t>(axis) >= input->dims.size() || input->symbols[axis] < 0) {
      error = subject + ": dim " + std::to_string(axis) +
              " is not one of the input's run-time dims";
      return false;
    }
    DimSum extent;
    if (!parseSum(tokens[4], subject + ": extent", extent))
      return false;
    input->cacheCapacity = capacity;
    input->cacheRing = ring;
    std::vector<int64_t> buffer = input->maxDims;
    buffer[axis] = input->cacheBufferPositions();
    size_t elementSize = attnc_dtype_size(input->dtype);
    if (!checkedElementCount(buffer.data(), buffer.size(), elementSize, input->elementCount)) {
      error = subject + ": a buffer of " + std::to_string(buffer[axis]) +
              " positions has more bytes than fit in memory";
      return false;
    }
    input->byteSize = input->elementCount * elementSize;
    input->cacheAxis = static_cast<int>(axis);
    input->cacheExtent = std::move(extent);
    input->cachePresent = std::move(present);
    return true;
  }

  /// One extent of a tensor line: a count, `$k` naming dim line k, or (an
  /// output's, from version 4) a sum of `$k`, `C*$k` and integer terms.
  bool parseExtent(std::string_view token, const std::string &where, size_t index,
                   bool isOutput, TensorDecl &decl) {
    std::string subject = where + "dim " + std::to_string(index) + " " + quoted(token);
    bool isSum = token.find_first_of("+*") != std::string_view::npos;
    if (isSum) {
      if (version < 4 || !isOutput) {
        error = subject + (isOutput ? " is a sum, which needs manifest version 4"
                                    : " is a sum, which only an output may have");
        return false;
      }
      DimSum sum;
      if (!parseSum(token, subject, sum))
        return false;
      decl.dims.push_back(-1);
      decl.symbols.push_back(kSumDim);
      int64_t bound = sum.constant;
      for (auto [symbol, coefficient] : sum.terms)
        bound += coefficient > 0 ? coefficient * out.dims[symbol].bound : 0;
      decl.maxDims.push_back(std::max<int64_t>(bound, 0));
      decl.sums.resize(decl.dims.size());
      decl.sums.back() = std::move(sum);
      return true;
    }
    if (!token.empty() && token[0] == '$') {
      int symbol = parseSymbol(token, subject);
      if (symbol < 0)
        return false;
      decl.dims.push_back(-1);
      decl.symbols.push_back(symbol);
      decl.maxDims.push_back(out.dims[symbol].bound);
      return true;
    }
    int64_t dim = 0;
    if (!parseCount(token, dim)) {
      error = subject + " is not a non-negative integer that fits in 64 bits";
      return false;
    }
    decl.dims.push_back(dim);
    decl.symbols.push_back(-1);
    decl.maxDims.push_back(dim);
    return true;
  }

  /// `$k` naming a dim line: k, or -1 after setting `error`.
  int parseSymbol(std::string_view token, const std::string &subject) {
    int64_t symbol = 0;
    if (token.size() < 2 || token[0] != '$' || !parseCount(token.substr(1), symbol) ||
        static_cast<uint64_t>(symbol) >= out.dims.size()) {
      error = subject + " names no 'dim' line (the manifest declares " +
              std::to_string(out.dims.size()) + ")";
      return -1;
    }
    return static_cast<int>(symbol);
  }

  /// `$0+1`, `$0+$1`, `2*$0+-3`: terms joined by `+`, at least one a dim.
  bool parseSum(std::string_view token, const std::string &subject, DimSum &sum) {
    constexpr int64_t kLimit = int64_t(1) << 40;
    size_t start = 0;
    while (start <= token.size()) {
      size_t plus = token.find('+', start);
      std::string_view term = token.substr(start, plus == std::string_view::npos
                                                      ? std::string_view::npos
                                                      : plus - start);
      start = plus == std::string_view::npos ? token.size() + 1 : plus + 1;
      size_t star = term.find('*');
      std::string_view factor = star == std::string_view::npos ? "" : term.substr(0, star);
      std::string_view rest = star == std::string_view::npos ? term : term.substr(star + 1);
      bool negative = !factor.empty() ? factor[0] == '-' : (!rest.empty() && rest[0] == '-');
      int64_t coefficient = 1, value = 0;
      if (!factor.empty() &&
          (!parseCount(factor.substr(negative), coefficient) || coefficient > kLimit)) {
        error = subject + ": bad coefficient " + quoted(factor);
        return false;
      }
      if (negative && !factor.empty())
        coefficient = -coefficient;
      if (!rest.empty() && rest[0] == '$') {
        int symbol = parseSymbol(rest, subject);
        if (symbol < 0)
          return false;
        sum.terms.push_back({symbol, coefficient});
      } else if (factor.empty() && parseCount(rest.substr(negative), value) && value <= kLimit) {
        sum.constant += negative ? -value : value;
      } else {
        error = subject + ": bad term " + quoted(term) +
                " (expected an integer, $k or C*$k)";
        return false;
      }
    }
    if (sum.terms.empty()) {
      error = subject + " is a sum of no dims";
      return false;
    }
    return true;
  }

  bool parseTensorLine(size_t lineNo, std::string_view line,
                       const std::vector<std::string_view> &tokens) {
    std::string where = "line " + std::to_string(lineNo) + ": ";
    std::string_view kind = tokens[0];
    if (kind != "input" && kind != "output") {
      error = where + "expected 'input', 'output' or 'workspace', got " +
              quoted(kind);
      return false;
    }
    if (tokens.size() < 4) {
      error = where + "expected '" + std::string(kind) +
              " <name> <dtype> <rank> <dims...>', got " + quoted(line);
      return false;
    }
    std::string subject = std::string(kind) + " " + quoted(tokens[1]);
    TensorDecl decl;
    std::string decodeError;
    if (!percentDecode(tokens[1], kManifestNameSafe, decl.name, decodeError)) {
      error = where + "bad " + std::string(kind) + " name " +
              quoted(tokens[1]) + ": " + decodeError;
      return false;
    }
    decl.dtype = attnc_dtype_from_name(std::string(tokens[2]).c_str());
    if (decl.dtype == ATTNC_DTYPE_INVALID) {
      error = where + subject + ": unknown dtype " + quoted(tokens[2]);
      return false;
    }
    int64_t rank = 0;
    if (!parseCount(tokens[3], rank)) {
      error = where + subject + ": rank " + quoted(tokens[3]) +
              " is not a non-negative integer";
      return false;
    }
    size_t dimCount = tokens.size() - 4;
    if (static_cast<uint64_t>(rank) != dimCount) {
      error = where + subject + ": rank " + std::to_string(rank) + " needs " +
              std::to_string(rank) + " dims, got " + std::to_string(dimCount);
      return false;
    }
    for (size_t i = 0; i < dimCount; ++i)
      if (!parseExtent(tokens[4 + i], where + subject + ": ", i, kind == "output", decl))
        return false;
    if (!decl.sums.empty())
      decl.sums.resize(decl.dims.size());
    size_t elementSize = attnc_dtype_size(decl.dtype);
    if (!checkedElementCount(decl.maxDims.data(), decl.maxDims.size(), elementSize,
                             decl.elementCount)) {
      error =
          where + subject + ": shape " +
          formatShapeAndDtype(decl.maxDims.data(), decl.maxDims.size(), decl.dtype) +
          " has more bytes than fit in memory";
      return false;
    }
    decl.byteSize = decl.elementCount * elementSize;

    std::vector<TensorDecl> &list = kind == "input" ? out.inputs : out.outputs;
    std::vector<size_t> &lines = kind == "input" ? inputLines : outputLines;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].name == decl.name) {
        error = where + "duplicate " + std::string(kind) + " name " +
                quoted(decl.name) + " (first on line " +
                std::to_string(lines[i]) + ")";
        return false;
      }
    }
    list.push_back(std::move(decl));
    lines.push_back(lineNo);
    return true;
  }

  Manifest &out;
  std::string &error;
  int64_t version = 0;
  size_t workspaceLine = 0;
  std::vector<size_t> inputLines, outputLines;
};

} // namespace

int64_t evaluateSum(const DimSum &sum, const std::vector<int64_t> &values) {
  int64_t value = sum.constant;
  for (auto [symbol, coefficient] : sum.terms) {
    if (values[symbol] < 0)
      return -1;
    value += coefficient * values[symbol];
  }
  return value;
}

/// "past+1", "2*seq+-3".
static std::string formatSum(const DimSum &sum, const Manifest &manifest) {
  std::string text;
  for (auto [symbol, coefficient] : sum.terms)
    text += (text.empty() ? "" : "+") +
            (coefficient == 1 ? "" : std::to_string(coefficient) + "*") +
            quoteForMessage(manifest.dims[symbol].name);
  if (sum.constant)
    text += "+" + std::to_string(sum.constant);
  return text;
}

std::string formatDecl(const TensorDecl &decl, const Manifest &manifest) {
  std::string text = "[";
  for (size_t i = 0; i < decl.dims.size(); ++i) {
    if (i)
      text += ", ";
    int symbol = i < decl.symbols.size() ? decl.symbols[i] : -1;
    text += symbol >= 0        ? quoteForMessage(manifest.dims[symbol].name)
            : symbol == kSumDim ? formatSum(decl.sums[i], manifest)
                                : std::to_string(decl.dims[i]);
  }
  return text + "] (" + attnc_dtype_name(decl.dtype) + ")";
}

bool parseManifest(std::string_view text, Manifest &out, std::string &error) {
  out = Manifest();
  return Parser(out, error).parse(text);
}

} // namespace attnc

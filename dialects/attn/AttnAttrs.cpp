//===- AttnAttrs.cpp - #attn.window/#attn.layout parsing, printing, checks -===//

#include "dialects/attn/AttnOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

#include "dialects/attn/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/attn/AttnAttrs.cpp.inc"

void AttnDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/attn/AttnAttrs.cpp.inc"
      >();
}

/// Parses `inf` or a non-negative integer into `bound`.
static ParseResult parseWindowBound(AsmParser &parser, int64_t &bound) {
  if (succeeded(parser.parseOptionalKeyword("inf"))) {
    bound = WindowAttr::kUnbounded;
    return success();
  }
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseInteger(bound))
    return failure();
  if (bound < 0 || bound == WindowAttr::kUnbounded)
    return parser.emitError(loc, "expected a non-negative window bound or "
                                 "'inf', found ")
           << bound;
  return success();
}

static void printWindowBound(AsmPrinter &printer, int64_t bound) {
  if (bound == WindowAttr::kUnbounded)
    printer << "inf";
  else
    printer << bound;
}

Attribute WindowAttr::parse(AsmParser &parser, Type) {
  int64_t left, right;
  if (parser.parseLess() || parser.parseKeyword("left") || parser.parseEqual() ||
      parseWindowBound(parser, left) || parser.parseComma() ||
      parser.parseKeyword("right") || parser.parseEqual() ||
      parseWindowBound(parser, right) || parser.parseGreater())
    return {};
  return WindowAttr::getChecked(
      [&] { return parser.emitError(parser.getNameLoc()); },
      parser.getContext(), left, right);
}

void WindowAttr::print(AsmPrinter &printer) const {
  printer << "<left = ";
  printWindowBound(printer, getLeft());
  printer << ", right = ";
  printWindowBound(printer, getRight());
  printer << ">";
}

LogicalResult WindowAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t left, int64_t right) {
  if (left < 0 || right < 0)
    return emitError() << "expected non-negative window bounds, found left = "
                       << left << ", right = " << right;
  return success();
}

/// Vector widths the kernels are written for: f32 lanes of 128-, 256- and
/// 512-bit registers (0: no vector kernel).
static bool isKernelVectorWidth(int64_t width) {
  return width == 0 || width == 4 || width == 8 || width == 16;
}

/// The fields both kernels' tilings share: the vector width and the
/// register tile's rows and column vectors.
static LogicalResult verifyRegisterTile(function_ref<InFlightDiagnostic()> emitError,
                                        int64_t vectorWidth, int64_t registerRows,
                                        int64_t registerColumnVectors) {
  if (!isKernelVectorWidth(vectorWidth))
    return emitError() << "expected vector_width 0, 4, 8 or 16, found " << vectorWidth;
  if (registerRows < 1 || registerRows > 16)
    return emitError() << "expected register_rows in [1, 16], found " << registerRows;
  if (registerColumnVectors < 1 || registerColumnVectors > 8)
    return emitError() << "expected register_column_vectors in [1, 8], found "
                       << registerColumnVectors;
  return success();
}

LogicalResult SdpaTilingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     int64_t qBlock, int64_t kvBlock, int64_t vectorWidth,
                                     int64_t registerRows, int64_t registerColumnVectors,
                                     int64_t kvSplits, bool avx512) {
  if (qBlock < 1 || kvBlock < 1)
    return emitError() << "expected q_block and kv_block of at least 1, found " << qBlock
                       << " and " << kvBlock;
  if (kvSplits < 1)
    return emitError() << "expected kv_splits of at least 1, found " << kvSplits;
  if (failed(verifyRegisterTile(emitError, vectorWidth, registerRows, registerColumnVectors)))
    return failure();
  if (avx512 && vectorWidth != 16)
    return emitError() << "avx512 needs vector_width 16 (512-bit vectors of f32), found "
                       << vectorWidth;
  return success();
}

LogicalResult MatmulTilingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                       int64_t vectorWidth, int64_t registerRows,
                                       int64_t registerColumnVectors, int64_t taskRows,
                                       int64_t kBlock, int64_t tasks, int64_t chunkPanels) {
  if (failed(verifyRegisterTile(emitError, vectorWidth, registerRows, registerColumnVectors)))
    return failure();
  if (taskRows < 1 || kBlock < 1 || tasks < 1)
    return emitError() << "expected task_rows, k_block and tasks of at least 1, found "
                       << taskRows << ", " << kBlock << " and " << tasks;
  if (chunkPanels < 0)
    return emitError() << "expected chunk_panels of at least 0, found " << chunkPanels;
  return success();
}

namespace {
constexpr StringLiteral kLayoutOperands[] = {"query", "key", "value", "result"};
} // namespace

// layout.C1: `<` then `name = bhsd|bshd` for any of query, key, value,
// result in that order, comma separated, then `>`.
Attribute LayoutAttr::parse(AsmParser &parser, Type) {
  bool seqMajor[4] = {false, false, false, false};
  if (parser.parseLess())
    return {};
  unsigned next = 0;
  bool first = true;
  while (failed(parser.parseOptionalGreater())) {
    if (!first && parser.parseComma())
      return {};
    first = false;
    SMLoc loc = parser.getCurrentLocation();
    StringRef name, layout;
    if (parser.parseKeyword(&name) || parser.parseEqual() || parser.parseKeyword(&layout))
      return {};
    unsigned which = next;
    while (which < 4 && name != kLayoutOperands[which])
      ++which;
    if (which == 4) {
      parser.emitError(loc, "expected query, key, value or result, in that order, found '")
          << name << "'";
      return {};
    }
    if (layout != "bhsd" && layout != "bshd") {
      parser.emitError(loc, "expected bhsd or bshd for ") << name << ", found '" << layout << "'";
      return {};
    }
    seqMajor[which] = layout == "bshd";
    next = which + 1;
  }
  return LayoutAttr::getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                                parser.getContext(), seqMajor[0], seqMajor[1], seqMajor[2],
                                seqMajor[3]);
}

void LayoutAttr::print(AsmPrinter &printer) const {
  printer << "<";
  bool first = true;
  for (unsigned i = 0; i < 4; ++i) {
    if (!isSeqMajor(i))
      continue;
    printer << (first ? "" : ", ") << kLayoutOperands[i] << " = bshd";
    first = false;
  }
  printer << ">";
}

// layout.C2: at least one tensor is sequence-major.
LogicalResult LayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 bool query, bool key, bool value, bool result) {
  if (!(query || key || value || result))
    return emitError() << "expected at least one bshd tensor: an all-bhsd sdpa has no layout "
                          "attribute";
  return success();
}

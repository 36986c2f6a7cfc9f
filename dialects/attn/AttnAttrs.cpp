//===- AttnAttrs.cpp - #attn.window parsing, printing, verification -------===//

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

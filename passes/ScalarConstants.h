//===- ScalarConstants.h - 0-d attn constants, built and matched -*- C++ -*-===//
//
// Scales, fills and offsets are scalar constants in the passes; one place
// builds them and one place reads them back.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_SCALARCONSTANTS_H
#define ATTNC_PASSES_SCALARCONSTANTS_H

#include "dialects/attn/AttnOps.h"
#include <optional>

namespace mlir::attn {

/// An `attn.constant` of type tensor<`element`> holding `value` (a float, or
/// an integer for an integer element type).
Value buildScalarConstant(OpBuilder &builder, Location loc, Type element, double value);

/// The value of a float constant whose dims are all 1 (a scalar broadcast).
std::optional<double> matchScalarConstant(Value value);

} // namespace mlir::attn

#endif // ATTNC_PASSES_SCALARCONSTANTS_H

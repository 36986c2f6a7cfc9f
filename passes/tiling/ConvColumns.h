//===- ConvColumns.h - A convolution as a matmul's rows -------*- C++ -*-===//
//
// attn-tile-matmul runs a convolution through the packed matmul kernel:
//
//   columns[(n, o...), (c, k...)] = padded input[n, c, o·stride + k·dilation]
//   rows[(n, o...), m]            = columns · weight[m, (c, k...)]ᵀ + bias[m]
//   result[n, m, o...]            = rows[(n, o...), m]
//
// (im2col). The weight [M, C, k...] is already [M, C·k...] in memory, so
// a constant one is packed at compile time like any projection's.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_TILING_CONVCOLUMNS_H
#define ATTNC_PASSES_TILING_CONVCOLUMNS_H

#include "dialects/attn/AttnOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::attn::tiling {

/// Whether `conv` can run as a matmul here: one group, f32, static shapes.
bool convRunsAsMatmul(ConvOp conv);

/// columns [N·O..., C·k...] of `input`, `conv`'s input (zeros where a
/// window reaches into the padding), a tensor built at the builder's
/// insertion point.
Value buildConvColumns(OpBuilder &b, Location loc, ConvOp conv, Value input);

/// `weight`, `conv`'s weight [M, C, k...], as the matmul's transposed
/// weight [M, C·k...].
Value buildConvWeightRows(OpBuilder &b, Location loc, ConvOp conv, Value weight);

/// The matmul's result [N·O..., M] as `conv`'s result [N, M, O...].
Value buildChannelsFirst(OpBuilder &b, Location loc, Value rows, RankedTensorType type);

} // namespace mlir::attn::tiling

#endif // ATTNC_PASSES_TILING_CONVCOLUMNS_H

//===- ConvColumns.cpp - A convolution as a matmul's rows ---------------===//
//
// The copies around the matmul that runs a convolution (ConvColumns.h):
// the input's windows laid out as rows (im2col) and the product's rows
// turned back into channels. Both are plain linalg.generics: they read
// and write each element once (a few MB where the product does GFLOPs)
// and run on all cores with the rest of the graph.
//
//===----------------------------------------------------------------------===//

#include "passes/tiling/ConvColumns.h"
#include "passes/lowering/LinalgBuilders.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

bool isStaticF32(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() && tensor.getElementType().isF32();
}

/// [0, 1, ..., n - 1] + first.
ReassociationIndices consecutive(int64_t first, int64_t n) {
  ReassociationIndices dims;
  for (int64_t i = 0; i < n; ++i)
    dims.push_back(first + i);
  return dims;
}

/// A tensor of `shape` whose element at each index (the loops) is
/// `source`'s at `read` of it: a copy as one linalg.generic.
Value buildGather(OpBuilder &b, Location loc, Value source, ArrayRef<AffineExpr> read,
                  ArrayRef<int64_t> shape) {
  MLIRContext *ctx = b.getContext();
  const int64_t loops = shape.size();
  Type element = cast<RankedTensorType>(source.getType()).getElementType();
  Value empty = tensor::EmptyOp::create(b, loc, shape, element);
  return linalg::GenericOp::create(
             b, loc, empty.getType(), source, empty,
             ArrayRef<AffineMap>{AffineMap::get(loops, 0, read, ctx),
                                 AffineMap::getMultiDimIdentityMap(loops, ctx)},
             SmallVector<utils::IteratorType>(loops, utils::IteratorType::parallel),
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, args[0]);
             })
      .getResult(0);
}

} // namespace

bool tiling::convRunsAsMatmul(ConvOp conv) {
  if (conv.getGroups() != 1 || !isStaticF32(conv.getInput().getType()) ||
      !isStaticF32(conv.getWeight().getType()) || !isStaticF32(conv.getType()))
    return false;
  if (conv.getBias() && !isStaticF32(conv.getBias().getType()))
    return false;
  return conv.getType().getNumElements() > 0 && conv.getWeight().getType().getNumElements() > 0;
}

Value tiling::buildConvColumns(OpBuilder &b, Location loc, ConvOp conv, Value input) {
  MLIRContext *ctx = b.getContext();
  RankedTensorType inputType = conv.getInput().getType();
  ArrayRef<int64_t> kernel = conv.getWeight().getType().getShape().drop_front(2);
  ArrayRef<int64_t> out = conv.getType().getShape().drop_front(2);
  const int64_t spatial = out.size();
  const int64_t n = inputType.getDimSize(0), c = inputType.getDimSize(1);
  Value padded = lowering::buildZeroPadded(b, loc, input, conv.getPads());

  // Loops (n, o..., c, k...), each writing columns[n, o..., c, k...] from
  // padded[n, c, o·stride + k·dilation]: the windows never reach past the
  // padded input, so there is nothing to test.
  SmallVector<int64_t> shape = {n};
  shape.append(out.begin(), out.end());
  shape.push_back(c);
  shape.append(kernel.begin(), kernel.end());
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> read = {dim(0), dim(1 + spatial)};
  for (int64_t i = 0; i < spatial; ++i)
    read.push_back(dim(1 + i) * conv.getStrides()[i] +
                   dim(2 + spatial + i) * conv.getDilations()[i]);
  Value windows = buildGather(b, loc, padded, read, shape);

  int64_t rows = n, columns = c;
  for (int64_t o : out)
    rows *= o;
  for (int64_t k : kernel)
    columns *= k;
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({rows, columns}, b.getF32Type()), windows,
      SmallVector<ReassociationIndices>{consecutive(0, 1 + spatial),
                                        consecutive(1 + spatial, 1 + spatial)});
}

Value tiling::buildConvWeightRows(OpBuilder &b, Location loc, ConvOp conv, Value weight) {
  RankedTensorType type = conv.getWeight().getType();
  int64_t columns = type.getNumElements() / type.getDimSize(0);
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({type.getDimSize(0), columns}, b.getF32Type()), weight,
      SmallVector<ReassociationIndices>{{0}, consecutive(1, type.getRank() - 1)});
}

Value tiling::buildChannelsFirst(OpBuilder &b, Location loc, Value rows, RankedTensorType type) {
  MLIRContext *ctx = b.getContext();
  const int64_t rank = type.getRank(), spatial = rank - 2;
  // [N·O..., M] -> [N, O..., M] (no copy) -> [N, M, O...].
  SmallVector<int64_t> channelsLast = {type.getDimSize(0)};
  for (int64_t i = 0; i < spatial; ++i)
    channelsLast.push_back(type.getDimSize(2 + i));
  channelsLast.push_back(type.getDimSize(1));
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(channelsLast, type.getElementType()), rows,
      SmallVector<ReassociationIndices>{consecutive(0, 1 + spatial), {1 + spatial}});
  // Result loops (n, m, o...) read expanded[n, o..., m].
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> read = {dim(0)};
  for (int64_t i = 0; i < spatial; ++i)
    read.push_back(dim(2 + i));
  read.push_back(dim(1));
  return buildGather(b, loc, expanded, read, type.getShape());
}

//===- RunTimeDims.cpp - Where an attn op's run-time dims come from ------===//

#include "dialects/attn/RunTimeDims.h"
#include "dialects/attn/AttnOps.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

int64_t dimSize(Value value, unsigned dim) {
  return cast<RankedTensorType>(value.getType()).getDimSize(dim);
}

/// Numpy broadcasting, right-aligned: the first of `operands` whose dim
/// aligned with result dim `dim` (of a rank-`rank` result) is a run-time
/// dim.
std::optional<DimOf> broadcastSource(ValueRange operands, int64_t rank, unsigned dim) {
  for (Value operand : operands) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (!type)
      continue;
    int64_t aligned = (int64_t)dim - (rank - type.getRank());
    if (aligned >= 0 && type.isDynamicDim(aligned))
      return DimOf{operand, (unsigned)aligned};
  }
  return std::nullopt;
}

/// Elementwise ops and those that keep their input's shape (normalizations,
/// softmax, running sums): every result dim is a broadcast operand dim.
bool keepsBroadcastShape(Operation *op) {
  return op->hasTrait<OpTrait::Elementwise>() ||
         isa<NegOp, AbsOp, ReluOp, ExpOp, LogOp, SqrtOp, ReciprocalOp, ErfOp, TanhOp, SigmoidOp,
             SinOp, CosOp, FloorOp, CeilOp, NotOp, GeluOp, ClipOp, CastOp, AddOp, SubOp, MulOp,
             DivOp, PowOp, MaxOp, MinOp, AndOp, OrOp, XorOp, EqualOp, LessOp, WhereOp, SoftmaxOp,
             LogSoftmaxOp, LayerNormOp, RmsNormOp, CumSumOp>(op);
}

/// Result dim `dim` of a reduction: the input dim it keeps.
template <typename ReduceOp>
std::optional<DimOf> reduceSource(ReduceOp op, unsigned dim) {
  ArrayRef<int64_t> axes = op.getAxes();
  int64_t rank = cast<RankedTensorType>(op.getInput().getType()).getRank();
  int64_t seen = 0;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    if (reduced && !op.getKeepdims())
      continue;
    if (seen++ == (int64_t)dim)
      return reduced ? std::nullopt : std::optional<DimOf>(DimOf{op.getInput(), (unsigned)d});
  }
  return std::nullopt;
}

std::optional<DimOf> matmulSource(MatmulOp op, unsigned dim) {
  int64_t rank = op.getType().getRank();
  int64_t lhsRank = op.getLhs().getType().getRank();
  int64_t rhsRank = op.getRhs().getType().getRank();
  if (rhsRank >= 2 && (int64_t)dim == rank - 1)
    return DimOf{op.getRhs(), (unsigned)(rhsRank - 1)};
  if (lhsRank >= 2 && (int64_t)dim == rank - (rhsRank >= 2 ? 2 : 1))
    return DimOf{op.getLhs(), (unsigned)(lhsRank - 2)};
  // A batch dim: broadcast over the operands' batch dims.
  int64_t batchRank = rank - (lhsRank >= 2 && rhsRank >= 2 ? 2 : 1);
  for (Value operand : {op.getLhs(), op.getRhs()}) {
    auto type = cast<RankedTensorType>(operand.getType());
    int64_t operandBatch = type.getRank() - 2;
    int64_t aligned = (int64_t)dim - (batchRank - operandBatch);
    if (operandBatch > 0 && aligned >= 0 && aligned < operandBatch &&
        type.isDynamicDim(aligned))
      return DimOf{operand, (unsigned)aligned};
  }
  return std::nullopt;
}

std::optional<DimOf> linearSource(LinearOp op, unsigned dim) {
  int64_t rank = op.getType().getRank();
  if ((int64_t)dim == rank - 1)
    return DimOf{op.getWeight(), op.getTransposeWeight() ? 0u : 1u};
  return DimOf{op.getInput(), dim};
}

} // namespace

std::optional<DimOf> mlir::attn::runTimeDimSource(Operation *op, unsigned result, unsigned dim) {
  auto type = dyn_cast<RankedTensorType>(op->getResult(result).getType());
  if (!type || !type.isDynamicDim(dim))
    return std::nullopt;
  std::optional<DimOf> source;
  if (keepsBroadcastShape(op))
    source = broadcastSource(op->getOperands(), type.getRank(), dim);
  else if (auto matmul = dyn_cast<MatmulOp>(op))
    source = matmulSource(matmul, dim);
  else if (auto linear = dyn_cast<LinearOp>(op))
    source = linearSource(linear, dim);
  else if (auto transpose = dyn_cast<TransposeOp>(op))
    source = DimOf{transpose.getInput(), (unsigned)transpose.getPermutation()[dim]};
  else if (auto reduce = dyn_cast<ReduceSumOp>(op))
    source = reduceSource(reduce, dim);
  else if (auto reduce = dyn_cast<ReduceMeanOp>(op))
    source = reduceSource(reduce, dim);
  else if (auto reduce = dyn_cast<ReduceMaxOp>(op))
    source = reduceSource(reduce, dim);
  else if (auto reduce = dyn_cast<ReduceMinOp>(op))
    source = reduceSource(reduce, dim);
  // A source must itself be a run-time dim (a static one would have made
  // the result's dim static).
  if (source && !ShapedType::isDynamic(dimSize(source->value, source->dim)))
    return std::nullopt;
  return source;
}

std::optional<DimOf> mlir::attn::traceRunTimeDim(Value value, unsigned dim) {
  while (Operation *op = value.getDefiningOp()) {
    std::optional<DimOf> source =
        runTimeDimSource(op, cast<OpResult>(value).getResultNumber(), dim);
    if (!source)
      return std::nullopt;
    value = source->value;
    dim = source->dim;
  }
  return DimOf{value, dim};
}

bool mlir::attn::hasRunTimeDimSources(Operation *op) {
  for (OpResult result : op->getResults()) {
    auto type = dyn_cast<RankedTensorType>(result.getType());
    if (!type)
      continue;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d) && !runTimeDimSource(op, result.getResultNumber(), d))
        return false;
  }
  return true;
}

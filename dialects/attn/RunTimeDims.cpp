//===- RunTimeDims.cpp - Where an attn op's run-time dims come from ------===//

#include "dialects/attn/RunTimeDims.h"
#include "dialects/attn/AttnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

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
             DivOp, PowOp, MaxOp, MinOp, AndOp, OrOp, XorOp, EqualOp, LessOp, LessEqualOp, GreaterOp,
             GreaterEqualOp, WhereOp, SoftmaxOp,
             LogSoftmaxOp, LayerNormOp, RmsNormOp, CumSumOp, TriluOp, BroadcastToOp>(op);
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

/// Result dim `dim` of a reshape: the input's `?` of the same rank among
/// the `?`s (runTimeReshape).
std::optional<DimOf> reshapeSource(ReshapeOp op, unsigned dim) {
  ArrayRef<int64_t> to = op.getType().getShape();
  int64_t ordinal = llvm::count_if(to.take_front(dim), ShapedType::isDynamic);
  auto input = cast<RankedTensorType>(op.getInput().getType());
  for (int64_t d = 0; d < input.getRank(); ++d)
    if (input.isDynamicDim(d) && ordinal-- == 0)
      return DimOf{op.getInput(), (unsigned)d};
  return std::nullopt;
}

/// Result dim `dim` of a gather: the indices' dims in the gathered axis's
/// place, the data's elsewhere.
std::optional<DimOf> gatherSource(GatherOp op, unsigned dim) {
  int64_t axis = op.getAxis(), indexRank = op.getIndices().getType().getRank();
  if ((int64_t)dim >= axis && (int64_t)dim < axis + indexRank)
    return DimOf{op.getIndices(), (unsigned)(dim - axis)};
  return DimOf{op.getData(), (unsigned)((int64_t)dim < axis ? dim : dim - indexRank + 1)};
}

/// The run-time count operand of slice dim `dim` (a static input dim cut to
/// a run-time size, slice.C4).
Value sliceCount(SliceOp op, unsigned dim) {
  auto input = cast<RankedTensorType>(op.getInput().getType());
  int64_t ordinal = 0;
  for (unsigned d = 0; d < dim; ++d)
    ordinal += ShapedType::isDynamic(op.getSizes()[d]) && !input.isDynamicDim(d);
  return op.getDynamicSizes()[ordinal];
}

/// Result dim `dim` of a slice (slice.C4): the input's run-time dim taken
/// whole, or the dim its run-time count reads (a tensor.dim).
std::optional<DimOf> sliceSource(SliceOp op, unsigned dim) {
  if (op.getInput().getType().isDynamicDim(dim))
    return DimOf{op.getInput(), dim};
  if (auto read = sliceCount(op, dim).getDefiningOp<tensor::DimOp>())
    if (std::optional<int64_t> index = read.getConstantIndex())
      return DimOf{read.getSource(), (unsigned)*index};
  return std::nullopt;
}

/// The segments of `shape` between its `?`s: their element counts.
SmallVector<int64_t> segmentCounts(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> counts = {1};
  for (int64_t d : shape) {
    if (ShapedType::isDynamic(d))
      counts.push_back(1);
    else
      counts.back() *= d;
  }
  return counts;
}

/// Assigns each dim of `shape` to its canonical dim: a `?` to its own, a
/// static dim of a segment of more than one element to the segment's, a
/// unit dim to the group before it (or the first group).
SmallVector<SmallVector<int64_t, 2>> canonicalGroups(ArrayRef<int64_t> shape,
                                                     ArrayRef<int64_t> counts,
                                                     ArrayRef<int64_t> segmentIndex,
                                                     ArrayRef<int64_t> dynamicIndex) {
  int64_t total = 0;
  for (int64_t i : llvm::concat<const int64_t>(segmentIndex, dynamicIndex))
    total = std::max(total, i + 1);
  SmallVector<SmallVector<int64_t, 2>> groups(total);
  int64_t segment = 0, current = -1;
  SmallVector<int64_t> pendingUnits;
  for (auto [d, size] : llvm::enumerate(shape)) {
    int64_t target;
    if (ShapedType::isDynamic(size)) {
      target = dynamicIndex[segment++];
    } else if (counts[segment] != 1 && size != 1) {
      target = segmentIndex[segment];
    } else {
      if (current < 0) {
        pendingUnits.push_back(d);
        continue;
      }
      target = current;
    }
    if (current < 0) {
      groups[target].append(pendingUnits.begin(), pendingUnits.end());
      pendingUnits.clear();
    }
    groups[target].push_back(d);
    current = target;
  }
  if (!pendingUnits.empty() && total > 0)
    groups.front().append(pendingUnits.begin(), pendingUnits.end());
  return groups;
}

} // namespace

std::optional<RunTimeReshape> mlir::attn::runTimeReshape(ArrayRef<int64_t> from,
                                                         ArrayRef<int64_t> to) {
  SmallVector<int64_t> fromCounts = segmentCounts(from), toCounts = segmentCounts(to);
  if (fromCounts != toCounts || fromCounts.size() < 2)
    return std::nullopt;
  // Canonical dims in order: segment 0 (if more than one element), `?` 0,
  // segment 1, `?` 1, ...
  RunTimeReshape reshape;
  SmallVector<int64_t> segmentIndex(fromCounts.size(), -1), dynamicIndex;
  for (auto [k, count] : llvm::enumerate(fromCounts)) {
    if (count != 1) {
      segmentIndex[k] = reshape.canonical.size();
      reshape.canonical.push_back(count);
    }
    if (k + 1 < fromCounts.size()) {
      dynamicIndex.push_back(reshape.canonical.size());
      reshape.canonical.push_back(ShapedType::kDynamic);
    }
  }
  reshape.fromGroups = canonicalGroups(from, fromCounts, segmentIndex, dynamicIndex);
  reshape.toGroups = canonicalGroups(to, toCounts, segmentIndex, dynamicIndex);
  return reshape;
}

/// attn.sdpa's result is [B, H, S, Dv] in its layout (sdpa.C11): the batch,
/// heads and query length are the query's, Dv the value's.
static std::optional<DimOf> sdpaSource(SdpaOp op, unsigned dim) {
  bool resultSeqMajor = op.isSeqMajor(SdpaTensor::Result);
  bool querySeqMajor = op.isSeqMajor(SdpaTensor::Query);
  if (dim == 3)
    return DimOf{op.getValue(), 3};
  if (dim == 0)
    return DimOf{op.getQuery(), 0};
  bool isSeq = dim == sdpaSeqAxis(resultSeqMajor);
  return DimOf{op.getQuery(), isSeq ? sdpaSeqAxis(querySeqMajor) : sdpaHeadAxis(querySeqMajor)};
}

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
  else if (auto slice = dyn_cast<SliceOp>(op))
    source = sliceSource(slice, dim);
  else if (auto gather = dyn_cast<GatherOp>(op))
    source = gatherSource(gather, dim);
  else if (auto concat = dyn_cast<ConcatOp>(op); concat && (int64_t)dim != concat.getAxis())
    source = DimOf{concat.getInputs().front(), dim};
  else if (auto append = dyn_cast<KvAppendOp>(op); append && (int64_t)dim != append.getAxis())
    source = DimOf{append.getCache(), dim};
  else if (auto window = dyn_cast<KvWindowOp>(op); window && (int64_t)dim != window.getAxis())
    source = DimOf{window.getCache(), dim};
  else if (auto reshape = dyn_cast<ReshapeOp>(op))
    source = reshapeSource(reshape, dim);
  else if (auto transpose = dyn_cast<TransposeOp>(op))
    source = DimOf{transpose.getInput(), (unsigned)transpose.getPermutation()[dim]};
  else if (auto sdpa = dyn_cast<SdpaOp>(op))
    source = sdpaSource(sdpa, dim);
  else
    source = llvm::TypeSwitch<Operation *, std::optional<DimOf>>(op)
                 .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp, ReduceMinOp>(
                     [&](auto reduce) { return reduceSource(reduce, dim); })
                 .Default([](Operation *) { return std::nullopt; });
  // A source must itself be a run-time dim (a static one would have made
  // the result's dim static).
  if (source && !ShapedType::isDynamic(dimSize(source->value, source->dim)))
    return std::nullopt;
  return source;
}

void LinearExtent::add(const LinearExtent &other, int64_t scale) {
  constant += scale * other.constant;
  for (const auto &[dim, coefficient] : other.terms) {
    auto same = llvm::find_if(terms, [&](const auto &term) {
      return term.first.value == dim.value && term.first.dim == dim.dim;
    });
    if (same == terms.end())
      terms.push_back({dim, scale * coefficient});
    else
      same->second += scale * coefficient;
  }
  llvm::erase_if(terms, [](const auto &term) { return term.second == 0; });
}

bool LinearExtent::isNonNegative() const {
  return constant >= 0 && llvm::all_of(terms, [](const auto &term) { return term.second >= 0; });
}

/// The first argument dim of the function that carries the same symbol as
/// `dim` (an argument's run-time dim): the runtime holds all dims of one
/// symbol equal, so every layer's past length is one term.
static DimOf sameSymbolDim(DimOf dim) {
  auto arg = dyn_cast<BlockArgument>(dim.value);
  auto func = arg ? dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp()) : nullptr;
  if (!func || arg.getOwner() != &func.getFunctionBody().front())
    return dim;
  auto symbolOf = [&](unsigned argNumber, unsigned d) -> StringAttr {
    auto names = func.getArgAttrOfType<ArrayAttr>(argNumber, kDimSymbolsAttrName);
    auto name = names && d < names.size() ? dyn_cast<StringAttr>(names[d]) : nullptr;
    return name && !name.getValue().empty() ? name : nullptr;
  };
  StringAttr symbol = symbolOf(arg.getArgNumber(), dim.dim);
  if (!symbol)
    return dim;
  for (BlockArgument other : func.getFunctionBody().front().getArguments()) {
    auto type = dyn_cast<RankedTensorType>(other.getType());
    for (unsigned d = 0; type && d < type.getRank(); ++d)
      if (type.isDynamicDim(d) && symbolOf(other.getArgNumber(), d) == symbol)
        return DimOf{other, d};
  }
  return dim;
}

std::optional<LinearExtent> mlir::attn::traceRunTimeExtent(Value value, unsigned dim) {
  LinearExtent extent;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || dim >= type.getRank())
    return std::nullopt;
  if (!type.isDynamicDim(dim)) {
    extent.constant = type.getDimSize(dim);
    return extent;
  }
  Operation *op = value.getDefiningOp();
  if (!op) {
    extent.terms.push_back({sameSymbolDim(DimOf{value, dim}), 1});
    return extent;
  }
  if (auto concat = dyn_cast<ConcatOp>(op); concat && (int64_t)dim == concat.getAxis()) {
    for (Value input : concat.getInputs()) {
      std::optional<LinearExtent> part = traceRunTimeExtent(input, dim);
      if (!part)
        return std::nullopt;
      extent.add(*part);
    }
    return extent;
  }
  if (auto append = dyn_cast<KvAppendOp>(op); append && (int64_t)dim == append.getAxis()) {
    for (Value input : {append.getCache(), append.getRows()}) {
      std::optional<LinearExtent> part = traceRunTimeExtent(input, dim);
      if (!part)
        return std::nullopt;
      extent.add(*part);
    }
    return extent;
  }
  if (auto slice = dyn_cast<SliceOp>(op); slice && !slice.getInput().getType().isDynamicDim(dim))
    return traceIndexValue(sliceCount(slice, dim));
  std::optional<DimOf> source =
      runTimeDimSource(op, cast<OpResult>(value).getResultNumber(), dim);
  if (!source)
    return std::nullopt;
  return traceRunTimeExtent(source->value, source->dim);
}

std::optional<LinearExtent> mlir::attn::traceIndexValue(Value index) {
  LinearExtent extent;
  APInt constant;
  if (matchPattern(index, m_ConstantInt(&constant))) {
    extent.constant = constant.getSExtValue();
    return extent;
  }
  Operation *op = index.getDefiningOp();
  if (auto read = dyn_cast_or_null<tensor::DimOp>(op)) {
    std::optional<int64_t> dim = read.getConstantIndex();
    return dim ? traceRunTimeExtent(read.getSource(), (unsigned)*dim) : std::nullopt;
  }
  if (isa_and_nonnull<arith::AddIOp, arith::SubIOp>(op)) {
    std::optional<LinearExtent> lhs = traceIndexValue(op->getOperand(0));
    std::optional<LinearExtent> rhs = traceIndexValue(op->getOperand(1));
    if (!lhs || !rhs)
      return std::nullopt;
    lhs->add(*rhs, isa<arith::AddIOp>(op) ? 1 : -1);
    return lhs;
  }
  if (isa_and_nonnull<arith::MulIOp>(op)) {
    for (int side : {0, 1})
      if (matchPattern(op->getOperand(1 - side), m_ConstantInt(&constant)))
        if (std::optional<LinearExtent> factor = traceIndexValue(op->getOperand(side))) {
          extent.add(*factor, constant.getSExtValue());
          return extent;
        }
  }
  return std::nullopt;
}

std::optional<int64_t> mlir::attn::runTimeBound(Value value, unsigned dim) {
  // A cache's last positions: at most its slots.
  if (auto window = value.getDefiningOp<KvWindowOp>();
      window && value == window.getHeld() && (int64_t)dim == window.getAxis()) {
    std::optional<int64_t> cache = runTimeBound(window.getCache(), dim);
    return cache ? std::min<int64_t>(*cache, window.getSlots()) : window.getSlots();
  }
  std::optional<LinearExtent> extent = traceRunTimeExtent(value, dim);
  if (!extent)
    return std::nullopt;
  int64_t bound = extent->constant;
  for (const auto &[source, coefficient] : extent->terms) {
    auto arg = dyn_cast<BlockArgument>(source.value);
    auto func = arg ? dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp()) : nullptr;
    auto names = func ? func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), kDimSymbolsAttrName)
                      : nullptr;
    auto bounds = func ? func->getAttrOfType<DictionaryAttr>(kDimBoundsAttrName) : nullptr;
    auto name = names && source.dim < names.size() ? dyn_cast<StringAttr>(names[source.dim])
                                                   : nullptr;
    auto symbolBound = name && bounds ? bounds.getAs<IntegerAttr>(name.getValue()) : nullptr;
    if (!symbolBound)
      return std::nullopt;
    if (coefficient > 0)
      bound += coefficient * symbolBound.getInt();
  }
  return bound;
}

bool mlir::attn::hasRunTimeDimSources(Operation *op) {
  // A run-time count lowers whatever computes it (slice.C4); a concat along
  // a run-time dim sums its inputs' extents (a KV append too).
  if (isa<SliceOp, ConcatOp, KvAppendOp, KvWindowOp>(op))
    return true;
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

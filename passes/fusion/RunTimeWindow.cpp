//===- RunTimeWindow.cpp - A band mask cut from a buffer at run time ------===//

#include "passes/fusion/RunTimeWindow.h"
#include "dialects/attn/RunTimeDims.h"
#include "passes/ScalarConstants.h"
#include "passes/fusion/MaskEvaluator.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include <cmath>

namespace mlir::attn {
namespace {

/// Band buffers up to this many elements are read (GPT-2's 1024 x 1024
/// `bias`, a 3072-position model's 9 Mi).
constexpr int64_t kMaxBufferElements = int64_t(1) << 26;

/// The value of a one-element i64 tensor as a linear form over argument
/// dims: a constant, or tensor.from_elements of an index cast (a dim read
/// at run time, through index arithmetic); nullopt for anything else.
std::optional<LinearExtent> scalarIndex(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getNumElements() != 1 || !type.getElementType().isInteger(64))
    return std::nullopt;
  if (std::optional<EvaluatedTensor> constant = evaluateConstantSubgraph(value, 1)) {
    LinearExtent extent;
    extent.constant = (int64_t)constant->data[0];
    return extent;
  }
  auto vector = value.getDefiningOp<tensor::FromElementsOp>();
  auto cast = vector ? vector.getElements()[0].getDefiningOp<arith::IndexCastOp>()
                     : arith::IndexCastOp();
  return cast ? traceIndexValue(cast.getIn()) : std::nullopt;
}

/// A one-element i64 tensor holding a nonnegative index.
bool isNonNegativeScalar(Value value) {
  std::optional<LinearExtent> index = scalarIndex(value);
  return index && index->isNonNegative();
}

/// Whether `value` is a prefix of 0, 1, 2, ...: a constant iota, or a slice
/// of one from 0 with stride 1 (Range of a run-time length, cut from its
/// bound).
bool isIotaPrefix(Value value) {
  if (auto slice = value.getDefiningOp<SliceOp>()) {
    if (slice.getOffsets()[0] != 0 || slice.getStrides()[0] != 1)
      return false;
    value = slice.getInput();
  }
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() != 1 || !type.hasStaticShape())
    return false;
  std::optional<EvaluatedTensor> iota = evaluateConstantSubgraph(value, kMaxBufferElements);
  if (!iota)
    return false;
  for (auto [k, x] : llvm::enumerate(iota->data))
    if (x != (double)k)
      return false;
  return true;
}

/// The start of `rows` when it is `iota + start` (either order) with a
/// nonnegative run-time start: rows[i] = start + i.
Value matchShiftedIota(Value rows) {
  auto add = rows.getDefiningOp<AddOp>();
  if (!add || cast<RankedTensorType>(rows.getType()).getRank() != 1)
    return {};
  for (auto [iota, start] : {std::pair{add.getLhs(), add.getRhs()},
                             std::pair{add.getRhs(), add.getLhs()}})
    if (isIotaPrefix(iota) && isNonNegativeScalar(start))
      return start;
  return {};
}

/// Peels what keeps element [.., i, j] of `cond` at [.., i, j] of its
/// source: slices from 0 with stride 1 (the first S rows, T keys) and
/// reshapes that keep the last two dims.
Value peelPrefixViews(Value cond) {
  for (int depth = 0; depth < 8; ++depth) {
    Operation *op = cond.getDefiningOp();
    if (auto slice = dyn_cast_or_null<SliceOp>(op)) {
      if (llvm::any_of(slice.getOffsets(), [](int64_t o) { return o != 0; }) ||
          llvm::any_of(slice.getStrides(), [](int64_t s) { return s != 1; }))
        return cond;
      cond = slice.getInput();
      continue;
    }
    if (auto reshape = dyn_cast_or_null<ReshapeOp>(op)) {
      ArrayRef<int64_t> from = reshape.getInput().getType().getShape();
      ArrayRef<int64_t> to = reshape.getType().getShape();
      if (from.size() < 2 || to.size() < 2 || from.take_back(2) != to.take_back(2))
        return cond;
      cond = reshape.getInput();
      continue;
    }
    return cond;
  }
  return cond;
}

/// The band [-left, right] around the diagonal that holds exactly the
/// nonzero entries of an N x M buffer (its leading dims all 1).
FailureOr<std::pair<int64_t, int64_t>> bandOf(const EvaluatedTensor &buffer,
                                              std::string &reason) {
  ArrayRef<int64_t> shape = buffer.shape;
  if (shape.size() < 2 || llvm::any_of(shape.drop_back(2), [](int64_t d) { return d != 1; })) {
    reason = "the mask buffer is not one matrix";
    return failure();
  }
  int64_t n = shape[shape.size() - 2], m = shape.back();
  int64_t left = -1, right = -1;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < m; ++j)
      if (buffer.data[r * m + j] != 0) {
        left = std::max(left, r - j);
        right = std::max(right, j - r);
      }
  if (left < 0 || right < 0) {
    reason = "the mask buffer's visible entries do not include its diagonal";
    return failure();
  }
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < m; ++j)
      if ((buffer.data[r * m + j] != 0) != (j - r >= -left && j - r <= right)) {
        reason = "the mask buffer is not a band";
        return failure();
      }
  return std::pair{left, right};
}

/// Whether every element of the constant `value` (through prefix views)
/// satisfies `pred`; false when it is not a constant.
bool allElements(Value value, function_ref<bool(double)> pred) {
  std::optional<EvaluatedTensor> constant =
      evaluateConstantSubgraph(peelPrefixViews(value), kMaxBufferElements);
  return constant && llvm::all_of(constant->data, pred);
}

using Band = RunTimeBand;
constexpr int64_t kOpen = WindowAttr::kUnbounded;

/// The band of a boolean condition that says which keys are visible:
/// rows of a constant band buffer, gathered from a run-time start or cut
/// from row 0, or the lower triangle of ones (Trilu).
FailureOr<Band> visibleBandOf(Value cond, std::string &reason) {
  auto fail = [&](const Twine &why) -> FailureOr<Band> {
    reason = why.str();
    return failure();
  };
  Value source = peelPrefixViews(cond);
  if (auto trilu = source.getDefiningOp<TriluOp>()) {
    // tril(ones, k): visible iff j - i <= k.
    if (trilu.getUpper() || trilu.getDiagonal() < 0 ||
        !allElements(trilu.getInput(), [](double x) { return x != 0; }))
      return fail("the mask is a Trilu that is not the lower triangle of ones from the "
                  "diagonal on");
    return Band{kOpen, (int64_t)trilu.getDiagonal(), Value()};
  }
  Value buffer = source, start;
  if (auto gather = source.getDefiningOp<GatherOp>()) {
    auto data = cast<RankedTensorType>(gather.getData().getType());
    auto indices = cast<RankedTensorType>(gather.getIndices().getType());
    if (data.getRank() < 2 || (int64_t)gather.getAxis() != data.getRank() - 2 ||
        indices.getRank() != 1)
      return fail("the mask's rows are not gathered along the buffer's row axis");
    start = matchShiftedIota(gather.getIndices());
    if (!start)
      return fail("the mask's rows are not consecutive from a nonnegative run-time start");
    buffer = gather.getData();
  }
  std::optional<EvaluatedTensor> values = evaluateConstantSubgraph(buffer, kMaxBufferElements);
  if (!values)
    return fail("the mask is computed at run time, and not as rows of a constant buffer");
  FailureOr<std::pair<int64_t, int64_t>> band = bandOf(*values, reason);
  if (failed(band))
    return failure();
  auto [left, right] = *band;
  int64_t rows = values->shape[values->shape.size() - 2], cols = values->shape.back();
  // A side no row of the buffer reaches is open.
  return Band{left >= rows - 1 ? kOpen : left, right >= cols - 1 ? kOpen : right, start};
}

/// The start of a position vector laid along dim `axis` of `value` (every
/// other dim 1): iota (start null, position 0) or iota + a run-time start.
/// Failure for anything else.
FailureOr<Value> positionsAlong(Value value, int64_t axis) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(value.getType()).getShape();
  int64_t rank = shape.size();
  if (axis < 0 || axis >= rank)
    return failure();
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && shape[d] != 1)
      return failure();
  while (auto reshape = value.getDefiningOp<ReshapeOp>())
    value = reshape.getInput();
  if (cast<RankedTensorType>(value.getType()).getRank() != 1)
    return failure();
  if (isIotaPrefix(value))
    return Value();
  if (Value start = matchShiftedIota(value))
    return start;
  return failure();
}

/// A value of the mask's arithmetic as keyCoef·j + queryCoef·(start + i) +
/// constant, for key j and query i: key positions are a row of iota
/// ([.., 1, T]), query positions a column of iota + start ([.., S, 1]).
struct PositionForm {
  int64_t keyCoef = 0, queryCoef = 0, constant = 0;
  Value start;
};

std::optional<PositionForm> positionForm(Value value, int depth = 0) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank();
  if (type.getNumElements() == 1)
    if (std::optional<EvaluatedTensor> c = evaluateConstantSubgraph(value, 1);
        c && c->data[0] == std::floor(c->data[0]) && std::abs(c->data[0]) < 1e15)
      return PositionForm{0, 0, (int64_t)c->data[0], Value()};
  if (rank >= 1) {
    if (FailureOr<Value> keys = positionsAlong(value, rank - 1); succeeded(keys) && !*keys)
      return PositionForm{1, 0, 0, Value()};
    if (FailureOr<Value> queries = positionsAlong(value, rank - 2); succeeded(queries))
      return PositionForm{0, 1, 0, *queries};
  }
  Operation *op = value.getDefiningOp();
  if (!isa_and_nonnull<AddOp, SubOp>(op) || depth > 4)
    return std::nullopt;
  std::optional<PositionForm> lhs = positionForm(op->getOperand(0), depth + 1);
  std::optional<PositionForm> rhs = positionForm(op->getOperand(1), depth + 1);
  if (!lhs || !rhs || (lhs->start && rhs->start && lhs->start != rhs->start))
    return std::nullopt;
  int64_t sign = isa<AddOp>(op) ? 1 : -1;
  return PositionForm{lhs->keyCoef + sign * rhs->keyCoef, lhs->queryCoef + sign * rhs->queryCoef,
                      lhs->constant + sign * rhs->constant, lhs->start ? lhs->start : rhs->start};
}

/// The half-band of a comparison of positions, `lhs OP rhs`: it reads
/// (j - p) + c OP' 0 for key j and query position p, which bounds j - p on
/// one side. `hides` says whether the condition hides the keys where it
/// holds.
FailureOr<Band> comparedPositions(Operation *compare, bool hides, std::string &reason) {
  auto fail = [&](const Twine &why) -> FailureOr<Band> {
    reason = why.str();
    return failure();
  };
  std::optional<PositionForm> lhs = positionForm(compare->getOperand(0));
  std::optional<PositionForm> rhs = positionForm(compare->getOperand(1));
  if (!lhs || !rhs || (lhs->start && rhs->start && lhs->start != rhs->start))
    return fail("the mask does not compare key positions from 0 with query positions");
  PositionForm e{lhs->keyCoef - rhs->keyCoef, lhs->queryCoef - rhs->queryCoef,
                 lhs->constant - rhs->constant, lhs->start ? lhs->start : rhs->start};
  // e OP 0 with e = ±(j - p) + c; flip to +(j - p).
  enum { Less, LessEqual, Greater, GreaterEqual } relation =
      isa<LessOp>(compare) ? Less : isa<LessEqualOp>(compare) ? LessEqual
                                  : isa<GreaterOp>(compare)   ? Greater
                                                              : GreaterEqual;
  if (hides) // visible iff not (e OP 0)
    relation = relation == Less ? GreaterEqual : relation == LessEqual ? Greater
               : relation == Greater ? LessEqual : Less;
  if (e.keyCoef == -1 && e.queryCoef == 1) {
    e = {1, -1, -e.constant, e.start};
    relation = relation == Less ? Greater : relation == LessEqual ? GreaterEqual
               : relation == Greater ? Less : LessEqual;
  }
  if (e.keyCoef != 1 || e.queryCoef != -1)
    return fail("the mask compares positions other than by their distance");
  // (j - p) + c OP 0.
  int64_t c = e.constant;
  Band band{kOpen, kOpen, e.start};
  switch (relation) {
  case LessEqual: band.right = -c; break;
  case Less: band.right = -c - 1; break;
  case GreaterEqual: band.left = c; break;
  case Greater: band.left = c - 1; break;
  }
  if ((band.right != kOpen && band.right < 0) || (band.left != kOpen && band.left < 0))
    return fail("the mask hides each query's own position");
  return band;
}

/// The run-time length of `op`'s queries or keys as a linear form.
std::optional<LinearExtent> lengthOf(SdpaOp op, SdpaTensor tensor) {
  Value value = tensor == SdpaTensor::Query ? op.getQuery() : op.getKey();
  return traceRunTimeExtent(value, sdpaSeqAxis(op.isSeqMajor(tensor)));
}

/// Whether start + S <= T at every run: the last query's position is a key
/// (a query then sees its own position, and with it some key).
bool queriesWithinKeys(SdpaOp op, Value start) {
  std::optional<LinearExtent> queries = lengthOf(op, SdpaTensor::Query);
  std::optional<LinearExtent> keys = lengthOf(op, SdpaTensor::Key);
  if (!queries || !keys)
    return false;
  LinearExtent slack = *keys; // T - S - start
  slack.add(*queries, -1);
  if (start) {
    std::optional<LinearExtent> position = scalarIndex(start);
    if (!position)
      return false;
    slack.add(*position, -1);
  }
  return slack.isNonNegative();
}

} // namespace

FailureOr<RunTimeBand> inferRunTimeBand(SdpaOp op, Value term, std::string &reason) {
  auto fail = [&](const Twine &why) -> FailureOr<RunTimeBand> {
    reason = why.str();
    return failure();
  };
  // The mask's last two dims are the scores' own (a run-time dim never
  // broadcasts), not a unit row that every query would share.
  ArrayRef<int64_t> maskShape = cast<RankedTensorType>(term.getType()).getShape();
  SdpaDims dims = op.getDims();
  if (maskShape.size() < 2 || maskShape[maskShape.size() - 2] != dims.queryLen ||
      maskShape.back() != dims.keyLen)
    return fail("the mask does not span the queries and keys");
  // A term of zeros (the buffer masked_fill writes -inf into, split off
  // as a term of its own) hides nothing.
  if (allElements(term, [](double x) { return x == 0.0; }))
    return RunTimeBand{kOpen, kOpen, Value()};
  if (auto where = peelPrefixViews(term).getDefiningOp<WhereOp>()) {
    // where(cond, 0, -inf) or where(cond, -inf, 0): cond says which keys
    // are visible, or hidden. The zeros may be a tensor of them.
    auto isZero = [](Value v) { return allElements(v, [](double x) { return x == 0.0; }); };
    auto isHidden = [](Value v) {
      std::optional<double> x = matchScalarConstant(v);
      return x && *x == -INFINITY;
    };
    bool shows = isZero(where.getTrueValue()) && isHidden(where.getFalseValue());
    bool hides = isHidden(where.getTrueValue()) && isZero(where.getFalseValue());
    if (!shows && !hides)
      return fail("not a boolean mask where(cond, 0, -inf) or where(cond, -inf, 0)");
    // masked_fill(~allowed, -inf): a negated condition swaps the sides.
    Value condition = where.getCondition();
    while (auto negated = condition.getDefiningOp<NotOp>()) {
      condition = negated.getInput();
      std::swap(shows, hides);
    }
    Operation *cond = condition.getDefiningOp();
    if (isa_and_nonnull<LessOp, LessEqualOp, GreaterOp, GreaterEqualOp>(cond))
      return comparedPositions(cond, hides, reason);
    if (shows)
      return visibleBandOf(condition, reason);
    return fail("the hidden keys are not a comparison of positions");
  }
  if (auto trilu = peelPrefixViews(term).getDefiningOp<TriluOp>()) {
    // triu(-inf, k): hidden iff j - i >= k, so visible iff j - i <= k - 1.
    if (!trilu.getUpper() || trilu.getDiagonal() < 1 ||
        !allElements(trilu.getInput(), [](double x) { return x <= -1e4; }))
      return fail("the mask is a Trilu that is not the upper triangle of -inf above the "
                  "diagonal");
    return RunTimeBand{kOpen, (int64_t)trilu.getDiagonal() - 1, Value()};
  }
  return fail("not a boolean mask (Where), nor a Trilu of -inf");
}

FailureOr<RunTimeWindow> combineRunTimeBands(SdpaOp op, ArrayRef<RunTimeBand> bands,
                                             std::string &reason) {
  // A band open on both sides shows every key wherever the queries stand.
  auto placesQueries = [](const RunTimeBand &b) { return b.left != kOpen || b.right != kOpen; };
  RunTimeBand band{kOpen, kOpen, Value()};
  const RunTimeBand *placed = llvm::find_if(bands, placesQueries);
  band.start = placed != bands.end() ? placed->start : Value();
  for (const RunTimeBand &each : bands) {
    if (!placesQueries(each))
      continue;
    // A null start is position 0, which a run-time start need not be.
    if (each.start != band.start) {
      reason = "the mask's terms place the queries at different positions";
      return failure();
    }
    auto tighter = [](int64_t a, int64_t b) { return a == kOpen ? b : b == kOpen ? a : std::min(a, b); };
    band.left = tighter(band.left, each.left);
    band.right = tighter(band.right, each.right);
  }
  // Every query must see some key, or the graph's result depends on its
  // fill value. An open left side shows it key 0; a bounded one shows it
  // its own position (right >= 0) if that is a key.
  if (band.left != kOpen && !queriesWithinKeys(op, band.start)) {
    reason = "the band's left side is bounded (" + std::to_string(band.left) +
             ") and the queries' positions are not provably within the keys: a query "
             "could see no key at run time";
    return failure();
  }
  WindowAttr window;
  if (band.left != kOpen || band.right != kOpen)
    window = WindowAttr::get(op.getContext(), band.left, band.right);
  return RunTimeWindow{window, band.start};
}

} // namespace mlir::attn

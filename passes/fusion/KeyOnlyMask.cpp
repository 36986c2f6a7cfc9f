//===- KeyOnlyMask.cpp - Recognize a mask that varies only by key -------===//
//
// Exporters write a padding mask as attention_mask[:, None, None, :],
// sometimes expanded to [B, 1, S, T] before it is inverted and scaled. The
// values only change with (batch row, key) either way. Undoing the broadcasts
// through the elementwise ops gives back the [B, T] mask, which the backends
// read once per key instead of once per score.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/KeyOnlyMask.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int kMaxDepth = 16;
using Shape4 = SmallVector<int64_t, 4>;

/// `shape` right-aligned to the 4-D scores [B, H, S, T].
Shape4 asScores(ArrayRef<int64_t> shape) {
  Shape4 padded(4 - std::min<size_t>(4, shape.size()), 1);
  padded.append(shape.begin(), shape.end());
  return padded;
}

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

/// numpy broadcast of two shapes.
SmallVector<int64_t> broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  SmallVector<int64_t> result(a.size() > b.size() ? a : b);
  ArrayRef<int64_t> shorter = a.size() > b.size() ? b : a;
  for (size_t i = 0; i < shorter.size(); ++i) {
    int64_t &dim = result[result.size() - shorter.size() + i];
    if (dim == 1)
      dim = shorter[i];
  }
  return result;
}

/// Ops whose result is elementwise in their (numpy-broadcast) operands.
bool isElementwise(Operation *op) {
  return op->getNumResults() == 1 &&
         (op->hasTrait<OpTrait::Elementwise>() ||
          isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, AndOp, OrOp, XorOp, EqualOp,
              LessOp, LessEqualOp, GreaterOp, GreaterEqualOp, WhereOp>(op));
}

/// The shape of `v` without its head and query broadcasts, right-aligned to
/// 4-D, when the elementwise computation of `v` allows undoing them.
std::optional<Shape4> narrowedShape(Value v, int depth = 0) {
  if (shapeOf(v).size() > 4)
    return std::nullopt;
  Shape4 shape = asScores(shapeOf(v));
  if (shape[1] == 1 && shape[2] == 1)
    return shape;
  Operation *def = v.getDefiningOp();
  if (!def || depth >= kMaxDepth)
    return std::nullopt;
  if (auto broadcast = dyn_cast<BroadcastToOp>(def))
    return narrowedShape(broadcast.getInput(), depth + 1);
  if (!isElementwise(def))
    return std::nullopt;
  Shape4 result = {1, 1, 1, 1};
  for (Value operand : def->getOperands()) {
    std::optional<Shape4> narrowed = narrowedShape(operand, depth + 1);
    if (!narrowed)
      return std::nullopt;
    result = Shape4(broadcastShapes(result, *narrowed));
  }
  return result;
}

/// `v` recomputed without its head and query broadcasts (narrowedShape(v)
/// must exist). `done` maps values already narrowed, so that a value used
/// twice (the inverted mask feeding both the condition and a branch of a
/// Where) is recomputed once.
Value narrow(OpBuilder &b, Location loc, Value v, DenseMap<Value, Value> &done) {
  Shape4 shape = asScores(shapeOf(v));
  if (shape[1] == 1 && shape[2] == 1)
    return v;
  if (Value known = done.lookup(v))
    return known;
  Operation *def = v.getDefiningOp();
  Value result;
  if (auto broadcast = dyn_cast<BroadcastToOp>(def)) {
    result = narrow(b, loc, broadcast.getInput(), done);
  } else {
    SmallVector<Value> operands;
    SmallVector<int64_t> resultShape;
    for (Value operand : def->getOperands()) {
      operands.push_back(narrow(b, loc, operand, done));
      resultShape = broadcastShapes(resultShape, shapeOf(operands.back()));
    }
    auto resultType = RankedTensorType::get(
        resultShape, cast<RankedTensorType>(v.getType()).getElementType());
    OperationState state(loc, def->getName().getIdentifier(), operands, TypeRange{resultType},
                         def->getAttrs());
    result = b.create(state)->getResult(0);
  }
  done[v] = result;
  return result;
}

} // namespace

bool mlir::attn::isKeyOnlyMask(SdpaOp op, Value mask) {
  int64_t batch = op.getDims().batch, t = op.getDims().keyLen;
  Type element = cast<RankedTensorType>(mask.getType()).getElementType();
  if (!element.isInteger(1) && element != op.getQuery().getType().getElementType())
    return false;
  std::optional<Shape4> shape = narrowedShape(mask);
  // It must still span the keys: one value per batch row shifts all of a
  // row's scores alike, which is no padding.
  return shape && ((*shape)[0] == 1 || (*shape)[0] == batch) && (*shape)[3] == t && t > 1;
}

Value mlir::attn::buildKeyMask(OpBuilder &b, Location loc, SdpaOp op, Value mask) {
  int64_t batch = op.getDims().batch, t = op.getDims().keyLen;
  DenseMap<Value, Value> done;
  Value narrowed = narrow(b, loc, mask, done);
  int64_t rows = asScores(shapeOf(narrowed))[0];
  Value keyMask = b.createOrFold<ReshapeOp>(loc, narrowed, b.getDenseI64ArrayAttr({rows, t}));
  if (rows != batch)
    keyMask = b.createOrFold<BroadcastToOp>(loc, keyMask, b.getDenseI64ArrayAttr({batch, t}));
  return keyMask;
}

//===- KeyOnlyMask.cpp - Recognize a mask that varies only by key -------===//
//
// Exporters write a padding mask as attention_mask[:, None, None, :],
// sometimes expanded to [B, 1, S, T] before it is inverted and scaled, or
// (NeMo) repeated over the queries as [B, S, T] and viewed as [B, 1, S, T].
// The values only change with (batch row, key) either way. Following each
// dim of the mask back through elementwise ops, broadcasts, tiles,
// transposes and unit-dim reshapes tells which of the scores' dims
// (batch, head, query, key) it stands for; when no head or query dim is
// wider than 1 at the leaves, redoing the computation without them gives
// back the [B, T] mask, which the backends read once per key instead of
// once per score.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/KeyOnlyMask.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int kMaxDepth = 16;

/// Which dim of the scores [B, H, S, T] a dim of a mask value stands for.
enum class Role { Batch, Head, Query, Key };
using Roles = SmallVector<Role, 4>;
using Shape = SmallVector<int64_t, 4>;

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

bool isAcross(Role role) { return role == Role::Head || role == Role::Query; }

/// The roles of an operand right-aligned (numpy broadcasting) to a value of
/// `roles`.
Roles suffix(ArrayRef<Role> roles, size_t rank) {
  return Roles(roles.take_back(std::min(rank, roles.size())));
}

/// numpy broadcast of two shapes.
Shape broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  Shape result(a.size() > b.size() ? a : b);
  ArrayRef<int64_t> shorter = a.size() > b.size() ? b : a;
  for (size_t i = 0; i < shorter.size(); ++i) {
    int64_t &dim = result[result.size() - shorter.size() + i];
    if (dim == 1)
      dim = shorter[i];
  }
  return result;
}

/// For a reshape that only inserts or drops unit dims: for each input dim,
/// the output dim it becomes (-1 for a dropped unit dim).
std::optional<SmallVector<int64_t>> unitDimMapping(ArrayRef<int64_t> from,
                                                   ArrayRef<int64_t> to) {
  SmallVector<int64_t> mapping(from.size(), -1);
  size_t o = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    if (from[i] == 1)
      continue;
    while (o < to.size() && to[o] == 1)
      ++o;
    if (o == to.size() || to[o] != from[i])
      return std::nullopt;
    mapping[i] = o++;
  }
  for (; o < to.size(); ++o)
    if (to[o] != 1)
      return std::nullopt;
  return mapping;
}

/// The roles of a reshape's input from those of its result.
Roles reshapeInputRoles(ArrayRef<Role> roles, ArrayRef<int64_t> mapping) {
  Roles input;
  for (int64_t o : mapping)
    input.push_back(o < 0 ? Role::Batch : roles[o]); // a unit dim plays no role
  return input;
}

/// The shape `v` (whose dims play `roles`) has once its head and query
/// dims are dropped to 1 where its computation allows that: each such dim
/// must come from a broadcast, a tile or a unit dim. None when some leaf of
/// the computation really varies across heads or queries.
std::optional<Shape> narrowedShape(Value v, ArrayRef<Role> roles, int depth = 0) {
  ArrayRef<int64_t> shape = shapeOf(v);
  bool across = false;
  for (auto [dim, role] : llvm::zip(shape, roles))
    across |= dim != 1 && isAcross(role);
  if (!across)
    return Shape(shape);
  Operation *def = v.getDefiningOp();
  if (!def || depth >= kMaxDepth)
    return std::nullopt;
  if (auto broadcast = dyn_cast<BroadcastToOp>(def)) {
    Value input = broadcast.getInput();
    std::optional<Shape> inner =
        narrowedShape(input, suffix(roles, shapeOf(input).size()), depth + 1);
    if (!inner)
      return std::nullopt;
    Shape result(shape.size() - inner->size(), 1);
    result.append(inner->begin(), inner->end());
    // Dims the broadcast widens keep their width unless they are dropped.
    for (auto [i, role] : llvm::enumerate(roles))
      if (!isAcross(role))
        result[i] = shape[i];
    return result;
  }
  if (auto tile = dyn_cast<TileOp>(def)) {
    std::optional<Shape> inner = narrowedShape(tile.getInput(), roles, depth + 1);
    if (!inner)
      return std::nullopt;
    for (auto [i, repeat] : llvm::enumerate(tile.getRepeats()))
      if (!isAcross(roles[i]))
        (*inner)[i] *= repeat;
    return inner;
  }
  if (auto transpose = dyn_cast<TransposeOp>(def)) {
    ArrayRef<int64_t> perm = transpose.getPermutation();
    Roles inputRoles(roles.size());
    for (auto [i, p] : llvm::enumerate(perm))
      inputRoles[p] = roles[i];
    std::optional<Shape> inner = narrowedShape(transpose.getInput(), inputRoles, depth + 1);
    if (!inner)
      return std::nullopt;
    Shape result;
    for (int64_t p : perm)
      result.push_back((*inner)[p]);
    return result;
  }
  if (auto reshape = dyn_cast<ReshapeOp>(def)) {
    ArrayRef<int64_t> from = shapeOf(reshape.getInput());
    std::optional<SmallVector<int64_t>> mapping = unitDimMapping(from, shape);
    if (!mapping)
      return std::nullopt;
    std::optional<Shape> inner =
        narrowedShape(reshape.getInput(), reshapeInputRoles(roles, *mapping), depth + 1);
    if (!inner)
      return std::nullopt;
    Shape result(shape.size(), 1);
    for (auto [i, o] : llvm::enumerate(*mapping))
      if (o >= 0)
        result[o] = (*inner)[i];
    return result;
  }
  if (!isElementwise(def))
    return std::nullopt;
  Shape result;
  for (Value operand : def->getOperands()) {
    std::optional<Shape> narrowed =
        narrowedShape(operand, suffix(roles, shapeOf(operand).size()), depth + 1);
    if (!narrowed)
      return std::nullopt;
    result = broadcastShapes(result, *narrowed);
  }
  Shape padded(shape.size() - std::min(shape.size(), result.size()), 1);
  padded.append(result.begin(), result.end());
  return padded;
}

/// `v` recomputed at narrowedShape(v, roles) (which must exist). `done`
/// maps values already narrowed, so that a value used twice (the inverted
/// mask feeding both the condition and a branch of a Where) is recomputed
/// once.
Value narrow(OpBuilder &b, Location loc, Value v, ArrayRef<Role> roles,
             DenseMap<Value, Value> &done) {
  Shape target = *narrowedShape(v, roles);
  if (ArrayRef<int64_t>(target) == shapeOf(v))
    return v;
  if (Value known = done.lookup(v))
    return known;
  Operation *def = v.getDefiningOp();
  Type element = cast<RankedTensorType>(v.getType()).getElementType();
  auto typeOf = [&](ArrayRef<int64_t> shape) { return RankedTensorType::get(shape, element); };
  Value result;
  if (auto broadcast = dyn_cast<BroadcastToOp>(def)) {
    Value input = broadcast.getInput();
    Value inner = narrow(b, loc, input, suffix(roles, shapeOf(input).size()), done);
    result = BroadcastToOp::create(b, loc, typeOf(target), inner,
                                   b.getDenseI64ArrayAttr(target));
  } else if (auto tile = dyn_cast<TileOp>(def)) {
    SmallVector<int64_t> repeats(tile.getRepeats());
    for (auto [i, role] : llvm::enumerate(roles))
      if (isAcross(role))
        repeats[i] = 1;
    Value inner = narrow(b, loc, tile.getInput(), roles, done);
    result = TileOp::create(b, loc, typeOf(target), inner, b.getDenseI64ArrayAttr(repeats));
  } else if (auto transpose = dyn_cast<TransposeOp>(def)) {
    ArrayRef<int64_t> perm = transpose.getPermutation();
    Roles inputRoles(roles.size());
    for (auto [i, p] : llvm::enumerate(perm))
      inputRoles[p] = roles[i];
    Value inner = narrow(b, loc, transpose.getInput(), inputRoles, done);
    result = TransposeOp::create(b, loc, typeOf(target), inner, transpose.getPermutationAttr());
  } else if (auto reshape = dyn_cast<ReshapeOp>(def)) {
    SmallVector<int64_t> mapping = *unitDimMapping(shapeOf(reshape.getInput()), shapeOf(v));
    Value inner = narrow(b, loc, reshape.getInput(), reshapeInputRoles(roles, mapping), done);
    result = b.createOrFold<ReshapeOp>(loc, inner, b.getDenseI64ArrayAttr(target));
  } else {
    SmallVector<Value> operands;
    for (Value operand : def->getOperands())
      operands.push_back(narrow(b, loc, operand, suffix(roles, shapeOf(operand).size()), done));
    OperationState state(loc, def->getName().getIdentifier(), operands,
                         TypeRange{typeOf(target)}, def->getAttrs());
    result = b.create(state)->getResult(0);
  }
  done[v] = result;
  return result;
}

/// The roles of a mask's dims, right-aligned to the scores [B, H, S, T].
Roles maskRoles(Value mask) {
  return suffix({Role::Batch, Role::Head, Role::Query, Role::Key}, shapeOf(mask).size());
}

/// narrowedShape of the whole mask, right-aligned to 4-D.
std::optional<Shape> narrowedScoresShape(Value mask) {
  if (shapeOf(mask).size() > 4)
    return std::nullopt;
  std::optional<Shape> narrowed = narrowedShape(mask, maskRoles(mask));
  if (!narrowed)
    return std::nullopt;
  Shape padded(4 - narrowed->size(), 1);
  padded.append(narrowed->begin(), narrowed->end());
  return padded;
}

} // namespace

bool mlir::attn::isElementwise(Operation *op) {
  return op->getNumResults() == 1 &&
         (op->hasTrait<OpTrait::Elementwise>() ||
          isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, AndOp, OrOp, XorOp, EqualOp,
              LessOp, LessEqualOp, GreaterOp, GreaterEqualOp, WhereOp>(op));
}

/// Whether `mask` (broadcasting to [batch, H, S, t]) only varies by batch
/// row and key.
static bool onlyByRowAndKey(Value mask, int64_t batch, int64_t t) {
  std::optional<Shape> shape = narrowedScoresShape(mask);
  // It must still span the keys: one value per batch row shifts all of a
  // row's scores alike, which is no padding.
  return shape && (*shape)[1] == 1 && (*shape)[2] == 1 &&
         ((*shape)[0] == 1 || (*shape)[0] == batch) && (*shape)[3] == t && t > 1;
}

bool mlir::attn::isKeyOnlyMask(SdpaOp op, Value mask) {
  Type element = cast<RankedTensorType>(mask.getType()).getElementType();
  if (!element.isInteger(1) && element != op.getQuery().getType().getElementType())
    return false;
  return onlyByRowAndKey(mask, op.getDims().batch, op.getDims().keyLen);
}

Value mlir::attn::keyMaskOf(OpBuilder &b, Location loc, Value mask, int64_t batch,
                            int64_t keyLen) {
  if (!onlyByRowAndKey(mask, batch, keyLen))
    return Value();
  return buildKeyMask(b, loc, mask, batch, keyLen);
}

Value mlir::attn::buildKeyMask(OpBuilder &b, Location loc, SdpaOp op, Value mask) {
  return buildKeyMask(b, loc, mask, op.getDims().batch, op.getDims().keyLen);
}

Value mlir::attn::buildKeyMask(OpBuilder &b, Location loc, Value mask, int64_t batch,
                               int64_t t) {
  DenseMap<Value, Value> done;
  Value narrowed = narrow(b, loc, mask, maskRoles(mask), done);
  int64_t rows = (*narrowedScoresShape(mask))[0];
  Value keyMask = b.createOrFold<ReshapeOp>(loc, narrowed, b.getDenseI64ArrayAttr({rows, t}));
  if (rows != batch)
    keyMask = b.createOrFold<BroadcastToOp>(loc, keyMask, b.getDenseI64ArrayAttr({batch, t}));
  return keyMask;
}

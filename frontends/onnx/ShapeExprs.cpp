//===- ShapeExprs.cpp - Shape arithmetic on run-time dims -----------------===//

#include "frontends/onnx/ShapeExprs.h"
#include "dialects/attn/AttnOps.h"
#include "dialects/attn/RunTimeDims.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineExprVisitor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

void ShapeExprs::bindArgumentDim(BlockArgument argument, unsigned dim, unsigned symbol,
                                 int64_t bound) {
  argumentSymbols[{argument, dim}] = symbol;
  symbolSources.try_emplace(symbol, std::pair{std::pair<Value, unsigned>{argument, dim}, bound});
}

std::optional<int64_t> ShapeExprs::upperBound(AffineExpr expr) const {
  if (auto c = dyn_cast<AffineConstantExpr>(expr))
    return c.getValue();
  if (auto s = dyn_cast<AffineSymbolExpr>(expr)) {
    auto it = symbolSources.find(s.getPosition());
    return it == symbolSources.end() ? std::nullopt : std::optional<int64_t>(it->second.second);
  }
  auto binary = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!binary)
    return std::nullopt;
  std::optional<int64_t> lhs = upperBound(binary.getLHS());
  auto rhsConstant = dyn_cast<AffineConstantExpr>(binary.getRHS());
  switch (expr.getKind()) {
  case AffineExprKind::Add: {
    std::optional<int64_t> rhs = upperBound(binary.getRHS());
    if (!lhs || !rhs)
      return std::nullopt;
    return *lhs + *rhs;
  }
  case AffineExprKind::Mul: {
    // A negative factor turns the smallest value into the largest (affine
    // puts the factor on the right).
    if (!rhsConstant)
      return std::nullopt;
    std::optional<int64_t> extreme =
        rhsConstant.getValue() >= 0 ? lhs : lowerBound(binary.getLHS());
    if (!extreme)
      return std::nullopt;
    return *extreme * rhsConstant.getValue();
  }
  case AffineExprKind::FloorDiv:
  case AffineExprKind::CeilDiv:
    if (!lhs || !rhsConstant || rhsConstant.getValue() <= 0)
      return std::nullopt;
    return expr.getKind() == AffineExprKind::FloorDiv
               ? *lhs / rhsConstant.getValue()
               : (*lhs + rhsConstant.getValue() - 1) / rhsConstant.getValue();
  default:
    return std::nullopt;
  }
}

std::optional<int64_t> ShapeExprs::lowerBound(AffineExpr expr) const {
  if (auto c = dyn_cast<AffineConstantExpr>(expr))
    return c.getValue();
  if (isa<AffineSymbolExpr>(expr))
    return 0;
  auto binary = dyn_cast<AffineBinaryOpExpr>(expr);
  auto factor = binary ? dyn_cast<AffineConstantExpr>(binary.getRHS()) : nullptr;
  if (expr.getKind() == AffineExprKind::Add) {
    std::optional<int64_t> lhs = lowerBound(binary.getLHS()), rhs = lowerBound(binary.getRHS());
    if (lhs && rhs)
      return *lhs + *rhs;
    return std::nullopt;
  }
  if (expr.getKind() == AffineExprKind::Mul && factor) {
    // A negative factor turns the largest value into the smallest.
    std::optional<int64_t> extreme = factor.getValue() >= 0 ? lowerBound(binary.getLHS())
                                                            : upperBound(binary.getLHS());
    if (extreme)
      return *extreme * factor.getValue();
  }
  return std::nullopt;
}

Value ShapeExprs::materialize(OpBuilder &b, Location loc, AffineExpr expr) const {
  if (auto c = dyn_cast<AffineConstantExpr>(expr))
    return arith::ConstantIndexOp::create(b, loc, c.getValue());
  if (auto s = dyn_cast<AffineSymbolExpr>(expr)) {
    auto [where, bound] = symbolSources.lookup(s.getPosition());
    return tensor::DimOp::create(b, loc, where.first, where.second);
  }
  auto binary = cast<AffineBinaryOpExpr>(expr);
  Value lhs = materialize(b, loc, binary.getLHS()), rhs = materialize(b, loc, binary.getRHS());
  switch (expr.getKind()) {
  case AffineExprKind::Add:
    return arith::AddIOp::create(b, loc, lhs, rhs);
  case AffineExprKind::Mul:
    return arith::MulIOp::create(b, loc, lhs, rhs);
  case AffineExprKind::FloorDiv:
    return arith::FloorDivSIOp::create(b, loc, lhs, rhs);
  case AffineExprKind::CeilDiv:
    return arith::CeilDivSIOp::create(b, loc, lhs, rhs);
  default:
    return arith::RemSIOp::create(b, loc, lhs, rhs);
  }
}

std::optional<AffineExpr> ShapeExprs::dimOf(Value tensor, unsigned dim) const {
  auto type = dyn_cast<RankedTensorType>(tensor.getType());
  if (!type || dim >= type.getRank())
    return std::nullopt;
  if (!type.isDynamicDim(dim))
    return getAffineConstantExpr(type.getDimSize(dim), ctx);
  std::optional<LinearExtent> extent = traceRunTimeExtent(tensor, dim);
  if (!extent)
    return std::nullopt;
  AffineExpr expr = getAffineConstantExpr(extent->constant, ctx);
  for (const auto &[source, coefficient] : extent->terms) {
    auto it = argumentSymbols.find({source.value, source.dim});
    if (it == argumentSymbols.end())
      return std::nullopt;
    expr = expr + getAffineSymbolExpr(it->second, ctx) * coefficient;
  }
  return expr;
}

std::optional<SmallVector<AffineExpr>> ShapeExprs::elementsOf(Value value) const {
  if (auto it = known.find(value); it != known.end())
    return it->second;
  DenseIntElementsAttr constant;
  if (!value || !matchPattern(value, m_Constant(&constant)) ||
      cast<ShapedType>(constant.getType()).getRank() > 1)
    return std::nullopt;
  SmallVector<AffineExpr> elements;
  for (const APInt &element : constant.getValues<APInt>())
    elements.push_back(getAffineConstantExpr(element.getSExtValue(), ctx));
  return elements;
}

namespace {

int64_t intAttr(const onnx::NodeProto &node, StringRef name, int64_t fallback) {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return attr.i();
  return fallback;
}

std::optional<int64_t> constantOf(AffineExpr e) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return c.getValue();
  return std::nullopt;
}

/// One more than the largest symbol position in `expr` (0 without one).
unsigned symbolCount(AffineExpr expr) {
  unsigned count = 0;
  expr.walk([&](AffineExpr e) {
    if (auto s = dyn_cast<AffineSymbolExpr>(e))
      count = std::max(count, s.getPosition() + 1);
  });
  return count;
}

/// Elementwise arithmetic with ONNX broadcasting of 1-element operands.
std::optional<SmallVector<AffineExpr>> arithmetic(StringRef op, ArrayRef<AffineExpr> a,
                                                  ArrayRef<AffineExpr> b) {
  size_t n = std::max(a.size(), b.size());
  if ((a.size() != n && a.size() != 1) || (b.size() != n && b.size() != 1))
    return std::nullopt;
  SmallVector<AffineExpr> out;
  for (size_t i = 0; i < n; ++i) {
    AffineExpr x = a[a.size() == 1 ? 0 : i], y = b[b.size() == 1 ? 0 : i];
    // (past + seq) - seq is past: flattened and simplified after each step.
    auto simplified = [](AffineExpr e) {
      return simplifyAffineExpr(e, /*numDims=*/0, /*numSymbols=*/symbolCount(e));
    };
    std::optional<int64_t> cy = constantOf(y), cx = constantOf(x);
    if (op == "Add")
      out.push_back(simplified(x + y));
    else if (op == "Sub")
      out.push_back(simplified(x - y));
    else if (op == "Mul" && (cx || cy))
      out.push_back(simplified(x * y));
    else if (op == "Div" && cy && *cy > 0)
      out.push_back(simplified(x.floorDiv(*cy)));
    else
      return std::nullopt;
  }
  return out;
}

} // namespace

void ShapeExprs::evaluate(const onnx::NodeProto &node, ArrayRef<Value> inputs,
                          ArrayRef<Value> outputs) {
  if (outputs.empty() || !outputs[0])
    return;
  StringRef op = node.op_type();
  std::optional<SmallVector<AffineExpr>> result;
  auto input = [&](unsigned i) -> std::optional<SmallVector<AffineExpr>> {
    return i < inputs.size() && inputs[i] ? elementsOf(inputs[i]) : std::nullopt;
  };
  if (op == "Shape" && !inputs.empty() && inputs[0]) {
    auto type = cast<RankedTensorType>(inputs[0].getType());
    int64_t rank = type.getRank();
    auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
    int64_t start = clamp(intAttr(node, "start", 0)), end = clamp(intAttr(node, "end", rank));
    SmallVector<AffineExpr> dims;
    for (int64_t d = start; d < end; ++d) {
      std::optional<AffineExpr> e = dimOf(inputs[0], d);
      if (!e)
        return;
      dims.push_back(*e);
    }
    result = dims;
  } else if (op == "Gather") {
    std::optional<SmallVector<AffineExpr>> data = input(0), indices = input(1);
    if (!data || !indices || intAttr(node, "axis", 0) != 0)
      return;
    SmallVector<AffineExpr> picked;
    for (AffineExpr index : *indices) {
      std::optional<int64_t> i = constantOf(index);
      if (!i)
        return;
      int64_t at = *i < 0 ? *i + (int64_t)data->size() : *i;
      if (at < 0 || at >= (int64_t)data->size())
        return;
      picked.push_back((*data)[at]);
    }
    result = picked;
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Cast" || op == "Identity") {
    result = input(0);
  } else if (op == "Reshape") {
    // A reshape keeps the elements in order; followed into a vector.
    auto type = dyn_cast<RankedTensorType>(outputs[0].getType());
    if (type && type.getRank() <= 1)
      result = input(0);
  } else if (op == "Concat") {
    SmallVector<AffineExpr> all;
    for (unsigned i = 0; i < inputs.size(); ++i) {
      std::optional<SmallVector<AffineExpr>> part = input(i);
      if (!part)
        return;
      all.append(*part);
    }
    result = all;
  } else if (op == "Slice") {
    std::optional<SmallVector<AffineExpr>> data = input(0), starts = input(1), ends = input(2);
    if (!data || !starts || !ends || starts->size() != 1 || ends->size() != 1 ||
        (inputs.size() > 4 && inputs[4]))
      return;
    std::optional<int64_t> s = constantOf((*starts)[0]), e = constantOf((*ends)[0]);
    if (!s || !e)
      return;
    int64_t n = data->size();
    int64_t from = std::clamp<int64_t>(*s < 0 ? *s + n : *s, 0, n);
    int64_t to = std::clamp<int64_t>(*e < 0 ? *e + n : *e, 0, n);
    result = SmallVector<AffineExpr>(data->begin() + from, data->begin() + std::max(from, to));
  } else if (op == "Equal") {
    // Run-time dims are at least 0, so a dim (or a sum of them) never
    // equals a constant below its smallest value (torch's Expand exports
    // compare the target with -1).
    std::optional<SmallVector<AffineExpr>> a = input(0), b = input(1);
    if (!a || !b || (a->size() != b->size() && a->size() != 1 && b->size() != 1))
      return;
    SmallVector<AffineExpr> equal;
    for (size_t i = 0, n = std::max(a->size(), b->size()); i < n; ++i) {
      AffineExpr x = (*a)[a->size() == 1 ? 0 : i], y = (*b)[b->size() == 1 ? 0 : i];
      std::optional<int64_t> cx = constantOf(x), cy = constantOf(y);
      if (x == y)
        equal.push_back(getAffineConstantExpr(1, ctx));
      else if (cx && cy)
        equal.push_back(getAffineConstantExpr(0, ctx));
      else if ((cx && lowerBound(y) > *cx) || (cy && lowerBound(x) > *cy))
        equal.push_back(getAffineConstantExpr(0, ctx));
      else
        return;
    }
    result = equal;
  } else if (op == "Where") {
    std::optional<SmallVector<AffineExpr>> c = input(0), x = input(1), y = input(2);
    if (!c || !x || !y)
      return;
    size_t n = std::max({c->size(), x->size(), y->size()});
    SmallVector<AffineExpr> picked;
    for (size_t i = 0; i < n; ++i) {
      auto at = [&](const SmallVector<AffineExpr> &v) { return v[v.size() == 1 ? 0 : i]; };
      std::optional<int64_t> cond = constantOf(at(*c));
      if (!cond)
        return;
      picked.push_back(*cond ? at(*x) : at(*y));
    }
    result = picked;
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    std::optional<SmallVector<AffineExpr>> a = input(0), b = input(1);
    if (!a || !b)
      return;
    result = arithmetic(op, *a, *b);
  }
  // Kept even when every element is constant: the value is computed at run
  // time from a run-time shape, so it is no constant in the IR. One the IR
  // folded to a constant (a static model's shapes) needs no entry.
  if (result && !matchPattern(outputs[0], m_Constant()))
    known[outputs[0]] = *result;
}

//===- MaskEvaluator.cpp - Evaluate constant mask arithmetic ------------===//

#include "passes/fusion/MaskEvaluator.h"
#include "dialects/attn/AttnFolders.h"
#include "dialects/attn/Broadcast.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include <cmath>

namespace mlir::attn {
namespace {

using Tensor = std::shared_ptr<EvaluatedTensor>;

int64_t count(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

SmallVector<int64_t> strides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// Calls `visit(linearOut, index)` for every multi-index of `shape`.
template <typename Fn>
void forEachIndex(ArrayRef<int64_t> shape, Fn visit) {
  SmallVector<int64_t> index(shape.size(), 0);
  int64_t n = count(shape);
  for (int64_t linear = 0; linear < n; ++linear) {
    visit(linear, index);
    for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
}

/// Linear index into `operand` (numpy-broadcast into `resultShape`) of the
/// result element at `index`.
int64_t broadcastOffset(const EvaluatedTensor &operand, ArrayRef<int64_t> index,
                        ArrayRef<int64_t> operandStrides) {
  size_t lead = index.size() - operand.shape.size();
  int64_t offset = 0;
  for (size_t d = 0; d < operand.shape.size(); ++d)
    if (operand.shape[d] != 1)
      offset += index[lead + d] * operandStrides[d];
  return offset;
}

class Evaluator {
public:
  explicit Evaluator(int64_t maxElements) : maxElements(maxElements) {}

  Tensor eval(Value value, int depth = 0) {
    auto it = cache.find(value);
    if (it != cache.end())
      return it->second;
    Tensor result = depth > 32 ? nullptr : compute(value, depth);
    cache[value] = result;
    return result;
  }

private:
  Tensor make(ArrayRef<int64_t> shape) {
    if (count(shape) > maxElements)
      return nullptr;
    auto t = std::make_shared<EvaluatedTensor>();
    t->shape.assign(shape.begin(), shape.end());
    t->data.resize(count(shape));
    return t;
  }

  /// result[i] = fn(operands at the broadcast position of i).
  Tensor elementwise(ArrayRef<Tensor> operands, ArrayRef<int64_t> shape,
                     function_ref<double(ArrayRef<double>)> fn) {
    Tensor out = make(shape);
    if (!out)
      return nullptr;
    SmallVector<SmallVector<int64_t>> operandStrides;
    for (const Tensor &t : operands)
      operandStrides.push_back(strides(t->shape));
    SmallVector<double> args(operands.size());
    forEachIndex(shape, [&](int64_t linear, ArrayRef<int64_t> index) {
      for (size_t k = 0; k < operands.size(); ++k)
        args[k] = operands[k]->data[broadcastOffset(*operands[k], index, operandStrides[k])];
      out->data[linear] = fn(args);
    });
    return out;
  }

  /// result[i] = in[source(index of i, in's strides)]: the data movement
  /// ops (slice, transpose) differ only in where an element comes from.
  Tensor gather(const Tensor &in, ArrayRef<int64_t> shape,
                function_ref<int64_t(ArrayRef<int64_t>, ArrayRef<int64_t>)> source) {
    if (!in)
      return nullptr;
    Tensor out = make(shape);
    if (!out)
      return nullptr;
    SmallVector<int64_t> inStrides = strides(in->shape);
    forEachIndex(shape, [&](int64_t linear, ArrayRef<int64_t> index) {
      out->data[linear] = in->data[source(index, inStrides)];
    });
    return out;
  }

  Tensor compute(Value value, int depth) {
    Operation *op = value.getDefiningOp();
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!op || !type || !type.hasStaticShape() || type.getNumElements() > maxElements)
      return nullptr;
    ArrayRef<int64_t> shape = type.getShape();
    auto operand = [&](unsigned i) { return eval(op->getOperand(i), depth + 1); };

    if (auto constant = dyn_cast<ConstantOp>(op)) {
      DenseElementsAttr dense = asDenseElements(constant.getValue(), maxElements);
      if (!dense)
        return nullptr;
      Tensor out = make(shape);
      if (!out)
        return nullptr;
      Type element = dense.getElementType();
      if (isa<FloatType>(element)) {
        size_t i = 0;
        for (APFloat v : dense.getValues<APFloat>())
          out->data[i++] = v.convertToDouble();
        if (dense.isSplat())
          std::fill(out->data.begin(), out->data.end(), out->data[0]);
      } else if (element.isInteger(1)) {
        size_t i = 0;
        for (bool v : dense.getValues<bool>())
          out->data[i++] = v;
        if (dense.isSplat())
          std::fill(out->data.begin(), out->data.end(), out->data[0]);
      } else if (element.isSignlessInteger()) {
        size_t i = 0;
        for (APInt v : dense.getValues<APInt>())
          out->data[i++] = (double)v.getSExtValue();
        if (dense.isSplat())
          std::fill(out->data.begin(), out->data.end(), out->data[0]);
      } else {
        return nullptr;
      }
      return out;
    }
    if (isa<ReshapeOp>(op)) {
      Tensor in = operand(0);
      if (!in)
        return nullptr;
      auto out = std::make_shared<EvaluatedTensor>(*in);
      out->shape.assign(shape.begin(), shape.end());
      return out;
    }
    if (isa<BroadcastToOp, CastOp, NegOp, NotOp, LogOp>(op)) {
      Tensor in = operand(0);
      if (!in)
        return nullptr;
      Type to = type.getElementType();
      bool toBool = to.isInteger(1), toInt = to.isSignlessInteger() && !toBool;
      return elementwise({in}, shape, [&](ArrayRef<double> a) -> double {
        if (isa<NegOp>(op))
          return -a[0];
        if (isa<NotOp>(op))
          return a[0] == 0;
        if (isa<LogOp>(op))
          return std::log(a[0]);
        if (isa<CastOp>(op))
          return toBool ? (a[0] != 0) : toInt ? std::trunc(a[0]) : a[0];
        return a[0];
      });
    }
    if (auto where = dyn_cast<WhereOp>(op)) {
      Tensor c = operand(0), t = operand(1), f = operand(2);
      if (!c || !t || !f)
        return nullptr;
      return elementwise({c, t, f}, shape,
                         [](ArrayRef<double> a) { return a[0] != 0 ? a[1] : a[2]; });
    }
    if (isa<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, AndOp, OrOp, XorOp, EqualOp, LessOp,
            LessEqualOp, GreaterOp, GreaterEqualOp>(op)) {
      Tensor a = operand(0), b = operand(1);
      if (!a || !b)
        return nullptr;
      bool integer = !isa<FloatType>(
          cast<RankedTensorType>(op->getOperand(0).getType()).getElementType());
      // Pick the scalar function once, not per element.
      using Fn = double (*)(double, double);
      Fn fn = llvm::TypeSwitch<Operation *, Fn>(op)
                  .Case([](AddOp) -> Fn { return [](double l, double r) { return l + r; }; })
                  .Case([](SubOp) -> Fn { return [](double l, double r) { return l - r; }; })
                  .Case([](MulOp) -> Fn { return [](double l, double r) { return l * r; }; })
                  .Case([&](DivOp) -> Fn {
                    if (integer)
                      return [](double l, double r) { return r == 0 ? 0 : std::trunc(l / r); };
                    return [](double l, double r) { return l / r; };
                  })
                  .Case([](MaxOp) -> Fn { return [](double l, double r) { return std::max(l, r); }; })
                  .Case([](MinOp) -> Fn { return [](double l, double r) { return std::min(l, r); }; })
                  .Case([](AndOp) -> Fn { return [](double l, double r) { return double(l != 0 && r != 0); }; })
                  .Case([](OrOp) -> Fn { return [](double l, double r) { return double(l != 0 || r != 0); }; })
                  .Case([](XorOp) -> Fn { return [](double l, double r) { return double((l != 0) != (r != 0)); }; })
                  .Case([](EqualOp) -> Fn { return [](double l, double r) { return double(l == r); }; })
                  .Case([](LessOp) -> Fn { return [](double l, double r) { return double(l < r); }; })
                  .Case([](LessEqualOp) -> Fn { return [](double l, double r) { return double(l <= r); }; })
                  .Case([](GreaterOp) -> Fn { return [](double l, double r) { return double(l > r); }; })
                  .Case([](GreaterEqualOp) -> Fn { return [](double l, double r) { return double(l >= r); }; })
                  .Default([](Operation *) -> Fn { return nullptr; });
      return elementwise({a, b}, shape, [&](ArrayRef<double> x) { return fn(x[0], x[1]); });
    }
    if (auto slice = dyn_cast<SliceOp>(op)) {
      ArrayRef<int64_t> offsets = slice.getOffsets(), steps = slice.getStrides();
      return gather(operand(0), shape, [&](ArrayRef<int64_t> index, ArrayRef<int64_t> inStrides) {
        int64_t source = 0;
        for (size_t d = 0; d < index.size(); ++d)
          source += (offsets[d] + index[d] * steps[d]) * inStrides[d];
        return source;
      });
    }
    if (auto transpose = dyn_cast<TransposeOp>(op)) {
      ArrayRef<int64_t> perm = transpose.getPermutation();
      return gather(operand(0), shape, [&](ArrayRef<int64_t> index, ArrayRef<int64_t> inStrides) {
        int64_t source = 0;
        for (size_t d = 0; d < index.size(); ++d)
          source += index[d] * inStrides[perm[d]];
        return source;
      });
    }
    if (auto trilu = dyn_cast<TriluOp>(op)) {
      Tensor in = operand(0);
      if (!in)
        return nullptr;
      int64_t rows = shape[shape.size() - 2], cols = shape.back();
      auto out = std::make_shared<EvaluatedTensor>(*in);
      // Signed: the I64Attr getter is unsigned, and a negative diagonal
      // (tril(x, -1), triu(x, -1)) must compare as negative.
      int64_t diagonal = trilu.getDiagonal();
      for (size_t i = 0; i < out->data.size(); ++i) {
        int64_t distance = (int64_t)(i % cols) - (int64_t)((i / cols) % rows);
        bool keep = trilu.getUpper() ? distance >= diagonal : distance <= diagonal;
        if (!keep)
          out->data[i] = 0;
      }
      return out;
    }
    return nullptr;
  }

  int64_t maxElements;
  llvm::DenseMap<Value, Tensor> cache;
};

} // namespace

std::optional<EvaluatedTensor> evaluateConstantSubgraph(Value value, int64_t maxElements) {
  Evaluator evaluator(maxElements);
  std::shared_ptr<EvaluatedTensor> result = evaluator.eval(value);
  if (!result)
    return std::nullopt;
  return *result;
}

} // namespace mlir::attn

//===- VectorEmitter.h - Vector-dialect building blocks for kernels -*- C++ -*-===//
//
// What the register-tiled kernels (attention, matmul) are made of: vector
// reads and writes of tensors, scf.for loops carrying values, register
// tiles of FMAs, horizontal reductions and in-register transposes. Each
// kernel decides the loop nest; this builds its pieces.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_TILING_VECTOREMITTER_H
#define ATTNC_PASSES_TILING_VECTOREMITTER_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "passes/tiling/FlashCommon.h"
#include <functional>
#include <limits>
#include <optional>

namespace mlir::attn::tiling {

inline int64_t roundUp(int64_t x, int64_t multiple) { return (x + multiple - 1) / multiple * multiple; }

/// The largest divisor of `n` that is at most `limit`.
inline int64_t largestDivisorAtMost(int64_t n, int64_t limit) {
  for (int64_t candidate = std::min(n, limit); candidate > 1; --candidate)
    if (n % candidate == 0)
      return candidate;
  return 1;
}

/// Builds the kernel's IR: vector reads and writes of tensors, loops with
/// values carried through iteration arguments.
struct Emitter {
  ImplicitLocOpBuilder &b;
  int64_t w;
  VectorType vec;
  IndexMath im;

  Emitter(ImplicitLocOpBuilder &b, int64_t w)
      : b(b), w(w), vec(VectorType::get({w}, b.getF32Type())), im{b, b.getLoc()} {}

  Value idx(int64_t v) { return im.c(v); }
  Value f32(double v) { return arith::ConstantOp::create(b, b.getF32FloatAttr(v)); }
  Value negInf() { return f32(-std::numeric_limits<double>::infinity()); }
  Value splat(Value scalar) { return vector::BroadcastOp::create(b, vec, scalar); }
  /// W consecutive elements of the innermost dimension, all in bounds.
  Value read(Value tensor, ValueRange at) {
    return vector::TransferReadOp::create(b, vec, tensor, at, f32(0.0), ArrayRef<bool>{true});
  }
  Value write(Value v, Value tensor, ValueRange at) {
    return vector::TransferWriteOp::create(b, v, tensor, at, ArrayRef<bool>{true}).getResult();
  }
  /// W consecutive elements from `at`, zeros for those past the tensor's
  /// end (a masked load).
  Value readMasked(Value tensor, ValueRange at) {
    return vector::TransferReadOp::create(b, vec, tensor, at, f32(0.0), ArrayRef<bool>{false});
  }
  /// Stores the lanes of `v` that fall within the tensor (a masked store).
  Value writeMasked(Value v, Value tensor, ValueRange at) {
    return vector::TransferWriteOp::create(b, v, tensor, at, ArrayRef<bool>{false}).getResult();
  }
  Value fill(ArrayRef<int64_t> shape, Value value) {
    Value empty = tensor::EmptyOp::create(b, shape, b.getF32Type());
    return linalg::FillOp::create(b, value, empty).getResult(0);
  }
  /// A tensor the kv-block loop carries and updates in place, in its own
  /// allocation: from fills of one tensor.empty (CSE merges equal ones),
  /// one-shot bufferization can give two loop-carried tensors whose first
  /// contents are never read the same buffer, one overwriting the other.
  Value carried(ArrayRef<int64_t> shape, std::optional<Value> value = std::nullopt) {
    Value own = bufferization::AllocTensorOp::create(
        b, RankedTensorType::get(shape, b.getF32Type()), ValueRange{});
    return value ? linalg::FillOp::create(b, *value, own).getResult(0) : own;
  }
  /// scf.for from `lb` to `ub` by `step` carrying `inits`; `body` returns
  /// the values to yield.
  SmallVector<Value> loop(Value lb, Value ub, int64_t step, ValueRange inits,
                          function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto forOp = scf::ForOp::create(b, lb, ub, idx(step), inits,
                                    [&](OpBuilder &, Location, Value iv, ValueRange args) {
                                      scf::YieldOp::create(b, body(iv, args));
                                    });
    return forOp.getResults();
  }
  SmallVector<Value> loop(int64_t lb, int64_t ub, int64_t step, ValueRange inits,
                          function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return loop(idx(lb), idx(ub), step, inits, body);
  }
  /// What one strip of `tileRows` rows of a register-tiled product
  /// computes: columns [colBegin, colEnd) (whole tiles), each a sum over k
  /// in [kBegin, kEnd).
  struct StripRange {
    Value colBegin, colEnd, kBegin, kEnd;
    /// When given, emitted once per step k of each tile before its loads
    /// (a kernel's prefetch of what a later strip or panel reads).
    std::function<void(Value)> onStep = nullptr;
  };
  /// out[i, j] = init(i, j) + Σ_k lhs(i, k)·rhs(k, j) over `rows` rows of
  /// `out`, in register tiles of `tileRows` rows x `tileVectors` vectors:
  /// per k, `tileVectors` vector loads of rhs and `tileRows` broadcasts of
  /// lhs feed tileRows·tileVectors FMAs held in registers. `range(i0)`
  /// bounds the strip from row i0; columns outside it are not written.
  /// `init(out, i, j)` (reading the current `out`) and `rhs(k, j)` give
  /// W-wide vectors at column j, `lhs(i, k)` a scalar.
  Value registerTiledProduct(Value out, Value rows, int64_t tileRows, int64_t tileVectors,
                             function_ref<StripRange(Value)> range,
                             function_ref<Value(Value, Value, Value)> init,
                             function_ref<Value(Value, Value)> lhs,
                             function_ref<Value(Value, Value)> rhs) {
    return registerTiledProduct(out, im.c(0), rows, tileRows, tileVectors, range, init, lhs, rhs);
  }
  /// The same over rows [rowBegin, rowEnd). With `maskColumns`, `out` may
  /// end inside a vector: each write stores only the lanes within it.
  /// `finish`, when given, maps each vector of sums before it is written
  /// (an epilogue: an activation).
  Value registerTiledProduct(Value out, Value rowBegin, Value rowEnd, int64_t tileRows,
                             int64_t tileVectors, function_ref<StripRange(Value)> range,
                             function_ref<Value(Value, Value, Value)> init,
                             function_ref<Value(Value, Value)> lhs,
                             function_ref<Value(Value, Value)> rhs, bool maskColumns = false,
                             function_ref<Value(Value)> finish = nullptr) {
    return loop(rowBegin, rowEnd, tileRows, out, [&](Value i0, ValueRange a1) {
      StripRange strip = range(i0);
      auto tile = [&](Value j0, ValueRange a2) {
        auto row = [&](int64_t r) { return im.add(i0, im.c(r)); };
        auto col = [&](int64_t v) { return im.add(j0, im.c(v * w)); };
        SmallVector<Value> start;
        for (int64_t r = 0; r < tileRows; ++r)
          for (int64_t v = 0; v < tileVectors; ++v)
            start.push_back(init(a2[0], row(r), col(v)));
        auto step = [&](Value k, ValueRange acc) {
          if (strip.onStep)
            strip.onStep(k);
          SmallVector<Value> right;
          for (int64_t v = 0; v < tileVectors; ++v)
            right.push_back(rhs(k, col(v)));
          SmallVector<Value> next;
          for (int64_t r = 0; r < tileRows; ++r) {
            Value left = splat(lhs(row(r), k));
            for (int64_t v = 0; v < tileVectors; ++v)
              next.push_back(vector::FMAOp::create(b, left, right[v], acc[r * tileVectors + v]));
          }
          return next;
        };
        SmallVector<Value> sums = loop(strip.kBegin, strip.kEnd, 1, start, step);
        if (finish)
          for (Value &sum : sums)
            sum = finish(sum);
        Value written = a2[0];
        for (int64_t r = 0; r < tileRows; ++r)
          for (int64_t v = 0; v < tileVectors; ++v)
            written = maskColumns ? writeMasked(sums[r * tileVectors + v], written, {row(r), col(v)})
                                  : write(sums[r * tileVectors + v], written, {row(r), col(v)});
        return SmallVector<Value>{written};
      };
      return loop(strip.colBegin, strip.colEnd, tileVectors * w, a1[0], tile);
    })[0];
  }
  /// max(x, y) as x > y ? x : y, one vmaxps on x86.
  Value max(Value x, Value y) {
    Value greater = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, x, y);
    return arith::SelectOp::create(b, greater, x, y);
  }
  /// Combines the lanes of `v` in log2(W) shuffle steps; returns lane 0.
  Value horizontal(Value v, function_ref<Value(Value, Value)> combine) {
    for (int64_t half = w / 2; half >= 1; half /= 2) {
      SmallVector<int64_t> rotate;
      for (int64_t lane = 0; lane < w; ++lane)
        rotate.push_back((lane + half) % w);
      v = combine(v, vector::ShuffleOp::create(b, v, v, rotate));
    }
    return vector::ExtractOp::create(b, v, ArrayRef<int64_t>{0});
  }
  /// The W x W transpose of `rows` (W vectors of W lanes) in W·log2(W)
  /// two-source shuffles: for each bit h of the lane index, from the
  /// highest, rows i and i + h (bit h of i clear) swap their off-diagonal
  /// h-lane blocks. Each step swaps one bit of the row index with the same
  /// bit of the lane index; after all of them, element (i, j) is at (j, i).
  SmallVector<Value> transpose(ArrayRef<Value> rows) {
    SmallVector<Value> m(rows);
    for (int64_t h = w / 2; h >= 1; h /= 2)
      for (int64_t i = 0; i < w; ++i) {
        if (i & h)
          continue;
        SmallVector<int64_t> low, high;
        for (int64_t lane = 0; lane < w; ++lane) {
          low.push_back(lane & h ? w + lane - h : lane);
          high.push_back(lane & h ? w + lane : lane + h);
        }
        Value upper = m[i], lower = m[i + h];
        m[i] = vector::ShuffleOp::create(b, upper, lower, low);
        m[i + h] = vector::ShuffleOp::create(b, upper, lower, high);
      }
    return m;
  }
  Value at(Value tensor, ValueRange indices) {
    return tensor::ExtractOp::create(b, tensor, indices);
  }
  Value i32(Value index) { return arith::IndexCastOp::create(b, b.getI32Type(), index); }
};

} // namespace mlir::attn::tiling

#endif // ATTNC_PASSES_TILING_VECTOREMITTER_H

//===- ShapeExprs.h - Shape arithmetic on run-time dims ---------*- C++ -*-===//
//
// Exported models compute shapes from their inputs (Shape -> Gather ->
// Concat -> Reshape). With run-time dims (--max-shape) those small i64
// tensors are not constants, but the importer still needs to know what they
// hold where an op takes one as a parameter (a Reshape's target). This table
// follows them symbolically: each element as an affine expression over the
// model's run-time dims (symbol k: the k-th bounded dim symbol). The IR
// still computes them at run time (Shape builds them from tensor.dim), so
// a use the table does not understand reads correct data.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_ONNX_SHAPEEXPRS_H
#define ATTNC_FRONTENDS_ONNX_SHAPEEXPRS_H

#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace onnx {
class NodeProto;
} // namespace onnx

namespace mlir::attn::onnx_frontend {

class ShapeExprs {
public:
  explicit ShapeExprs(MLIRContext *ctx) : ctx(ctx) {}

  /// Dim `dim` of function argument `argument` is run-time dim `symbol`,
  /// at most `bound`.
  void bindArgumentDim(BlockArgument argument, unsigned dim, unsigned symbol, int64_t bound);

  /// Dim `dim` of `tensor`: a constant for a static dim, the symbol of the
  /// argument dim a run-time dim equals (dialects/attn/RunTimeDims.h), or
  /// nullopt.
  std::optional<AffineExpr> dimOf(Value tensor, unsigned dim) const;

  /// The elements of `value` (a 0-D or 1-D integer tensor) when known: from
  /// the table, or from a constant.
  std::optional<SmallVector<AffineExpr>> elementsOf(Value value) const;

  /// Whether `value` is known here but is no constant in the IR (it is
  /// computed at run time from a run-time dim).
  bool isRunTimeValue(Value value) const { return known.count(value) > 0; }

  /// The largest value `expr` takes with every run-time dim within its
  /// bound; nullopt when that is not its value at the bounds (a symbol with
  /// a negative coefficient, a modulo).
  std::optional<int64_t> upperBound(AffineExpr expr) const;

  /// The smallest value `expr` takes with every run-time dim from 0 to its
  /// bound; nullopt when that is not known (a division, a modulo).
  std::optional<int64_t> lowerBound(AffineExpr expr) const;

  /// `expr` as an index computed at run time from the arguments' dims
  /// (tensor.dim, arith), inserted at `b`.
  Value materialize(OpBuilder &b, Location loc, AffineExpr expr) const;

  /// Records what `node` computed into `outputs` when it is shape
  /// arithmetic (Shape, Gather, Unsqueeze, Squeeze, Reshape to a vector,
  /// Concat, Slice, Cast, Identity, Add, Sub, Mul, Div) on known elements, and at least one of
  /// them is not a constant.
  void evaluate(const onnx::NodeProto &node, ArrayRef<Value> inputs, ArrayRef<Value> outputs);

  MLIRContext *context() const { return ctx; }

private:
  MLIRContext *ctx;
  llvm::DenseMap<std::pair<Value, unsigned>, unsigned> argumentSymbols;
  /// Per symbol: an argument dim that carries it, and its bound.
  llvm::DenseMap<unsigned, std::pair<std::pair<Value, unsigned>, int64_t>> symbolSources;
  llvm::DenseMap<Value, SmallVector<AffineExpr>> known;
};

} // namespace mlir::attn::onnx_frontend

#endif // ATTNC_FRONTENDS_ONNX_SHAPEEXPRS_H

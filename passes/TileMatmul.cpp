//===- TileMatmul.cpp - Matmuls with a 2-D weight to packed vector kernels ===//
//
// Finds the contractions of a transformer's projections (attn.linear, and
// attn.matmul with a 2-D right operand) and lowers each, with its bias, to
// the register-tiled kernel of tiling/PackedMatmulKernel.cpp.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/SdpaTiling.h"
#include "passes/lowering/LinalgBuilders.h"
#include "passes/tiling/ConvColumns.h"
#include "passes/tiling/PackedMatmulKernel.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNTILEMATMULPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tiling;

namespace {

/// One contraction to lower: `input` [..., K] times a 2-D weight, plus an
/// optional bias that broadcasts as [N] and an optional residual of the
/// result's shape; `replaced` is the value the kernel's result stands for
/// (the op's, or that of the last add it absorbed).
struct Contraction {
  Operation *op;
  Value input, weight, bias, residual;
  bool transposed;
  Value replaced;
  MatmulActivation activation = MatmulActivation::none;
  /// The ops absorbed (bias and residual adds, the activation), in program
  /// order.
  SmallVector<Operation *, 3> absorbed;
};

bool isStaticF32(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.hasStaticShape() && type.getElementType().isF32();
}

/// f32 rows of a static length: [..., K] with K static; one of the leading
/// dims (which fold into the kernel's M) may be a run-time dim. Two would
/// fold into one M that must be split again after the product, a reshape
/// LLVM 22's expand-strided-metadata crashes on (a memref.expand_shape
/// with two dynamic dims in a group), so such products stay linalg.
bool isF32Rows(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getElementType().isF32() && type.getRank() >= 1 &&
         !type.isDynamicDim(type.getRank() - 1) && type.getNumDynamicDims() <= 1;
}

bool hasNoElements(RankedTensorType type) {
  return type.hasStaticShape() && type.getNumElements() == 0;
}

/// Whether `bias` broadcasts onto [..., N] as an [N] vector: every dim
/// but the last is 1, and the last is N.
bool isRowBias(Value bias, int64_t n) {
  auto type = cast<RankedTensorType>(bias.getType());
  if (!isStaticF32(bias) || type.getRank() == 0 || type.getShape().back() != n)
    return false;
  return llvm::all_of(type.getShape().drop_back(), [](int64_t d) { return d == 1; });
}

/// The weight seen through a 2-D Transpose: (source, transposed).
std::pair<Value, bool> throughTranspose(Value weight, bool transposed) {
  if (auto t = weight.getDefiningOp<TransposeOp>())
    if (t.getPermutation().size() == 2 && t.getPermutation()[0] == 1)
      return {t.getInput(), !transposed};
  return {weight, transposed};
}

/// The activation, applied to the finished sums (after bias and residual):
/// an attn.gelu that is the only use of what `c` computes so far.
void absorbActivation(Contraction &c) {
  if (!c.replaced.hasOneUse())
    return;
  if (auto gelu = dyn_cast<GeluOp>(*c.replaced.getUsers().begin())) {
    c.activation = gelu.getApproximate() == GeluApproximation::tanh ? MatmulActivation::geluTanh
                                                                    : MatmulActivation::gelu;
    c.replaced = gelu.getResult();
    c.absorbed.push_back(gelu);
  }
}

/// The contraction `op` describes, if the kernel can run it; `add` is
/// absorbed as its bias when it is the product's only use.
std::optional<Contraction> matchContraction(Operation *op) {
  Contraction c{op, {}, {}, {}, {}, false, op->getResult(0), MatmulActivation::none, {}};
  if (auto linear = dyn_cast<LinearOp>(op)) {
    c.input = linear.getInput();
    c.weight = linear.getWeight();
    c.bias = linear.getBias();
    c.transposed = linear.getTransposeWeight();
  } else if (auto matmul = dyn_cast<MatmulOp>(op)) {
    c.input = matmul.getLhs();
    c.weight = matmul.getRhs();
  } else {
    return std::nullopt;
  }
  auto inputType = dyn_cast<RankedTensorType>(c.input.getType());
  auto weightType = dyn_cast<RankedTensorType>(c.weight.getType());
  if (!isF32Rows(c.input) || !isStaticF32(c.weight) || !isF32Rows(op->getResult(0)) ||
      weightType.getRank() != 2 || inputType.getRank() < 1 ||
      hasNoElements(inputType) || weightType.getNumElements() == 0 ||
      (isa<MatmulOp>(op) && inputType.getRank() < 2))
    return std::nullopt;
  int64_t n = weightType.getDimSize(c.transposed ? 0 : 1);
  if (c.bias && !isRowBias(c.bias, n))
    return std::nullopt;
  if (!c.bias && op->getResult(0).hasOneUse())
    if (auto add = dyn_cast<AddOp>(*op->getResult(0).getUsers().begin())) {
      Value other = add.getLhs() == op->getResult(0) ? add.getRhs() : add.getLhs();
      if (add.getType() == op->getResult(0).getType() && isRowBias(other, n)) {
        c.bias = other;
        c.replaced = add.getResult();
        c.absorbed.push_back(add);
      }
    }
  // The skip connection: an add of a full [..., N] tensor that is the
  // (biased) product's only use.
  if (c.replaced.hasOneUse())
    if (auto add = dyn_cast<AddOp>(*c.replaced.getUsers().begin())) {
      Value other = add.getLhs() == c.replaced ? add.getRhs() : add.getLhs();
      if (other != c.replaced && other.getType() == c.replaced.getType() &&
          add.getType() == c.replaced.getType()) {
        c.residual = other;
        c.replaced = add.getResult();
        c.absorbed.push_back(add);
      }
    }
  absorbActivation(c);
  std::tie(c.weight, c.transposed) = throughTranspose(c.weight, c.transposed);
  return c;
}

/// [..., K] <-> [M, K]: the leading dims fold into one, the last stays,
/// so a strided [M, N] slice reshapes without a copy.
SmallVector<ReassociationIndices> leadingDimsIntoRows(int64_t rank) {
  ReassociationIndices leading;
  for (int64_t d = 0; d + 1 < rank; ++d)
    leading.push_back(d);
  if (rank == 1)
    return {};
  return {leading, {rank - 1}};
}

Value toRows(RewriterBase &rewriter, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() == 2)
    return value;
  if (type.getRank() == 1)
    return tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({1, type.getDimSize(0)}, type.getElementType()),
        value, SmallVector<ReassociationIndices>{{0, 1}});
  int64_t k = type.getShape().back();
  int64_t rows = type.hasStaticShape() ? type.getNumElements() / k : ShapedType::kDynamic;
  auto rowsType = RankedTensorType::get({rows, k}, type.getElementType());
  return tensor::CollapseShapeOp::create(rewriter, loc, rowsType, value,
                                         leadingDimsIntoRows(type.getRank()));
}

/// [M, N] back to `type` ([..., N]); run-time leading dims are those of
/// `like` (the contraction's input, whose leading dims the result has).
Value fromRows(RewriterBase &rewriter, Location loc, Value rows, RankedTensorType type,
               Value like) {
  if (type.getRank() == 2)
    return rows;
  if (type.getRank() == 1)
    return tensor::CollapseShapeOp::create(rewriter, loc, type, rows,
                                           SmallVector<ReassociationIndices>{{0, 1}});
  if (type.hasStaticShape())
    return tensor::ExpandShapeOp::create(rewriter, loc, type, rows,
                                         leadingDimsIntoRows(type.getRank()));
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d + 1 < type.getRank(); ++d)
    sizes.push_back(type.isDynamicDim(d)
                        ? OpFoldResult(tensor::DimOp::create(rewriter, loc, like, d).getResult())
                        : OpFoldResult(rewriter.getIndexAttr(type.getDimSize(d))));
  sizes.push_back(rewriter.getIndexAttr(type.getShape().back()));
  return tensor::ExpandShapeOp::create(rewriter, loc, type, rows,
                                       leadingDimsIntoRows(type.getRank()), sizes);
}

/// `result` for what `c` computed: its uses take it, and the ops it
/// absorbed and the contraction itself go.
void replaceContraction(RewriterBase &rewriter, const Contraction &c, Value result) {
  rewriter.replaceAllUsesWith(c.replaced, result);
  for (Operation *absorbed : llvm::reverse(c.absorbed))
    rewriter.eraseOp(absorbed);
  rewriter.eraseOp(c.op);
}

void lowerContraction(RewriterBase &rewriter, const Contraction &c,
                      const MatmulKernelShape &shape) {
  Operation *last = c.replaced.getDefiningOp();
  rewriter.setInsertionPoint(last);
  Location loc = c.op->getLoc();
  MatmulOperands operands;
  operands.input = toRows(rewriter, loc, c.input);
  operands.weight = c.weight;
  operands.transposed = c.transposed;
  auto resultType = cast<RankedTensorType>(c.replaced.getType());
  int64_t n = resultType.getShape().back();
  if (c.bias)
    operands.bias = lowering::buildReshape(rewriter, loc, c.bias, {n});
  if (c.residual)
    operands.residual = toRows(rewriter, loc, c.residual);
  operands.activation = c.activation;
  Value product = buildPackedMatmul(rewriter, loc, operands, shape);
  replaceContraction(rewriter, c, fromRows(rewriter, loc, product, resultType, c.input));
}

/// A convolution as columns · weightᵀ (ConvColumns.h), with its bias and
/// a GELU after it (elementwise, so it applies before the copy back to
/// channels-first as well as after) in the kernel.
void lowerConv(RewriterBase &rewriter, ConvOp conv, const MatmulKernelShape &shape) {
  Contraction c{conv, {}, {}, conv.getBias(), {}, true, conv.getResult(),
                MatmulActivation::none, {}};
  absorbActivation(c);
  rewriter.setInsertionPoint(c.replaced.getDefiningOp());
  Location loc = conv.getLoc();
  MatmulOperands operands;
  operands.input = buildConvColumns(rewriter, loc, conv, conv.getInput());
  operands.weight = buildConvWeightRows(rewriter, loc, conv, conv.getWeight());
  operands.transposed = true;
  operands.bias = c.bias;
  operands.activation = c.activation;
  Value rows = buildPackedMatmul(rewriter, loc, operands, shape);
  replaceContraction(rewriter, c, buildChannelsFirst(rewriter, loc, rows, conv.getType()));
}

struct AttnTileMatmulPass : attn::impl::AttnTileMatmulPassBase<AttnTileMatmulPass> {
  using Base::Base;

  void runOnOperation() override {
    // The options are the kernel for ops without an `attn.tiling` of their
    // own (cpu-choose-tilings records one on each).
    std::optional<MatmulKernelShape> defaults;
    if (vectorWidth > 0) {
      if (registerRows < 1 || registerColumnVectors < 1 || taskRows < 1 || kBlock < 1 ||
          tasks < 1 || chunkPanels < 0) {
        getOperation().emitError("attn-tile-matmul: register-rows, register-column-vectors, "
                                 "task-rows, k-block and tasks must be positive");
        return signalPassFailure();
      }
      MatmulKernelShape shape;
      shape.vectorWidth = vectorWidth;
      shape.registerRows = registerRows;
      shape.registerColumnVectors = registerColumnVectors;
      shape.taskRows = taskRows;
      shape.kBlock = kBlock;
      shape.tasks = tasks;
      shape.chunkPanels = chunkPanels;
      defaults = shape;
    }
    // Matched one at a time: lowering a contraction replaces its result,
    // which may be the next one's input.
    SmallVector<Operation *> candidates;
    getOperation().walk([&](Operation *op) {
      if (runsOnMatmulKernel(op))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : candidates) {
      std::optional<MatmulKernelShape> shape = defaults;
      if (Attribute recorded = op->getAttr(kTilingAttrName)) {
        auto attr = dyn_cast<MatmulTilingAttr>(recorded);
        if (!attr) {
          op->emitError("'") << kTilingAttrName << "' must be an #attn.matmul_tiling, got "
                             << recorded;
          return signalPassFailure();
        }
        shape = kernelShapeOf(attr);
      }
      if (!shape || shape->vectorWidth == 0)
        continue;
      if (auto conv = dyn_cast<ConvOp>(op))
        lowerConv(rewriter, conv, *shape);
      else if (std::optional<Contraction> c = matchContraction(op))
        lowerContraction(rewriter, *c, *shape);
    }
  }
};

} // namespace

//===- DecomposeSdpa.cpp - Expand attn.sdpa into graph ops ----*- C++ -*-===//
//
// The reference semantics of attn.sdpa, written with attn graph ops: the
// fallback for backends without a fused kernel and the oracle in tests.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/ScalarConstants.h"
#include "passes/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNDECOMPOSESDPAPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// A constant tensor of `shape` and `elementType` holding `values`.
static Value constantI64(OpBuilder &builder, Location loc,
                         ArrayRef<int64_t> shape, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get(shape, builder.getI64Type());
  return ConstantOp::create(builder, loc, DenseElementsAttr::get(type, values));
}

/// Repeats each of the Hkv heads of `kv` [B, Hkv, T, D] Hq / Hkv times, so
/// grouped-query attention reads like multi-head attention.
static Value expandHeads(OpBuilder &builder, Location loc, Value kv,
                         int64_t queryHeads) {
  auto type = cast<RankedTensorType>(kv.getType());
  int64_t b = type.getDimSize(0), hkv = type.getDimSize(1),
          t = type.getDimSize(2), d = type.getDimSize(3);
  if (hkv == queryHeads)
    return kv;
  int64_t group = queryHeads / hkv;
  Value split = ReshapeOp::create(builder, loc, kv,
                                  builder.getDenseI64ArrayAttr({b, hkv, 1, t, d}));
  Value repeated = BroadcastToOp::create(
      builder, loc, split, builder.getDenseI64ArrayAttr({b, hkv, group, t, d}));
  return ReshapeOp::create(builder, loc, repeated,
                           builder.getDenseI64ArrayAttr({b, queryHeads, t, d}));
}

/// The boolean "query may see key" tensor (broadcastable to [B, Hq, S, T])
/// implied by the window, the offset, the key mask and a boolean dense mask,
/// or null when every key is visible.
static Value buildVisibility(OpBuilder &builder, Location loc, SdpaOp op) {
  SdpaDims dims = op.getDims();
  int64_t batch = dims.batch, s = dims.queryLen, t = dims.keyLen;
  Value visible;
  auto conjoin = [&](Value condition) {
    visible = visible ? AndOp::create(builder, loc, visible, condition).getResult()
                      : condition;
  };

  WindowAttr window = op.getWindow();
  if (!window.isUnbounded()) {
    // Query i stands at offset + i; key j is visible iff
    // -left <= j - (offset + i) <= right.
    Value queryPos = constantI64(builder, loc, {s, 1},
                                 llvm::to_vector(llvm::seq<int64_t>(0, s)));
    if (Value offset = op.getOffset()) {
      if (cast<RankedTensorType>(offset.getType()).getRank() == 1)
        offset = ReshapeOp::create(builder, loc, offset,
                                   builder.getDenseI64ArrayAttr({batch, 1, 1, 1}));
      queryPos = AddOp::create(builder, loc, queryPos, offset);
    }
    Value keyPos = constantI64(builder, loc, {1, t},
                               llvm::to_vector(llvm::seq<int64_t>(0, t)));
    Value distance = SubOp::create(builder, loc, keyPos, queryPos);
    if (!window.isLeftUnbounded())
      conjoin(GreaterEqualOp::create(builder, loc, distance,
                                     constantI64(builder, loc, {}, {-window.getLeft()})));
    if (!window.isRightUnbounded())
      conjoin(LessEqualOp::create(builder, loc, distance,
                                  constantI64(builder, loc, {}, {window.getRight()})));
  }
  if (Value keyMask = op.getKeyVisibility())
    conjoin(ReshapeOp::create(builder, loc, keyMask,
                              builder.getDenseI64ArrayAttr({batch, 1, 1, t})));
  if (Value dense = op.getDenseMask())
    if (cast<RankedTensorType>(dense.getType()).getElementType().isInteger(1))
      conjoin(dense);
  return visible;
}

/// Swaps the head and sequence axes of a rank-4 sdpa tensor: [B, S, H, D]
/// to [B, H, S, D] and back (sdpa.C11).
static Value swapHeadsAndSequence(OpBuilder &builder, Location loc, Value x) {
  return TransposeOp::create(builder, loc, x, builder.getDenseI64ArrayAttr({0, 2, 1, 3}));
}

Value mlir::attn::decomposeSdpa(RewriterBase &rewriter, SdpaOp op) {
  Location loc = op.getLoc();
  auto elementType = cast<FloatType>(op.getQuery().getType().getElementType());
  SdpaDims dims = op.getDims();
  // The graph below works head-major; a sequence-major tensor is the
  // Transpose the fusion absorbed, put back.
  auto swapIfSeqMajor = [&](Value x, SdpaTensor tensor) {
    return op.isSeqMajor(tensor) ? swapHeadsAndSequence(rewriter, loc, x) : x;
  };
  Value query = swapIfSeqMajor(op.getQuery(), SdpaTensor::Query);
  Value key =
      expandHeads(rewriter, loc, swapIfSeqMajor(op.getKey(), SdpaTensor::Key), dims.queryHeads);
  Value value =
      expandHeads(rewriter, loc, swapIfSeqMajor(op.getValue(), SdpaTensor::Value), dims.queryHeads);
  Value keyT = TransposeOp::create(rewriter, loc, key,
                                   rewriter.getDenseI64ArrayAttr({0, 1, 3, 2}));
  Value scores = MatmulOp::create(rewriter, loc, query, keyT);
  scores = MulOp::create(
      rewriter, loc, scores,
      buildScalarConstant(rewriter, loc, elementType, op.getScale().convertToDouble()));
  Value denseBias = op.getDenseMask();
  if (denseBias && cast<RankedTensorType>(denseBias.getType()).getElementType().isInteger(1))
    denseBias = Value();
  if (denseBias)
    scores = AddOp::create(rewriter, loc, scores, denseBias);
  if (Value keyBias = op.getKeyBias()) {
    scores = AddOp::create(
        rewriter, loc, scores,
        ReshapeOp::create(rewriter, loc, keyBias,
                          rewriter.getDenseI64ArrayAttr({dims.batch, 1, 1, dims.keyLen})));
  }

  Value visible = buildVisibility(rewriter, loc, op);
  Value negInf = buildScalarConstant(rewriter, loc, elementType, -INFINITY);
  if (visible)
    scores = WhereOp::create(rewriter, loc, visible, scores, negInf);
  Value probs = SoftmaxOp::create(rewriter, loc, scores, 3);
  // sdpa.C10: a row with no key left (none visible, or every visible one
  // at -inf through an additive mask) yields zeros, not softmax's NaN.
  Value live = visible;
  bool additive = op.getKeyBias() || denseBias;
  if (additive)
    live = NotOp::create(rewriter, loc, EqualOp::create(rewriter, loc, scores, negInf));
  if (live) {
    int64_t lastAxis = cast<RankedTensorType>(live.getType()).getRank() - 1;
    Value rowHasKey = ReduceMaxOp::create(
        rewriter, loc, live, rewriter.getDenseI64ArrayAttr({lastAxis}),
        /*keepdims=*/true);
    probs = WhereOp::create(rewriter, loc, rowHasKey, probs,
                            buildScalarConstant(rewriter, loc, elementType, 0.0));
  }
  Value result =
      swapIfSeqMajor(MatmulOp::create(rewriter, loc, probs, value), SdpaTensor::Result);
  rewriter.replaceOp(op, result);
  return result;
}

namespace {

// sdpa(q, k, v) -> softmax(q @ kᵀ * scale + masks) @ v
struct DecomposeSdpaPattern : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SdpaOp op,
                                PatternRewriter &rewriter) const override {
    // Head expansion and the position iotas are built with static shapes.
    for (Value operand : op->getOperands())
      if (!cast<RankedTensorType>(operand.getType()).hasStaticShape())
        return rewriter.notifyMatchFailure(op, "decomposition needs static shapes");
    decomposeSdpa(rewriter, op);
    return success();
  }
};

struct AttnDecomposeSdpaPass
    : attn::impl::AttnDecomposeSdpaPassBase<AttnDecomposeSdpaPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnDecomposeSdpaPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    WalkResult leftover = getOperation().walk([](SdpaOp op) {
      op.emitOpError("could not be decomposed: its operands have dynamic shapes");
      return WalkResult::interrupt();
    });
    if (leftover.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnDecomposeSdpaPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeSdpaPattern>(patterns.getContext());
}

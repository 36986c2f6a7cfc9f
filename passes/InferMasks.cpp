//===- InferMasks.cpp - Turn proven mask structure into attn.sdpa attrs -===//
//
// A dense mask that is provably a band becomes #attn.window (with an offset
// for bottom-right alignment), one that only depends on the key per batch
// row becomes the key_mask operand; anything else stays dense.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Transforms.h"
#include "passes/fusion/MaskStructure.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNINFERMASKSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

// sdpa(dense_mask = band & padding) -> sdpa {mask = #attn.window} key_mask(..)
struct InferMaskPattern : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SdpaOp op, PatternRewriter &rewriter) const override {
    if (op.getMaskAttr() || op.getOffset() || op.getKeyMask())
      return rewriter.notifyMatchFailure(op, "already has structure");
    std::string reason;
    FailureOr<MaskStructure> structure = inferMaskStructure(op, reason);
    if (failed(structure))
      return rewriter.notifyMatchFailure(op, reason);
    Location loc = op.getLoc();
    Value offset, keyMask;
    if (structure->offset != 0)
      offset = ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(RankedTensorType::get({}, rewriter.getI64Type()),
                                 rewriter.getI64IntegerAttr(structure->offset).getValue()));
    if (structure->keyMask) {
      const auto &rows = *structure->keyMask;
      SmallVector<bool> bits;
      for (const auto &row : rows)
        bits.append(row.begin(), row.end());
      auto type = RankedTensorType::get({(int64_t)rows.size(), (int64_t)rows[0].size()},
                                        rewriter.getI1Type());
      keyMask = ConstantOp::create(rewriter, loc,
                                   DenseElementsAttr::get(type, ArrayRef<bool>(bits)));
    }
    rewriter.replaceOpWithNewOp<SdpaOp>(op, op.getQuery(), op.getKey(), op.getValue(),
                                        offset, keyMask, /*dense_mask=*/Value(),
                                        op.getScaleAttr(), structure->window);
    return success();
  }
};

struct AttnInferMasksPass : attn::impl::AttnInferMasksPassBase<AttnInferMasksPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnInferMasksPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnInferMasksPatterns(RewritePatternSet &patterns) {
  patterns.add<InferMaskPattern>(patterns.getContext());
}

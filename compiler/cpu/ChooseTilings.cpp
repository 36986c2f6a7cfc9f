//===- ChooseTilings.cpp - The CPU backend's lowering decisions ----------===//
//
// One declared pass decides how every attn.sdpa and matmul is lowered for
// the target and records it as a typed attribute on the op; the lowering
// passes only read those attributes. The decisions themselves come from
// TilingCostModel.cpp.
//
//===----------------------------------------------------------------------===//

#include "compiler/TargetDescription.h"
#include "compiler/cpu/Passes.h"
#include "compiler/cpu/TilingCostModel.h"
#include "dialects/attn/RunTimeDims.h"
#include "passes/SdpaTiling.h"
#include "passes/Transforms.h"
#include "passes/tiling/PackedMatmulKernel.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc::cpu {
#define GEN_PASS_DEF_CPUCHOOSETILINGSPASS
#include "compiler/cpu/Passes.h.inc"
} // namespace attnc::cpu

using namespace mlir;

namespace attnc {
namespace {

/// Prints `op`'s shapes and window: the start of its --print-tiling line.
void printSdpa(attn::SdpaOp op, llvm::raw_ostream &os) {
  os << "tiling: attn.sdpa q " << op.getQuery().getType() << " k " << op.getKey().getType();
  if (attn::WindowAttr window = op.getMaskAttr())
    os << " " << window;
  if (attn::LayoutAttr layout = op.getLayoutAttr())
    os << " " << layout;
}

/// The rest of a --print-tiling line for a tiled op: the tiling, how much
/// of the block grid the window lets it visit, and why.
void printTiling(attn::SdpaOp op, const attn::SdpaTiling &tiling, llvm::StringRef reason,
                 llvm::raw_ostream &os) {
  os << ": q-block " << tiling.qBlock << ", kv-block " << tiling.kvBlock;
  if (tiling.vectorWidth > 0)
    os << ", vector width " << tiling.vectorWidth << ", register tile " << tiling.registerRows
       << "x" << tiling.registerColumnVectors;
  else
    os << ", vector width 0 (portable kernel)";
  os << ", kv splits " << tiling.kvSplits << "; per (batch, head) visits ";
  attn::SdpaTilingPlan plan = attn::planSdpaTiling(op, tiling.qBlock, tiling.kvBlock);
  if (plan.qBlocks == 0 && plan.kvBlocks == 0) {
    os << "a run-time number of block pairs; " << reason << "\n";
    return;
  }
  if (plan.visitedBlocks)
    os << *plan.visitedBlocks;
  else
    os << "an offset-dependent number";
  os << " of " << plan.qBlocks * plan.kvBlocks << " block pairs; " << reason << "\n";
}

bool hasStaticOperands(attn::SdpaOp op) {
  return llvm::all_of(op->getOperandTypes(), [](Type type) {
    return cast<RankedTensorType>(type).hasStaticShape();
  });
}

/// `request` with the lengths a run-time query or key length of `op` is
/// assumed to have: its bound where the function records one (the largest
/// prompt the model takes), else the request's.
TilingRequest withRunTimeBounds(attn::SdpaOp op, TilingRequest request) {
  bool qSeq = op.isSeqMajor(attn::SdpaTensor::Query), kSeq = op.isSeqMajor(attn::SdpaTensor::Key);
  if (std::optional<int64_t> queries = attn::runTimeBound(op.getQuery(), attn::sdpaSeqAxis(qSeq)))
    request.assumedQueries = std::max<int64_t>(*queries, 1);
  if (std::optional<int64_t> keys = attn::runTimeBound(op.getKey(), attn::sdpaSeqAxis(kSeq)))
    request.assumedKeys = std::max<int64_t>(*keys, 1);
  return request;
}

bool hasRunTimeQueryLength(attn::SdpaOp op) {
  return ShapedType::isDynamic(op.getDims().queryLen);
}

bool hasEmptyOperand(attn::SdpaOp op) {
  return llvm::any_of(op->getOperandTypes(), [](Type type) {
    auto tensor = cast<RankedTensorType>(type);
    return tensor.hasStaticShape() && tensor.getNumElements() == 0;
  });
}

struct CpuChooseTilingsPass : cpu::impl::CpuChooseTilingsPassBase<CpuChooseTilingsPass> {
  using Base::Base;
  CpuChooseTilingsPass(const cpu::CpuChooseTilingsPassOptions &options, llvm::raw_ostream *log)
      : Base(options), log(log) {}

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<TilingFlags> flags = readFlags();
    if (failed(flags))
      return signalPassFailure();
    std::string error;
    std::optional<TargetDescription> target = describeTarget({triple, cpu}, error);
    if (!target) {
      module.emitError(error);
      return signalPassFailure();
    }
    if (failed(chooseSdpaTilings(module, *target, *flags)))
      return signalPassFailure();
    chooseMatmulTilings(module, *target);
  }

private:
  /// The options as the cost model's overrides.
  FailureOr<TilingFlags> readFlags() {
    TilingFlags flags;
    if (attentionKernel == "vector")
      flags.kernel = AttentionKernel::Vector;
    else if (attentionKernel == "portable")
      flags.kernel = AttentionKernel::Portable;
    else if (attentionKernel != "auto")
      return getOperation().emitError("cpu-choose-tilings: attention-kernel must be auto, "
                                      "vector or portable, got '")
             << attentionKernel << "'";
    if (qBlock < 0 || kvBlock < 0)
      return getOperation().emitError("cpu-choose-tilings: q-block and kv-block must be "
                                      "positive (or 0 for the cost model's), got ")
             << static_cast<int64_t>(qBlock) << " and " << static_cast<int64_t>(kvBlock);
    if (qBlock > 0)
      flags.qBlock = qBlock;
    if (kvBlock > 0)
      flags.kvBlock = kvBlock;
    return flags;
  }

  /// Records the cost model's tiling on every static-shaped attn.sdpa, or
  /// decomposes the op where the model runs it unfused. An op that already
  /// carries `attn.tiling` keeps it unless the flags set the blocks or the
  /// kernel.
  LogicalResult chooseSdpaTilings(ModuleOp module, const TargetDescription &target,
                                  const TilingFlags &flags) {
    SmallVector<attn::SdpaOp> ops;
    module.walk([&](attn::SdpaOp op) { ops.push_back(op); });
    TilingRequest request;
    request.flags = flags;
    IRRewriter rewriter(&getContext());
    for (attn::SdpaOp op : ops) {
      if (log)
        printSdpa(op, *log);
      bool runTimeLengths = !hasStaticOperands(op);
      if (!tileAttention) {
        // The unfused graph builds its position masks with static shapes.
        if (runTimeLengths)
          return op.emitError("attention with run-time lengths has no unfused form; "
                              "compile without --decompose-attention, or bind the "
                              "lengths with --input-shape");
        if (log)
          *log << ": unfused (--decompose-attention)\n";
        continue;
      }
      // Zero queries, keys or channels: nothing to tile (attn-decompose-sdpa
      // gives the empty result, or zeros for queries without keys).
      if (hasEmptyOperand(op)) {
        if (log)
          *log << ": unfused (an empty tensor)\n";
        continue;
      }
      FailureOr<std::optional<attn::SdpaTiling>> recorded = attn::getSdpaTiling(op);
      if (failed(recorded))
        return failure();
      if (*recorded && !flags.setsBlocks() && flags.kernel == AttentionKernel::Auto) {
        if (log)
          printTiling(op, **recorded, "from its attn.tiling attribute", *log);
        continue;
      }
      TilingRequest opRequest = runTimeLengths ? withRunTimeBounds(op, request) : request;
      TilingChoice choice = chooseSdpaTiling(op, target, opRequest);
      if (!choice.error.empty())
        return op.emitError(choice.error);
      for (const std::string &warning : choice.warnings)
        op.emitWarning(warning);
      if (runTimeLengths) {
        if (failed(chooseRunTimeClasses(op, target, opRequest, choice)))
          return failure();
        continue;
      }
      if (choice.decompose) {
        if (log)
          *log << ": unfused (" << choice.reason << ")\n";
        rewriter.setInsertionPoint(op);
        attn::decomposeSdpa(rewriter, op);
        continue;
      }
      std::string problem = attn::validateSdpaTiling(op, choice.tiling);
      assert(problem.empty() && "the cost model chose a tiling attn-tile-sdpa rejects");
      (void)problem;
      attn::setSdpaTiling(op, choice.tiling);
      if (log)
        printTiling(op, choice.tiling, choice.reason, *log);
    }
    return success();
  }

  /// An op with run-time lengths runs on the vector kernel, in two size
  /// classes (see kDecodeTilingAttrName): `prompt`, chosen for the lengths
  /// the request assumes (the bounds), and one chosen for a single query
  /// over the same keys, which splits the kv range over the cores.
  LogicalResult chooseRunTimeClasses(attn::SdpaOp op, const TargetDescription &target,
                                     const TilingRequest &request, const TilingChoice &prompt) {
    if (prompt.decompose || prompt.tiling.vectorWidth == 0)
      return op.emitError("attention with run-time lengths runs on the vector kernel only, "
                          "which this op cannot use (")
             << prompt.reason << "); bind the lengths with --input-shape";
    attn::setSdpaTiling(op, prompt.tiling);
    if (log)
      printTiling(op, prompt.tiling, "many queries: " + prompt.reason, *log);
    if (!hasRunTimeQueryLength(op))
      return success();
    TilingRequest oneQuery = request;
    oneQuery.assumedQueries = 1;
    TilingChoice decode = chooseSdpaTiling(op, target, oneQuery);
    if (!decode.error.empty())
      return op.emitError(decode.error);
    attn::setSdpaTiling(op, decode.tiling, attn::kDecodeTilingAttrName);
    if (log) {
      printSdpa(op, *log);
      printTiling(op, decode.tiling, "few queries: " + decode.reason, *log);
    }
    return success();
  }

  /// The target's matmul kernel for its columns on every f32 attn.linear
  /// and attn.matmul, and every convolution that runs as a matmul (its
  /// columns: the output channels), that has no `attn.tiling` yet.
  void chooseMatmulTilings(ModuleOp module, const TargetDescription &target) {
    module.walk([&](Operation *op) {
      if (!attn::tiling::runsOnMatmulKernel(op) || op->hasAttr(attn::kTilingAttrName))
        return;
      bool conv = isa<attn::ConvOp>(op);
      auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
      if (!type || !type.getElementType().isF32() || type.getRank() == 0)
        return;
      int64_t columns = conv ? type.getDimSize(1) : type.getShape().back();
      attn::tiling::MatmulKernelShape kernel =
          chooseMatmulKernel(target, ShapedType::isDynamic(columns) ? 0 : columns);
      if (kernel.vectorWidth != 0)
        op->setAttr(attn::kTilingAttrName,
                    attn::tiling::matmulTilingAttrOf(&getContext(), kernel));
    });
  }

  llvm::raw_ostream *log = nullptr;
};

} // namespace

std::unique_ptr<Pass> cpu::createCpuChooseTilingsPass(const CpuChooseTilingsPassOptions &options,
                                                      llvm::raw_ostream *log) {
  return std::make_unique<CpuChooseTilingsPass>(options, log);
}

} // namespace attnc

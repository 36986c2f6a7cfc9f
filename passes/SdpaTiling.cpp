//===- SdpaTiling.cpp - attn.sdpa's attn.tiling attribute ----------------===//

#include "passes/SdpaTiling.h"
#include "dialects/attn/AttnAttrs.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::attn;

void mlir::attn::setSdpaTiling(SdpaOp op, const SdpaTiling &tiling, llvm::StringRef name) {
  op->setAttr(name,
              SdpaTilingAttr::get(op.getContext(), tiling.qBlock, tiling.kvBlock,
                                  tiling.vectorWidth, tiling.registerRows,
                                  tiling.registerColumnVectors, tiling.kvSplits,
                                  tiling.avx512 != 0));
}

FailureOr<std::optional<SdpaTiling>> mlir::attn::getSdpaTiling(SdpaOp op,
                                                               llvm::StringRef name) {
  Attribute raw = op->getAttr(name);
  if (!raw)
    return std::optional<SdpaTiling>();
  auto attr = dyn_cast<SdpaTilingAttr>(raw);
  if (!attr)
    return op.emitError("'") << name << "' must be an #attn.sdpa_tiling, got "
                             << raw;
  SdpaTiling tiling;
  tiling.qBlock = attr.getQBlock();
  tiling.kvBlock = attr.getKvBlock();
  tiling.vectorWidth = attr.getVectorWidth();
  tiling.registerRows = attr.getRegisterRows();
  tiling.registerColumnVectors = attr.getRegisterColumnVectors();
  tiling.kvSplits = attr.getKvSplits();
  tiling.avx512 = attr.getAvx512() ? 1 : 0;
  return std::optional<SdpaTiling>(tiling);
}

std::string mlir::attn::validateSdpaTiling(SdpaOp op, const SdpaTiling &tiling) {
  auto positive = [](int64_t v) { return v >= 1; };
  if (!positive(tiling.qBlock) || !positive(tiling.kvBlock))
    return "block sizes must be at least 1, got q-block " + std::to_string(tiling.qBlock) +
           " and kv-block " + std::to_string(tiling.kvBlock);
  if (!positive(tiling.kvSplits))
    return "kv_splits must be at least 1";
  if (tiling.avx512 > 1)
    return "avx512 must be 0 or 1, got " + std::to_string(tiling.avx512);
  if (tiling.avx512 && tiling.vectorWidth != 16)
    return "avx512 needs vector_width 16 (512-bit vectors of f32), got " +
           std::to_string(tiling.vectorWidth);
  if (tiling.vectorWidth == 0)
    return "";
  if (tiling.vectorWidth != 4 && tiling.vectorWidth != 8 && tiling.vectorWidth != 16)
    return "vector_width must be 0, 4, 8 or 16, got " + std::to_string(tiling.vectorWidth);
  if (tiling.registerRows < 1 || tiling.registerRows > 16)
    return "register_rows must be in [1, 16], got " + std::to_string(tiling.registerRows);
  if (tiling.registerColumnVectors < 1 || tiling.registerColumnVectors > 8)
    return "register_column_vectors must be in [1, 8], got " +
           std::to_string(tiling.registerColumnVectors);
  if (!op.getQuery().getType().getElementType().isF32())
    return "the vector kernel handles f32 only";
  int64_t d = op.getDims().headDim, dv = op.getDims().valueDim;
  if (d % tiling.vectorWidth || dv % tiling.vectorWidth)
    return "the vector kernel needs head sizes (" + std::to_string(d) + ", " + std::to_string(dv) +
           ") that are multiples of vector_width " + std::to_string(tiling.vectorWidth);
  return "";
}

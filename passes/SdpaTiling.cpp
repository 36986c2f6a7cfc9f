//===- SdpaTiling.cpp - The attn.tiling attribute ------------------------===//

#include "passes/SdpaTiling.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

/// The attribute's keys, paired with the field each one sets.
struct Field {
  llvm::StringLiteral key;
  int64_t SdpaTiling::*member;
};
constexpr Field kFields[] = {
    {"q_block", &SdpaTiling::qBlock},
    {"kv_block", &SdpaTiling::kvBlock},
    {"vector_width", &SdpaTiling::vectorWidth},
    {"register_rows", &SdpaTiling::registerRows},
    {"register_column_vectors", &SdpaTiling::registerColumnVectors},
    {"kv_splits", &SdpaTiling::kvSplits},
    {"avx512", &SdpaTiling::avx512},
};

} // namespace

void mlir::attn::setSdpaTiling(SdpaOp op, const SdpaTiling &tiling) {
  Builder b(op.getContext());
  SmallVector<NamedAttribute> entries;
  for (const Field &field : kFields)
    entries.push_back(b.getNamedAttr(field.key, b.getI64IntegerAttr(tiling.*field.member)));
  op->setAttr(kSdpaTilingAttrName, b.getDictionaryAttr(entries));
}

FailureOr<std::optional<SdpaTiling>> mlir::attn::getSdpaTiling(SdpaOp op) {
  Attribute raw = op->getAttr(kSdpaTilingAttrName);
  if (!raw)
    return std::optional<SdpaTiling>();
  auto dict = dyn_cast<DictionaryAttr>(raw);
  if (!dict)
    return op.emitError("'") << kSdpaTilingAttrName << "' must be a dictionary, got " << raw;
  SdpaTiling tiling;
  for (NamedAttribute entry : dict) {
    const Field *field =
        llvm::find_if(kFields, [&](const Field &f) { return f.key == entry.getName().getValue(); });
    if (field == std::end(kFields))
      return op.emitError("'") << kSdpaTilingAttrName << "' has an unknown key '"
                               << entry.getName().getValue() << "'";
    auto value = dyn_cast<IntegerAttr>(entry.getValue());
    if (!value || value.getValue().getSExtValue() < 0)
      return op.emitError("'") << kSdpaTilingAttrName << "' key '" << field->key
                               << "' must be a non-negative integer, got " << entry.getValue();
    tiling.*field->member = value.getValue().getSExtValue();
  }
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

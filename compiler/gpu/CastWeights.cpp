//===- CastWeights.cpp - Contraction weights stored in fp16 or bf16 -------===//
//
// `attnc compile --device=cuda --precision=fp16|bf16`: every constant operand
// of a contraction (a projection's weight, the unembedding) is converted at
// compile time, rounded to nearest even, into a new constant of half the
// size, and the contraction's body extends it back to f32 where it reads
// it: the products still accumulate in fp32, the activations stay fp32, and
// the weights take half the device memory and half the bandwidth.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/MultiplyAdd.h"
#include "compiler/gpu/Passes.h"
#include "passes/tiling/PackedMatmulKernel.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

#include <cstring>

namespace attnc::gpu {
#define GEN_PASS_DEF_GPUCASTWEIGHTSPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;

namespace {

/// f32 -> bf16, rounded to nearest even; NaN stays a (quiet) NaN.
uint16_t toBfloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}

/// f32 -> IEEE half, rounded to nearest even: overflow to infinity,
/// subnormal halves below 2^-14, zero below half the smallest one.
uint16_t toHalf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  uint16_t sign = uint16_t((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) // NaN
    return sign | 0x7e00u;
  if (magnitude >= 0x477ff000u) // rounds to 65520 or more: infinity
    return sign | 0x7c00u;
  if (magnitude >= 0x38800000u) { // a normal half (2^-14 and up)
    uint32_t rounded = magnitude + 0xfffu + ((magnitude >> 13) & 1u);
    return sign | uint16_t((rounded - 0x38000000u) >> 13);
  }
  if (magnitude < 0x33000000u) // under 2^-25: rounds to zero
    return sign;
  // A subnormal half: the mantissa with its implicit bit, shifted into
  // units of 2^-24, rounded to nearest even.
  uint32_t exponent = magnitude >> 23;
  uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
  uint32_t shift = 126 - exponent; // 14..24 for exponents 102..112
  uint32_t halfway = 1u << (shift - 1);
  uint32_t result = mantissa >> shift;
  uint32_t rest = mantissa & ((1u << shift) - 1);
  if (rest > halfway || (rest == halfway && (result & 1u)))
    ++result;
  return sign | uint16_t(result);
}

struct GpuCastWeightsPass : public attnc::gpu::impl::GpuCastWeightsPassBase<GpuCastWeightsPass> {
  using GpuCastWeightsPassBase::GpuCastWeightsPassBase;

  void runOnOperation() override {
    FailureOr<Type> type = attnc::gpu::precisionType(&getContext(), precision);
    if (failed(type)) {
      getOperation().emitError("gpu-cast-weights: precision must be fp32, fp16 or bf16, got '")
          << precision << "'";
      return signalPassFailure();
    }
    Type narrow = *type;
    if (!narrow)
      return;
    // One narrow copy per constant, however many contractions read it.
    DenseMap<Value, Value> narrowed;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
          op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op) ||
          !attnc::gpu::isMultiplyAdd(*op.getBlock()))
        return;
      for (OpOperand *input : op.getDpsInputOperands()) {
        BlockArgument argument = op.getMatchingBlockArgument(input);
        if (!argument.getType().isF32())
          continue;
        Value &cast = narrowed[input->get()];
        if (!cast)
          cast = narrowConstant(input->get(), narrow);
        if (!cast)
          continue;
        input->set(cast);
        // The body reads the narrow value and extends it where it used the
        // f32 one.
        argument.setType(narrow);
        OpBuilder b = OpBuilder::atBlockBegin(op.getBlock());
        auto extend = arith::ExtFOp::create(b, op.getLoc(), b.getF32Type(), argument);
        argument.replaceAllUsesExcept(extend.getResult(), extend);
      }
    });
    eraseUnread(narrowed);
  }

  /// Drops the f32 originals (and the ops they were read through) that
  /// nothing reads any more. Left to the end of the pipeline, they would
  /// be bufferized into globals that nothing removes, and the executable
  /// would carry every weight twice.
  void eraseUnread(const DenseMap<Value, Value> &narrowed) {
    SetVector<Operation *> candidates;
    for (const auto &[original, cast] : narrowed)
      if (Operation *op = original.getDefiningOp())
        candidates.insert(op);
    while (!candidates.empty()) {
      Operation *op = candidates.pop_back_val();
      if (!op->use_empty() || !isMemoryEffectFree(op))
        continue;
      for (Value operand : op->getOperands())
        if (Operation *producer = operand.getDefiningOp())
          candidates.insert(producer);
      op->erase();
    }
  }

  /// A constant of `narrow` type with `weight`'s values rounded, beside
  /// it; null if `weight` is no f32 constant.
  Value narrowConstant(Value weight, Type narrow) {
    SmallVector<float> storage;
    std::optional<ArrayRef<float>> values = mlir::attn::tiling::constantFloats(weight, storage);
    if (!values)
      return Value();
    auto type = cast<RankedTensorType>(weight.getType()).clone(narrow);
    AsmResourceBlob blob =
        HeapAsmResourceBlob::allocate(values->size() * sizeof(uint16_t), alignof(uint16_t));
    auto *bits = reinterpret_cast<uint16_t *>(blob.getMutableData().data());
    bool half = narrow.isF16();
    for (size_t i = 0; i < values->size(); ++i)
      bits[i] = half ? toHalf((*values)[i]) : toBfloat16((*values)[i]);
    OpBuilder b(weight.getDefiningOp());
    b.setInsertionPointAfter(weight.getDefiningOp());
    auto attr = DenseResourceElementsAttr::get(type, half ? "weight_fp16" : "weight_bf16",
                                               std::move(blob));
    return arith::ConstantOp::create(b, weight.getLoc(), attr);
  }
};

} // namespace

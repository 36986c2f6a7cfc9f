//===- LowerBf16Mma.cpp - bf16 warp products to NVVM ----------------------===//
//
// The tensor-core matmul kernel writes its products as nvgpu.mma.sync for
// fp16 and bf16 alike; upstream's nvgpu-to-nvvm conversion takes the fp16
// form only. The bf16 instruction has the same fragment layout, with each
// pair of bf16 values passed as one 32-bit register: this pass builds it.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/MmaSyncLayout.h"
#include "compiler/gpu/Passes.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace attnc::gpu {
#define GEN_PASS_DEF_GPULOWERBF16MMAPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;
namespace mma = attnc::gpu::mma;

namespace {

bool isBf16Product(nvgpu::MmaSyncOp op) {
  auto a = cast<VectorType>(op.getMatrixA().getType());
  auto b = cast<VectorType>(op.getMatrixB().getType());
  auto c = cast<VectorType>(op.getMatrixC().getType());
  return a.getElementType().isBF16() && b.getElementType().isBF16() &&
         c.getElementType().isF32();
}

/// Each row of `fragment` (vector<R x 2 x bf16>) as one i32 register.
SmallVector<Value> packedRegisters(OpBuilder &b, Location loc, Value fragment) {
  auto type = cast<VectorType>(fragment.getType());
  SmallVector<Value> registers;
  for (int64_t reg = 0; reg < type.getDimSize(0); ++reg) {
    Value pair = vector::ExtractOp::create(b, loc, fragment, ArrayRef<int64_t>{reg});
    Value packed = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), pair);
    registers.push_back(vector::ExtractOp::create(b, loc, packed, ArrayRef<int64_t>{0}));
  }
  return registers;
}

LogicalResult lower(nvgpu::MmaSyncOp op) {
  std::array<int64_t, 3> shape = op.getMmaShapeAsArray();
  if (shape != std::array<int64_t, 3>{mma::kM, mma::kN, mma::kK} ||
      cast<VectorType>(op.getMatrixA().getType()).getShape() !=
          ArrayRef<int64_t>{mma::kARegisters, mma::kPerRegister} ||
      cast<VectorType>(op.getMatrixB().getType()).getShape() !=
          ArrayRef<int64_t>{mma::kBRegisters, mma::kPerRegister} ||
      cast<VectorType>(op.getMatrixC().getType()).getShape() !=
          ArrayRef<int64_t>{mma::kCRegisters, mma::kPerRegister})
    return op.emitOpError("gpu-lower-bf16-mma takes m16n8k16 products of vector<4x2xbf16> and "
                          "vector<2x2xbf16> into vector<2x2xf32>");
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Value> accumulators;
  for (int64_t reg = 0; reg < mma::kCRegisters; ++reg)
    for (int64_t e = 0; e < mma::kPerRegister; ++e)
      accumulators.push_back(
          vector::ExtractOp::create(b, loc, op.getMatrixC(), ArrayRef<int64_t>{reg, e}));
  Type f32 = b.getF32Type();
  auto resultType = LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  auto product = NVVM::MmaOp::create(
      b, loc, resultType, packedRegisters(b, loc, op.getMatrixA()),
      packedRegisters(b, loc, op.getMatrixB()), accumulators,
      ArrayRef<int64_t>{mma::kM, mma::kN, mma::kK}, std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row, NVVM::MMALayout::col});
  SmallVector<Value> sums;
  for (int64_t i = 0; i < mma::kCRegisters * mma::kPerRegister; ++i)
    sums.push_back(LLVM::ExtractValueOp::create(b, loc, product, ArrayRef<int64_t>{i}));
  Value result =
      vector::FromElementsOp::create(b, loc, cast<VectorType>(op.getRes().getType()), sums);
  op.getRes().replaceAllUsesWith(result);
  op.erase();
  return success();
}

struct GpuLowerBf16MmaPass
    : public attnc::gpu::impl::GpuLowerBf16MmaPassBase<GpuLowerBf16MmaPass> {
  void runOnOperation() override {
    SmallVector<nvgpu::MmaSyncOp> products;
    getOperation().walk([&](nvgpu::MmaSyncOp op) {
      if (isBf16Product(op))
        products.push_back(op);
    });
    for (nvgpu::MmaSyncOp op : products)
      if (failed(lower(op)))
        return signalPassFailure();
  }
};

} // namespace

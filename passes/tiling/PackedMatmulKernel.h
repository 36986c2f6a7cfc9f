//===- PackedMatmulKernel.h - Register-tiled matmul on packed weights -*- C++ -*-===//

#ifndef ATTNC_PASSES_TILING_PACKEDMATMULKERNEL_H
#define ATTNC_PASSES_TILING_PACKEDMATMULKERNEL_H

#include "dialects/attn/AttnAttrs.h"
#include "dialects/attn/AttnOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn::tiling {

/// The f32 values of a constant, if `value` is one with readable values
/// (a dense_resource blob, read in place, or dense elements, copied into
/// `storage`), also seen through tensor.collapse_shape.
std::optional<ArrayRef<float>> constantFloats(Value value, SmallVectorImpl<float> &storage);

/// Whether `op` is one of the contractions attn-tile-matmul runs on this
/// kernel: attn.linear, attn.matmul, or an attn.conv that runs as a matmul
/// (convRunsAsMatmul). cpu-choose-tilings tags exactly these, so the two
/// passes cannot disagree on which ops get a kernel.
bool runsOnMatmulKernel(Operation *op);

/// How attn-tile-matmul runs each contraction out[M, N] = a[M, K] · w[K, N]
/// (+ bias): what the cost model (chooseMatmulKernel) decides for a target
/// and the pass's options carry.
struct MatmulKernelShape {
  /// f32 lanes per vector register; 0: no kernel (matmuls stay linalg).
  int64_t vectorWidth = 0;
  /// The register tile: `registerRows` rows of `a` by `registerColumnVectors`
  /// vectors of columns (one packed panel is that many vectors wide).
  int64_t registerRows = 6;
  int64_t registerColumnVectors = 4;
  /// Rows of the output one parallel task computes.
  int64_t taskRows = 128;
  /// About how many parallel tasks to make: row blocks times groups of
  /// panels (a few per core balance the threads; fewer, larger groups
  /// reuse each block of the input more).
  int64_t tasks = 16;
  /// Steps of the reduction per pass over a task's rows: each k-block
  /// reloads the strips' partial sums, and the task's taskRows x kBlock
  /// block of the input should stay in L2 meanwhile.
  int64_t kBlock = 128;
  /// Panels of a task's group finished (all k-blocks) before the next
  /// ones start, so their partial sums stay in L2 between k-blocks; 0:
  /// the whole group at once.
  int64_t chunkPanels = 0;
};

/// The shape recorded in an #attn.matmul_tiling, and back.
MatmulKernelShape kernelShapeOf(MatmulTilingAttr attr);
MatmulTilingAttr matmulTilingAttrOf(MLIRContext *context, const MatmulKernelShape &shape);

/// An activation applied to the finished sums (after bias and residual).
enum class MatmulActivation { none, gelu, geluTanh };

/// The operands of one contraction, already 2-D where it matters: `input`
/// [M, K] (f32), `weight` [K, N] or, with `transposed`, [N, K], an
/// optional `bias` [N] and an optional `residual` [M, N] added to the
/// product (a transformer block's skip connection), then `activation`.
struct MatmulOperands {
  Value input, weight, bias, residual;
  bool transposed = false;
  MatmulActivation activation = MatmulActivation::none;
};

/// Builds out[M, N] = activation(input · weight + bias + residual) (the
/// result value, a tensor of exactly [M, N]) at the rewriter's insertion point, in the register-tiled
/// form described in PackedMatmulKernel.cpp. A constant `weight` is packed
/// at compile time into a new resource blob; any other is packed by a loop
/// that runs before the product.
Value buildPackedMatmul(RewriterBase &rewriter, Location loc, const MatmulOperands &operands,
                        const MatmulKernelShape &shape);

} // namespace mlir::attn::tiling

#endif // ATTNC_PASSES_TILING_PACKEDMATMULKERNEL_H

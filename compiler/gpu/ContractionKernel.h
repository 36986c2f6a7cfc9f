//===- ContractionKernel.h - What the matmul kernels share -------*- C++ -*-===//
//
// gpu-lower-contractions writes a contraction as one of two kernels: the
// fp32 one on CUDA cores (LowerContractions.cpp) and the tensor-core one
// for products with an fp16/bf16 weight (TensorCoreKernel.cpp). Both read
// operands through the op's indexing maps, stage slices of A and B in
// shared memory (zeros past the edges), start the accumulators at the
// values the output's initializer would have written, and store through
// the folded epilogue. This is that common part.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_GPU_CONTRACTIONKERNEL_H
#define ATTNC_COMPILER_GPU_CONTRACTIONKERNEL_H

#include "compiler/gpu/ContractionFolds.h"
#include "compiler/gpu/KernelBuilder.h"
#include "mlir/IR/IRMapping.h"

namespace attnc::gpu {

class ContractionKernelBuilder : protected KernelBuilder {
protected:
  /// The loop extents are read at the builder's insertion point, before
  /// the launch: run-time ones (`--max-shape`) from the operands.
  ContractionKernelBuilder(mlir::OpBuilder &b, mlir::Location loc, const Contraction &c,
                           mlir::Operation *initializer, std::optional<Epilogue> epilogue);

  /// A loop dim's size when static (ShapedType::kDynamic if not): what
  /// plans; extent() is what indexes.
  int64_t size(unsigned dim) const { return c.sizes[dim]; }
  /// The extent of loop dim `dim` in this run, or the product of those of
  /// `dims`: constants when static.
  mlir::Value extent(unsigned dim) { return extents[dim]; }
  mlir::Value extent(llvm::ArrayRef<unsigned> dims) {
    mlir::Value total = index(1);
    for (unsigned d : dims)
      total = mul(total, extents[d]);
    return total;
  }
  mlir::Value batches() { return extent(c.dims.batch); }

  /// A launch with one block of `threads` threads per tileM x tileN tile of
  /// the output (grid x over the n dims, y over the m dims, z over the
  /// batch), with `shared` workgroup buffers; the builder's insertion point
  /// goes to the start of its body.
  mlir::gpu::LaunchOp launchOverTiles(int64_t tileM, int64_t tileN, int64_t threads,
                                      mlir::TypeRange shared);

  /// Where a block of launchOverTiles starts: loop positions with the
  /// batch dims set (the others 0), and its tile's first row and column
  /// (linear over the m and the n dims).
  struct TileOrigin {
    llvm::SmallVector<mlir::Value> loops;
    mlir::Value firstM, firstN;
  };
  TileOrigin tileOrigin(mlir::gpu::LaunchOp launch, int64_t tileM, int64_t tileN);

  /// Sets `loops` at `dims` from their linear index `linear` (the last dim
  /// fastest).
  void delinearize(llvm::SmallVectorImpl<mlir::Value> &loops, llvm::ArrayRef<unsigned> dims,
                   mlir::Value linear);

  /// The indices into an operand of `map` with loop dim d at `loops[d]`.
  llvm::SmallVector<mlir::Value> indicesFor(mlir::AffineMap map, llvm::ArrayRef<mlir::Value> loops);

  /// `value` as float `type`: extended, rounded, or as it is.
  mlir::Value convert(mlir::Value value, mlir::Type type);

  /// operand[...] at the loop position `loops` as `type` (an fp16/bf16
  /// weight extended, an f32 activation rounded for the tensor cores), or
  /// 0 when `inside` is false.
  mlir::Value loadOrZero(mlir::Value operand, mlir::AffineMap map,
                         llvm::ArrayRef<mlir::Value> loops, mlir::Value inside, mlir::Type type);

  /// `generic`'s value at its loop position `at`: its inputs loaded there
  /// (`given` instead for the input `givenFor`, if any), its body cloned at
  /// the builder's insertion point.
  mlir::Value applyBody(mlir::linalg::GenericOp generic, llvm::ArrayRef<mlir::Value> at,
                        mlir::OpOperand *givenFor = nullptr, mlir::Value given = mlir::Value());

  /// The value output element (row, column) starts at: what the
  /// initializer writes there, or what the output holds (the contraction
  /// adds to it); 0 outside the output. `loops` holds the batch position.
  mlir::Value startValue(llvm::ArrayRef<mlir::Value> loops, mlir::Value row, mlir::Value column);

  /// Stores output element (row, column)'s sum, through the epilogue if
  /// one was folded in; nothing outside the output.
  void storeResult(llvm::ArrayRef<mlir::Value> loops, mlir::Value row, mlir::Value column,
                   mlir::Value sum);

  /// Stages the block's slice of `operand` (rows x cols, rows the linear
  /// index over loop dims `rowDims` from `rowStart`, columns over `colDims`
  /// from `colStart`) into `tile` at [row][col], or at [col][row] when
  /// `transposed`, converted to the tile's element type; `threads` threads
  /// from `thread`, each every threads-th element.
  void stage(mlir::Value operand, mlir::AffineMap map, mlir::Value tile, int64_t rows,
             int64_t cols, llvm::ArrayRef<unsigned> rowDims, mlir::Value rowStart,
             llvm::ArrayRef<unsigned> colDims, mlir::Value colStart,
             llvm::SmallVector<mlir::Value> loops, mlir::Value thread, int64_t threads,
             bool transposed = false);

  /// Whether a slice of `operand` is read along its rows (its contiguous
  /// dim is the last of `rowDims`), not along its columns.
  bool alongRows(mlir::Value operand, mlir::AffineMap map, llvm::ArrayRef<unsigned> rowDims) {
    return contiguousDim(operand, map) == rowDims.back();
  }

  /// (row, column) in a rows x cols slice of its element number `e`.
  std::pair<mlir::Value, mlir::Value> sliceElement(mlir::Value e, int64_t rows, int64_t cols,
                                                   bool alongRows);
  /// Element (r, col) of the slice of `operand` whose rows start at
  /// `rowStart` over `rowDims` and columns at `colStart` over `colDims`,
  /// as `type`; 0 past the operand's edges.
  mlir::Value loadSliceElement(mlir::Value operand, mlir::AffineMap map, mlir::Type type,
                               mlir::Value r, mlir::Value col, llvm::ArrayRef<unsigned> rowDims,
                               mlir::Value rowStart, llvm::ArrayRef<unsigned> colDims,
                               mlir::Value colStart, llvm::SmallVector<mlir::Value> loops);

  /// The loop dim that indexes `operand`'s contiguous (stride 1) memory
  /// dim through `map`, unit dims skipped; none if unknown.
  std::optional<unsigned> contiguousDim(mlir::Value operand, mlir::AffineMap map);

  const Contraction &c;
  mlir::Operation *initializer;
  std::optional<Epilogue> epilogue;
  /// Each loop dim's extent (index values defined before the launch).
  llvm::SmallVector<mlir::Value> extents;
};

/// The tensor-core kernel for `c` (one of whose inputs is fp16 or bf16),
/// written at the builder's insertion point.
void buildTensorCoreContraction(mlir::OpBuilder &b, mlir::Location loc, const Contraction &c,
                                mlir::Operation *initializer, std::optional<Epilogue> epilogue);

/// The element type the tensor-core kernel multiplies in for `c` (its
/// fp16/bf16 input's), or null if it takes f32 operands only.
mlir::Type narrowOperandType(const Contraction &c);

} // namespace attnc::gpu

#endif // ATTNC_COMPILER_GPU_CONTRACTIONKERNEL_H

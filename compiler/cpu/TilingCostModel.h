//===- TilingCostModel.h - How to tile attn.sdpa and matmuls on a CPU -*- C++ -*-===//
//
// A small, explicit model: register tile from the register file, blocks
// from the caches and the core count, kv splits for decode shapes.
// Command-line choices override it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_COMPILER_CPU_TILINGCOSTMODEL_H
#define ATTNC_COMPILER_CPU_TILINGCOSTMODEL_H

#include "compiler/TargetDescription.h"
#include "passes/SdpaTiling.h"
#include "passes/tiling/PackedMatmulKernel.h"
#include <optional>
#include <string>
#include <vector>

namespace attnc {

/// `--attention-kernel`: let the cost model pick, or force one kernel.
enum class AttentionKernel { Auto, Vector, Portable };

/// Command-line choices that override the cost model: --attention-kernel,
/// --q-block, --kv-block (unset: the model picks).
struct TilingFlags {
  AttentionKernel kernel = AttentionKernel::Auto;
  std::optional<int64_t> qBlock, kvBlock;

  bool setsBlocks() const { return qBlock || kvBlock; }
};

/// What the caller asks of the cost model: the flags, and what
/// attn-tile-sdpa can do today.
struct TilingRequest {
  TilingFlags flags;
  /// Whether attn-tile-sdpa has the register-tiled vector kernel and the
  /// flash-decoding split; without them the model records vector width 0
  /// and one kv split, and its reason says what it would have picked.
  bool vectorKernelAvailable = true;
  bool kvSplitsAvailable = true;
  /// The lengths a run-time query or key length (a `?` dim) is taken to
  /// have when choosing: the size class the tiling is for
  /// (cpu-choose-tilings sets them from the model's bounds where it has
  /// them).
  int64_t assumedQueries = 1024, assumedKeys = 1024;
};

struct TilingChoice {
  /// What to record on the op (unused when `decompose`).
  mlir::attn::SdpaTiling tiling;
  /// Run the op unfused (attn-decompose-sdpa) instead of tiling it. The
  /// model never sets it today: the unfused path was not measured faster
  /// anywhere (bench/RESULTS.md, "Tiled or unfused").
  bool decompose = false;
  /// One line: what was chosen and why.
  std::string reason;
  /// Set when a request cannot be honoured; names the flag. The rest of
  /// the choice is then meaningless.
  std::string error;
  /// Flags that were adjusted (clamped to
  /// the shape) or that will be slow; one line each, naming the flag.
  std::vector<std::string> warnings;
};

/// Picks the tiling of a static-shaped `op` on `target`.
TilingChoice chooseSdpaTiling(mlir::attn::SdpaOp op, const TargetDescription &target,
                              const TilingRequest &request = {});

/// The vector kernel's register tile: `rows` query rows by `columns`
/// vectors of columns.
struct RegisterTile {
  int64_t rows, columns;
};

/// The register tile with the most FMAs per load (rows * columns FMAs per
/// rows broadcasts + columns loads) whose accumulators, column vectors and
/// one broadcast fit in `registers`, with `columns` dividing
/// `valueVectors` (Dv in vectors: p·v then has no column remainder) and at
/// most `maxRows` rows; ties go to more accumulators.
RegisterTile chooseRegisterTile(int64_t registers, int64_t valueVectors, int64_t fmaUnits,
                                int64_t maxRows);

/// attn-tile-matmul's kernel for `target`: f32 lanes per vector (0 when
/// the target has no vector FMA the kernel uses); the register tile
/// (8x3 on AVX-512 unless the product's `columns` (N; 0: unknown) would
/// pad its 48-wide panels by over 5 % more than 32-wide ones; elsewhere
/// panels of 2 vectors, up to 12 rows: 12x2 on 32 registers, 6x2 on 16);
/// k-blocks whose 128 task rows take a quarter of L2; tasks of 128 rows,
/// two per core (16 when the core count is unknown).
mlir::attn::tiling::MatmulKernelShape chooseMatmulKernel(const TargetDescription &target,
                                                         int64_t columns = 0);

/// Bytes of the f32 tiles one thread keeps live for a qBlock x kvBlock
/// step: q (qBlock x D), scores (qBlock x kvBlock), accumulator
/// (qBlock x Dv), K (kvBlock x D) and V (kvBlock x Dv).
int64_t sdpaWorkingSetBytes(int64_t qBlock, int64_t kvBlock, int64_t headDim,
                            int64_t valueDim);

} // namespace attnc

#endif // ATTNC_COMPILER_CPU_TILINGCOSTMODEL_H

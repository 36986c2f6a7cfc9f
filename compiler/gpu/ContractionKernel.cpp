//===- ContractionKernel.cpp - What the matmul kernels share --------------===//

#include "compiler/gpu/ContractionKernel.h"

using namespace mlir;

namespace attnc::gpu {

ContractionKernelBuilder::ContractionKernelBuilder(OpBuilder &b, Location loc,
                                                   const Contraction &c, Operation *initializer,
                                                   std::optional<Epilogue> epilogue)
    : KernelBuilder(b, loc), c(c), initializer(initializer), epilogue(epilogue) {
  for (Range range : linalg::LinalgOp(c.op).createLoopRanges(b, loc))
    extents.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
}

mlir::gpu::LaunchOp ContractionKernelBuilder::launchOverTiles(int64_t tileM, int64_t tileN,
                                                             int64_t threads, TypeRange shared) {
  Value one = index(1);
  auto launch = mlir::gpu::LaunchOp::create(
      b, loc, b.createOrFold<arith::CeilDivUIOp>(loc, extent(c.dims.n), index(tileN)),
      b.createOrFold<arith::CeilDivUIOp>(loc, extent(c.dims.m), index(tileM)), batches(),
      index(threads), one, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      /*asyncDependencies=*/ValueRange{}, shared);
  b.setInsertionPointToStart(&launch.getBody().front());
  return launch;
}

ContractionKernelBuilder::TileOrigin
ContractionKernelBuilder::tileOrigin(mlir::gpu::LaunchOp launch, int64_t tileM, int64_t tileN) {
  TileOrigin origin;
  origin.loops.assign(c.sizes.size(), index(0));
  if (!c.dims.batch.empty())
    delinearize(origin.loops, c.dims.batch, launch.getBlockIds().z);
  origin.firstM = mul(launch.getBlockIds().y, index(tileM));
  origin.firstN = mul(launch.getBlockIds().x, index(tileN));
  return origin;
}

void ContractionKernelBuilder::delinearize(SmallVectorImpl<Value> &loops, ArrayRef<unsigned> dims,
                                           Value linear) {
  for (unsigned d : llvm::reverse(dims)) {
    if (d == dims.front()) {
      loops[d] = linear;
      break;
    }
    loops[d] = b.createOrFold<arith::RemUIOp>(loc, linear, extent(d));
    linear = b.createOrFold<arith::DivUIOp>(loc, linear, extent(d));
  }
}

SmallVector<Value> ContractionKernelBuilder::indicesFor(AffineMap map, ArrayRef<Value> loops) {
  SmallVector<Value> indices;
  for (AffineExpr e : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(e))
      indices.push_back(loops[dim.getPosition()]);
    else
      indices.push_back(index(cast<AffineConstantExpr>(e).getValue()));
  }
  return indices;
}

Value ContractionKernelBuilder::convert(Value value, Type type) {
  unsigned from = value.getType().getIntOrFloatBitWidth(), to = type.getIntOrFloatBitWidth();
  if (from < to)
    return arith::ExtFOp::create(b, loc, type, value);
  if (from > to)
    return arith::TruncFOp::create(b, loc, type, value);
  return value;
}

Value ContractionKernelBuilder::loadOrZero(Value operand, AffineMap map, ArrayRef<Value> loops,
                                           Value inside, Type type) {
  auto load = scf::IfOp::create(b, loc, type, inside, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(load.thenBlock());
  Value loaded = memref::LoadOp::create(b, loc, operand, indicesFor(map, loops));
  scf::YieldOp::create(b, loc, convert(loaded, type));
  b.setInsertionPointToStart(load.elseBlock());
  scf::YieldOp::create(b, loc,
                       ValueRange{arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 0.0))});
  return load.getResult(0);
}

Value ContractionKernelBuilder::applyBody(linalg::GenericOp generic, ArrayRef<Value> at,
                                          OpOperand *givenFor, Value given) {
  IRMapping mapping;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    Value value = input == givenFor
                      ? given
                      : memref::LoadOp::create(
                            b, loc, input->get(),
                            indicesFor(generic.getMatchingIndexingMap(input), at))
                            .getResult();
    mapping.map(generic.getMatchingBlockArgument(input), value);
  }
  for (Operation &inner : generic.getBlock()->without_terminator()) {
    if (auto position = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(position.getResult(), at[position.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
  auto yield = cast<linalg::YieldOp>(generic.getBlock()->getTerminator());
  return mapping.lookupOrDefault(yield.getOperand(0));
}

Value ContractionKernelBuilder::startValue(ArrayRef<Value> loops, Value row, Value column) {
  SmallVector<Value> at(loops);
  delinearize(at, c.dims.m, row);
  delinearize(at, c.dims.n, column);
  Value inside = arith::AndIOp::create(b, loc, lessThan(row, extent(c.dims.m)),
                                       lessThan(column, extent(c.dims.n)));
  if (!initializer)
    return loadOrZero(c.out, c.mapC, at, inside, b.getF32Type());
  if (auto fill = dyn_cast<linalg::FillOp>(initializer))
    return fill.getInputs()[0];
  // The initializer writes the output whole through an identity map: its
  // loop position is the output's indices.
  auto value = scf::IfOp::create(b, loc, b.getF32Type(), inside, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(value.thenBlock());
  scf::YieldOp::create(
      b, loc, applyBody(cast<linalg::GenericOp>(initializer), indicesFor(c.mapC, at)));
  b.setInsertionPointToStart(value.elseBlock());
  scf::YieldOp::create(b, loc, f32(0.0f));
  return value.getResult(0);
}

void ContractionKernelBuilder::storeResult(ArrayRef<Value> loops, Value row, Value column,
                                           Value sum) {
  SmallVector<Value> at(loops);
  delinearize(at, c.dims.m, row);
  delinearize(at, c.dims.n, column);
  Value inside = arith::AndIOp::create(b, loc, lessThan(row, extent(c.dims.m)),
                                       lessThan(column, extent(c.dims.n)));
  auto store = scf::IfOp::create(b, loc, inside, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(store.thenBlock()->getTerminator());
  SmallVector<Value> indices = indicesFor(c.mapC, at);
  if (!epilogue) {
    memref::StoreOp::create(b, loc, sum, c.out, indices);
    return;
  }
  // The epilogue's loops are the output's indices (it reads the sums at
  // the same elements); its value goes where it wrote.
  memref::StoreOp::create(b, loc, applyBody(epilogue->op, indices, epilogue->sums, sum),
                          epilogue->op.getDpsInitOperand(0)->get(), indices);
}

std::pair<Value, Value> ContractionKernelBuilder::sliceElement(Value e, int64_t rows,
                                                               int64_t cols, bool alongRows) {
  if (alongRows)
    return {b.createOrFold<arith::RemUIOp>(loc, e, index(rows)),
            b.createOrFold<arith::DivUIOp>(loc, e, index(rows))};
  return {b.createOrFold<arith::DivUIOp>(loc, e, index(cols)),
          b.createOrFold<arith::RemUIOp>(loc, e, index(cols))};
}

Value ContractionKernelBuilder::loadSliceElement(Value operand, AffineMap map, Type type, Value r,
                                                 Value col, ArrayRef<unsigned> rowDims,
                                                 Value rowStart, ArrayRef<unsigned> colDims,
                                                 Value colStart, SmallVector<Value> loops) {
  Value row = add(rowStart, r), column = add(colStart, col);
  Value inside = arith::AndIOp::create(b, loc, lessThan(row, extent(rowDims)),
                                       lessThan(column, extent(colDims)));
  // Past the edges the indices wrap inside the operand; the load is
  // skipped anyway.
  delinearize(loops, rowDims, row);
  delinearize(loops, colDims, column);
  // Without a branch: each index clamped into the operand, the value
  // replaced by 0 outside (one select; per-element branches kept every
  // element's address alive across the products).
  // Only the row and column dims can run past the edge (batch dims come
  // from the grid).
  // The operand's dim is the loop dim's extent (a run-time one read
  // before the launch).
  SmallVector<Value> indices = indicesFor(map, loops);
  for (auto [d, position] : llvm::enumerate(indices)) {
    auto dim = dyn_cast<AffineDimExpr>(map.getResult(d));
    if (dim && (llvm::is_contained(rowDims, dim.getPosition()) ||
                llvm::is_contained(colDims, dim.getPosition())))
      position = minIdx(position, sub(extent(dim.getPosition()), index(1)));
  }
  Value loaded = convert(memref::LoadOp::create(b, loc, operand, indices), type);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 0.0));
  return arith::SelectOp::create(b, loc, inside, loaded, zero);
}

void ContractionKernelBuilder::stage(Value operand, AffineMap map, Value tile, int64_t rows,
                                     int64_t cols, ArrayRef<unsigned> rowDims, Value rowStart,
                                     ArrayRef<unsigned> colDims, Value colStart,
                                     SmallVector<Value> loops, Value thread, int64_t threads,
                                     bool transposed) {
  Type element = cast<MemRefType>(tile.getType()).getElementType();
  // Neighbouring threads take neighbouring elements of the operand's
  // contiguous dim, so a warp's loads coalesce: along the tile's columns,
  // or along its rows when the operand is stored that way (an
  // nn.Linear weight [n][k] staged as k rows of n columns).
  bool rowwise = alongRows(operand, map, rowDims);
  forEach(thread, index(rows * cols), index(threads), [&](Value e) {
    auto [r, col] = sliceElement(e, rows, cols, rowwise);
    Value value = loadSliceElement(operand, map, element, r, col, rowDims, rowStart, colDims,
                                   colStart, loops);
    memref::StoreOp::create(b, loc, value, tile,
                            transposed ? ValueRange{col, r} : ValueRange{r, col});
  });
}

std::optional<unsigned> ContractionKernelBuilder::contiguousDim(Value operand, AffineMap map) {
  auto type = cast<MemRefType>(operand.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return std::nullopt;
  for (unsigned d = type.getRank(); d-- > 0;) {
    if (type.getDimSize(d) == 1)
      continue; // a unit dim's stride says nothing
    if (strides[d] != 1)
      return std::nullopt;
    if (auto dim = dyn_cast<AffineDimExpr>(map.getResult(d)))
      return dim.getPosition();
    return std::nullopt;
  }
  return std::nullopt;
}

Type narrowOperandType(const Contraction &c) {
  for (Value operand : {c.a, c.b}) {
    Type element = cast<MemRefType>(operand.getType()).getElementType();
    if (element.isF16() || element.isBF16())
      return element;
  }
  return nullptr;
}

} // namespace attnc::gpu

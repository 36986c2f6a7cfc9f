//===- ReductionLoops.cpp - Row reductions as vectorizable loops ---------===//
//
// linalg's own loop lowering (convert-linalg-to-loops) reads and writes a
// reduction's accumulator through memory on every step: `out[i] =
// out[i] + x[i, k]` with a load and a store per element. LLVM can neither
// keep that accumulator in a register (it cannot prove `out` and `x`
// apart) nor vectorize the sum (it may not reorder float additions
// unasked),
// so a LayerNorm's mean and variance, an RMSNorm's mean square, ran as
// scalar loops of one dependent add after another. This pass lowers such
// reductions itself: the accumulator is loaded once, carried through the
// innermost loop as a value, and stored once; the operations that combine
// it with each element are marked `reassoc`, so LLVM may split the sum
// into vector lanes (the result then depends on the vector width, within
// float rounding).
//
//===----------------------------------------------------------------------===//

#include "compiler/cpu/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace attnc::cpu {
#define GEN_PASS_DEF_CPUREDUCTIONLOOPSPASS
#include "compiler/cpu/Passes.h.inc"
} // namespace attnc::cpu

using namespace mlir;

namespace {

/// Whether `map` picks loop dims or the constant 0 (a broadcast unit dim)
/// for every result: an access the loops can index directly.
bool isDirectAccess(AffineMap map) {
  return llvm::all_of(map.getResults(), [](AffineExpr e) {
    if (isa<AffineDimExpr>(e))
      return true;
    auto constant = dyn_cast<AffineConstantExpr>(e);
    return constant && constant.getValue() == 0;
  });
}

/// Whether `op` is a reduction this pass lowers: on buffers, every loop
/// parallel but the innermost, which reduces into the one output (whose
/// map does not read it); every access direct.
bool isRowReduction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 || op.getNumLoops() < 1)
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (size_t d = 0; d + 1 < iterators.size(); ++d)
    if (iterators[d] != utils::IteratorType::parallel)
      return false;
  if (iterators.back() != utils::IteratorType::reduction)
    return false;
  unsigned innermost = op.getNumLoops() - 1;
  AffineMap outputMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outputMap.isFunctionOfDim(innermost))
    return false;
  return llvm::all_of(op.getIndexingMapsArray(), isDirectAccess) &&
         op.getBody()->getOps<linalg::IndexOp>().empty();
}

/// The indices of an access through `map` at loop indices `ivs`.
SmallVector<Value> accessIndices(OpBuilder &b, Location loc, AffineMap map, ValueRange ivs) {
  SmallVector<Value> indices;
  for (AffineExpr e : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(e))
      indices.push_back(ivs[dim.getPosition()]);
    else
      indices.push_back(arith::ConstantIndexOp::create(b, loc, 0));
  }
  return indices;
}

/// Marks the float ops of the body that combine the accumulator (those
/// that depend on it) reassociable, so the sum may be split into lanes.
void allowReassociation(Block &body, Value accumulator) {
  llvm::SmallPtrSet<Value, 8> dependent{accumulator};
  for (Operation &op : body) {
    if (!llvm::any_of(op.getOperands(), [&](Value v) { return dependent.contains(v); }))
      continue;
    for (Value result : op.getResults())
      dependent.insert(result);
    if (auto fastMath = dyn_cast<arith::ArithFastMathInterface>(op))
      op.setAttr(fastMath.getFastMathAttrName(),
                 arith::FastMathFlagsAttr::get(op.getContext(),
                                               fastMath.getFastMathFlagsAttr().getValue() |
                                                   arith::FastMathFlags::reassoc));
  }
}

/// Lowers `op` (isRowReduction) to scf.for loops whose innermost carries
/// the accumulator.
void lowerRowReduction(linalg::GenericOp op) {
  OpBuilder builder(op);
  Location loc = op.getLoc();
  SmallVector<Range, 4> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(builder, loc);
  auto bound = [&](OpFoldResult v) { return getValueOrCreateConstantIndexOp(builder, loc, v); };
  SmallVector<Value> lbs, ubs, steps;
  for (Range range : ranges) {
    lbs.push_back(bound(range.offset));
    ubs.push_back(bound(range.size));
    steps.push_back(bound(range.stride));
  }
  size_t outer = ranges.size() - 1;
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap outputMap = op.getMatchingIndexingMap(init);
  scf::buildLoopNest(
      builder, loc, ArrayRef(lbs).take_front(outer), ArrayRef(ubs).take_front(outer),
      ArrayRef(steps).take_front(outer), [&](OpBuilder &b, Location at, ValueRange outerIvs) {
        SmallVector<Value> ivs(outerIvs);
        ivs.push_back(Value()); // the reduction index, inside the loop below
        SmallVector<Value> outIndices = accessIndices(b, at, outputMap, ivs);
        Value start = memref::LoadOp::create(b, at, init->get(), outIndices);
        auto loop = scf::ForOp::create(
            b, at, lbs.back(), ubs.back(), steps.back(), ValueRange{start},
            [&](OpBuilder &inner, Location in, Value k, ValueRange carried) {
              ivs.back() = k;
              IRMapping mapping;
              Block *body = op.getBody();
              for (OpOperand *input : op.getDpsInputOperands()) {
                // A scalar input (not a buffer) is its own element.
                Value element = input->get();
                if (isa<MemRefType>(element.getType()))
                  element = memref::LoadOp::create(
                      inner, in, element,
                      accessIndices(inner, in, op.getMatchingIndexingMap(input), ivs));
                mapping.map(body->getArgument(input->getOperandNumber()), element);
              }
              mapping.map(body->getArgument(init->getOperandNumber()), carried.front());
              for (Operation &bodyOp : body->without_terminator())
                inner.clone(bodyOp, mapping);
              auto yield = cast<linalg::YieldOp>(body->getTerminator());
              scf::YieldOp::create(inner, in, mapping.lookup(yield.getValues().front()));
            });
        allowReassociation(*loop.getBody(), loop.getRegionIterArgs().front());
        memref::StoreOp::create(b, at, loop.getResult(0), init->get(), outIndices);
      });
  op.erase();
}

struct CpuReductionLoopsPass
    : attnc::cpu::impl::CpuReductionLoopsPassBase<CpuReductionLoopsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> reductions;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isRowReduction(op))
        reductions.push_back(op);
    });
    for (linalg::GenericOp op : reductions)
      lowerRowReduction(op);
  }
};

} // namespace

//===- MergeProjections.cpp - One product for projections of one input ---===//
//
// Attention projects the same hidden states three times (q, k, v) and a
// gated feed-forward twice (gate, up), each with its own constant weight.
// Concatenating those weights along their output columns makes one product
// [..., K] x [K, N1 + N2 + ...]: the input is read and the weights stream
// once, one parallel loop runs instead of several, and the wider N splits
// better over threads. Each former projection becomes a slice of the
// merged result's last dim (a view; later passes copy only where a kernel
// needs a dense tensor).
//
// Both exported forms merge: `attn.linear` (Gemm, with its bias operand)
// and `attn.matmul` by a 2-D constant followed by an `attn.add` of an [N]
// constant bias (nn.Linear on 3-D activations, as torch exports it).
//
//===----------------------------------------------------------------------===//

#include "passes/MatchFailureRemarks.h"
#include "passes/Passes.h"
#include "passes/Transforms.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNMERGEPROJECTIONSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// One projection of an input: `product` (attn.matmul or attn.linear) by a
/// constant 2-D weight, with an optional constant [N] bias (the linear's
/// operand, or the `biasAdd` that is the matmul's only use).
struct Projection {
  Operation *product = nullptr;
  Value input;
  ElementsAttr weight;
  ElementsAttr bias;
  AddOp biasAdd;
  bool transposedWeight = false;
  /// K and N of the product.
  int64_t depth = 0, columns = 0;

  /// The value the rest of the graph reads (the bias add's, if any).
  Value result() const {
    return biasAdd ? biasAdd->getResult(0) : product->getResult(0);
  }

  /// Projections merge only with the same form: same op, weight layout,
  /// element type, K, and bias presence.
  bool mergesWith(const Projection &other) const {
    return product->getName() == other.product->getName() &&
           transposedWeight == other.transposedWeight && depth == other.depth &&
           weight.getElementType() == other.weight.getElementType() &&
           bool(bias) == bool(other.bias);
  }
};

/// The attribute of a constant `value`, if it is a 2-D float matrix.
ElementsAttr constantMatrix(Value value) {
  ElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return {};
  auto type = dyn_cast<RankedTensorType>(attr.getType());
  if (!type || type.getRank() != 2 || !type.hasStaticShape() ||
      !isa<FloatType>(type.getElementType()))
    return {};
  return attr;
}

/// The attribute of a constant `value` of shape [columns], if it is one.
ElementsAttr constantVector(Value value, int64_t columns) {
  ElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return {};
  auto type = dyn_cast<RankedTensorType>(attr.getType());
  if (!type || type.getShape() != ArrayRef<int64_t>{columns})
    return {};
  return attr;
}

/// The bias add reading `product` as its only use, with an [N] constant
/// other operand (either side), or null.
AddOp biasAddOf(Operation *product, int64_t columns, ElementsAttr &bias) {
  if (!product->hasOneUse())
    return {};
  auto add = dyn_cast<AddOp>(*product->getUsers().begin());
  if (!add || add.getType() != product->getResult(0).getType())
    return {};
  Value other = add.getLhs() == product->getResult(0) ? add.getRhs() : add.getLhs();
  bias = constantVector(other, columns);
  return bias ? add : AddOp();
}

/// `op` as a projection, or a reason why it is not one.
FailureOr<Projection> asProjection(Operation *op, std::string &reason) {
  Projection p;
  p.product = op;
  Value weight;
  if (auto matmul = dyn_cast<MatmulOp>(op)) {
    p.input = matmul.getLhs();
    weight = matmul.getRhs();
  } else if (auto linear = dyn_cast<LinearOp>(op)) {
    p.input = linear.getInput();
    weight = linear.getWeight();
    p.transposedWeight = linear.getTransposeWeight();
  } else {
    reason = "not a matmul or linear";
    return failure();
  }
  auto inputType = dyn_cast<RankedTensorType>(p.input.getType());
  if (!inputType || inputType.getRank() < 2) {
    reason = "the input is not a matrix or a batch of rows";
    return failure();
  }
  p.weight = constantMatrix(weight);
  if (!p.weight) {
    reason = "the weight is not a constant 2-D float matrix";
    return failure();
  }
  ArrayRef<int64_t> shape = cast<RankedTensorType>(p.weight.getType()).getShape();
  p.depth = p.transposedWeight ? shape[1] : shape[0];
  p.columns = p.transposedWeight ? shape[0] : shape[1];
  if (auto linear = dyn_cast<LinearOp>(op)) {
    if (linear.getBias()) {
      p.bias = constantVector(linear.getBias(), p.columns);
      if (!p.bias) {
        reason = "the bias is not a constant vector of the output's columns";
        return failure();
      }
    }
  } else {
    p.biasAdd = biasAddOf(op, p.columns, p.bias);
  }
  return p;
}

/// A constant's row-major bytes: a view of its storage (a model's weights
/// are not copied: GPT-2 large's would be 3 GB), or of `expanded` for a
/// splat, which is stored as one element.
struct ConstantBytes {
  ArrayRef<char> view;
  std::vector<char> expanded;
  ArrayRef<char> bytes() const { return expanded.empty() ? view : ArrayRef<char>(expanded); }
};

/// The bytes of `attr`, or nullopt where they cannot be read (an unloaded
/// resource, packed booleans).
std::optional<ConstantBytes> rawBytes(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  int64_t elementBytes = type.getElementTypeBitWidth() / 8;
  int64_t count = type.getNumElements();
  if (type.getElementTypeBitWidth() % 8 != 0)
    return std::nullopt;
  ConstantBytes result;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    result.view = blob->getData();
  } else if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    result.view = dense.getRawData();
  } else {
    return std::nullopt;
  }
  if ((int64_t)result.view.size() == elementBytes && count != 1) {
    result.expanded.reserve(count * elementBytes);
    for (int64_t i = 0; i < count; ++i)
      result.expanded.insert(result.expanded.end(), result.view.begin(), result.view.end());
    return result;
  }
  if ((int64_t)result.view.size() != count * elementBytes)
    return std::nullopt;
  return result;
}

/// `parts` ([rows, columns_i] each, row-major) joined along `axis` (0:
/// stacked rows, 1: side by side) into a new blob named `name`.
ElementsAttr concatenate(ArrayRef<ElementsAttr> parts, int64_t axis, StringRef name) {
  auto first = cast<RankedTensorType>(parts.front().getType());
  int64_t elementBytes = first.getElementTypeBitWidth() / 8;
  SmallVector<ConstantBytes> bytes;
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (ElementsAttr part : parts) {
    std::optional<ConstantBytes> partBytes = rawBytes(part);
    if (!partBytes)
      return {};
    bytes.push_back(std::move(*partBytes));
    shape[axis] += cast<RankedTensorType>(part.getType()).getShape()[axis];
  }
  auto type = RankedTensorType::get(shape, first.getElementType());
  int64_t total = type.getNumElements() * elementBytes;
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(total, alignof(std::max_align_t));
  char *out = blob.getMutableData().data();
  if (axis == 0 || shape.size() == 1) {
    for (const ConstantBytes &part : bytes)
      out = llvm::copy(part.bytes(), out);
  } else {
    // Row r of the result is row r of every part, side by side.
    for (int64_t row = 0; row < shape[0]; ++row)
      for (auto [part, attr] : llvm::zip(bytes, parts)) {
        int64_t rowBytes = cast<RankedTensorType>(attr.getType()).getShape()[1] * elementBytes;
        out = std::copy_n(part.bytes().data() + row * rowBytes, rowBytes, out);
      }
  }
  return DenseResourceElementsAttr::get(type, name, std::move(blob));
}

/// The projections of `first`'s input that merge with it, in block order.
SmallVector<Projection> siblingsOf(const Projection &first) {
  SmallVector<Projection> siblings;
  llvm::SmallPtrSet<Operation *, 4> seen;
  for (Operation *user : first.input.getUsers()) {
    if (user->getBlock() != first.product->getBlock() || !seen.insert(user).second)
      continue;
    std::string ignored;
    FailureOr<Projection> p = asProjection(user, ignored);
    if (succeeded(p) && p->input == first.input && p->mergesWith(first))
      siblings.push_back(*p);
  }
  llvm::sort(siblings, [](const Projection &a, const Projection &b) {
    return a.product->isBeforeInBlock(b.product);
  });
  return siblings;
}

/// Builds the merged product (and bias add) before the first of
/// `group`, and replaces each projection by its slice of the result.
LogicalResult mergeGroup(ArrayRef<Projection> group, PatternRewriter &rewriter) {
  const Projection &first = group.front();
  SmallVector<ElementsAttr> weights, biases;
  SmallVector<Location> locs;
  for (const Projection &p : group) {
    weights.push_back(p.weight);
    if (p.bias)
      biases.push_back(p.bias);
    locs.push_back(p.result().getLoc());
  }
  ElementsAttr weight =
      concatenate(weights, first.transposedWeight ? 0 : 1, "merged_weight");
  ElementsAttr bias = biases.empty() ? ElementsAttr() : concatenate(biases, 0, "merged_bias");
  if (!weight || (!biases.empty() && !bias))
    return rewriter.notifyMatchFailure(first.product, "a weight's or bias's bytes cannot be read");

  Location loc = rewriter.getFusedLoc(locs);
  rewriter.setInsertionPoint(first.product);
  Value weightValue = ConstantOp::create(rewriter, loc, weight);
  Value biasValue = bias ? ConstantOp::create(rewriter, loc, bias) : Value();
  Value merged;
  if (isa<LinearOp>(first.product)) {
    merged = LinearOp::create(rewriter, loc, first.input, weightValue, biasValue,
                              first.transposedWeight);
  } else {
    merged = MatmulOp::create(rewriter, loc, first.input, weightValue);
    if (biasValue)
      merged = AddOp::create(rewriter, loc, merged, biasValue);
  }

  auto mergedType = cast<RankedTensorType>(merged.getType());
  int64_t rank = mergedType.getRank();
  SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
  for (const Projection &p : group) {
    SmallVector<int64_t> sizes(mergedType.getShape());
    sizes.back() = p.columns;
    Value slice = SliceOp::create(rewriter, p.result().getLoc(), merged, offsets, sizes, strides);
    offsets.back() += p.columns;
    Value old = p.result();
    rewriter.replaceAllUsesWith(old, slice);
    if (p.biasAdd)
      rewriter.eraseOp(p.biasAdd);
    rewriter.eraseOp(p.product);
  }
  return success();
}

// matmul(x, W1) [+ b1], matmul(x, W2) [+ b2], ...
//   -> slices of matmul(x, [W1 | W2 | ...]) [+ [b1 | b2 | ...]]
// (likewise attn.linear), for constant weights and biases.
template <typename ProductOp>
struct MergeSiblingProjections : OpRewritePattern<ProductOp> {
  using OpRewritePattern<ProductOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(ProductOp op, PatternRewriter &rewriter) const override {
    std::string reason;
    FailureOr<Projection> projection = asProjection(op, reason);
    if (failed(projection))
      return rewriter.notifyMatchFailure(op, reason);
    SmallVector<Projection> group = siblingsOf(*projection);
    if (group.size() < 2)
      return rewriter.notifyMatchFailure(
          op, "no other projection of the same input has a constant weight of the same form");
    return mergeGroup(group, rewriter);
  }
};

struct AttnMergeProjectionsPass
    : mlir::attn::impl::AttnMergeProjectionsPassBase<AttnMergeProjectionsPass> {
  using AttnMergeProjectionsPassBase::AttnMergeProjectionsPassBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAttnMergeProjectionsPatterns(patterns);
    if (failed(applyPatternsExplained(getOperation(), std::move(patterns), explain,
                                      getArgument())))
      return signalPassFailure();
  }
};

} // namespace

void mlir::attn::populateAttnMergeProjectionsPatterns(RewritePatternSet &patterns) {
  patterns.add<MergeSiblingProjections<MatmulOp>, MergeSiblingProjections<LinearOp>>(
      patterns.getContext());
}

//===- Reduction.cpp - ONNX ReduceSum / Mean / Max / Min ------------------===//
//
// Axes are an attribute up to ReduceSum-11 / ReduceMean,Max,Min-13 and an
// optional (constant) input from ReduceSum-13 / the others' opset 18. No axes
// reduce everything, unless noop_with_empty_axes makes the op the identity.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxNode.h"
#include "frontends/onnx/Registry.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

template <typename OpTy, bool AxesAsInput>
static LogicalResult convertReduce(OnnxNode &node) {
  if (failed(node.requireInputs(1)))
    return failure();
  int64_t rank = node.inputType(0).getRank();
  SmallVector<int64_t> axes;
  if constexpr (AxesAsInput) {
    if (node.hasInput(1)) {
      FailureOr<SmallVector<int64_t>> given = node.constantInts(1, "axes");
      if (failed(given))
        return failure();
      axes = *given;
    }
  } else {
    axes = node.getInts("axes").value_or(SmallVector<int64_t>());
  }
  if (axes.empty()) {
    if (node.getInt("noop_with_empty_axes", 0))
      return node.setOutput(0, node.input(0));
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  FailureOr<SmallVector<int64_t>> normalized = node.normalizeAxes(axes, rank);
  if (failed(normalized))
    return failure();
  llvm::sort(*normalized);
  return node.setOutput(0, node.create<OpTy>(node.input(0), *normalized,
                                             node.getInt("keepdims", 1) != 0));
}

void mlir::attn::onnx_frontend::registerReductionHandlers(
    HandlerRegistry &registry) {
  // Axes as an attribute until ReduceSum-13 and the others' version 18.
  for (int64_t since : {1, 11})
    registry.add("ReduceSum", since, convertReduce<ReduceSumOp, false>);
  registry.add("ReduceSum", 13, convertReduce<ReduceSumOp, true>);
  for (int64_t since : {1, 11, 13})
    registry.add("ReduceMean", since, convertReduce<ReduceMeanOp, false>);
  registry.add("ReduceMean", 18, convertReduce<ReduceMeanOp, true>);
  for (int64_t since : {1, 11, 12, 13}) {
    registry.add("ReduceMax", since, convertReduce<ReduceMaxOp, false>);
    registry.add("ReduceMin", since, convertReduce<ReduceMinOp, false>);
  }
  registry.add("ReduceMax", 18, convertReduce<ReduceMaxOp, true>);
  registry.add("ReduceMin", 18, convertReduce<ReduceMinOp, true>);
}

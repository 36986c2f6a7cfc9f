//===- Logical.cpp - ONNX comparisons, boolean logic and Where ------------===//
//
// Comparisons produce i1 tensors; And/Or/Xor/Not take them.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxNode.h"
#include "frontends/onnx/Registry.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::onnx_frontend;

static LogicalResult convertWhere(OnnxNode &node) {
  if (failed(node.requireInputs(3)))
    return failure();
  return node.setOutput(0, node.create<WhereOp>(node.input(0), node.input(1),
                                                node.input(2)));
}

void mlir::attn::onnx_frontend::registerLogicalHandlers(
    HandlerRegistry &registry) {
  // From the first version in effect at opset 7 (later ones added types).
  for (int64_t since : {7, 11, 13})
    registry.add("Equal", since, convertOneToOne<EqualOp, 2>);
  for (int64_t since : {7, 9, 13}) {
    registry.add("Less", since, convertOneToOne<LessOp, 2>);
    registry.add("Greater", since, convertOneToOne<GreaterOp, 2>);
  }
  for (int64_t since : {12, 16}) {
    registry.add("LessOrEqual", since, convertOneToOne<LessEqualOp, 2>);
    registry.add("GreaterOrEqual", since, convertOneToOne<GreaterEqualOp, 2>);
  }
  registry.add("Not", 1, convertOneToOne<NotOp, 1>);
  registry.add("And", 7, convertOneToOne<AndOp, 2>);
  registry.add("Or", 7, convertOneToOne<OrOp, 2>);
  registry.add("Xor", 7, convertOneToOne<XorOp, 2>);
  for (int64_t since : {9, 16})
    registry.add("Where", since, convertWhere);
}

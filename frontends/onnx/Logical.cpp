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
  registry.add("Equal", 13, convertOneToOne<EqualOp, 2>);
  registry.add("Less", 13, convertOneToOne<LessOp, 2>);
  registry.add("LessOrEqual", 13, convertOneToOne<LessEqualOp, 2>);
  registry.add("Greater", 13, convertOneToOne<GreaterOp, 2>);
  registry.add("GreaterOrEqual", 13, convertOneToOne<GreaterEqualOp, 2>);
  registry.add("Not", 13, convertOneToOne<NotOp, 1>);
  registry.add("And", 13, convertOneToOne<AndOp, 2>);
  registry.add("Or", 13, convertOneToOne<OrOp, 2>);
  registry.add("Xor", 13, convertOneToOne<XorOp, 2>);
  registry.add("Where", 13, convertWhere);
}

//===- SignlessIntegers.cpp - Unsigned integers to signless, recorded ----===//
//
// ONNX's uint8..uint64 reach the attn dialect as MLIR's unsigned integer
// types, but arith, linalg's bodies and the LLVM lowering take signless
// integers and say the signedness in the op instead (divui, cmpi ult,
// extui, uitofp). attn-to-linalg therefore first notes, per op, which
// side had unsigned integers, then retypes the whole function in place:
// the bits of every value stay the same, only the type's signedness goes.
//
//===----------------------------------------------------------------------===//

#include "dialects/attn/AttnOps.h"
#include "passes/lowering/Patterns.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::lowering;

namespace {

bool hasUnsignedElements(Type type) {
  return getElementTypeOrSelf(type).isUnsignedInteger();
}

/// `type` with an unsigned integer element (or itself) made signless.
Type signless(Type type) {
  Type element = getElementTypeOrSelf(type);
  if (!element.isUnsignedInteger())
    return type;
  auto signlessElement = IntegerType::get(type.getContext(), element.getIntOrFloatBitWidth());
  if (auto shaped = dyn_cast<ShapedType>(type))
    return shaped.clone(signlessElement);
  return signlessElement;
}

/// The same bytes typed signless (null when `attr` is not a constant of
/// unsigned integers).
Attribute signlessElements(Attribute attr) {
  auto elements = dyn_cast<ElementsAttr>(attr);
  if (!elements || !hasUnsignedElements(elements.getType()))
    return {};
  auto type = cast<ShapedType>(signless(elements.getType()));
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return dense.bitcast(type.getElementType());
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    return DenseResourceElementsAttr::get(type, resource.getRawHandle());
  return {};
}

} // namespace

UnsignedOps mlir::attn::lowering::makeIntegersSignless(func::FuncOp func) {
  UnsignedOps unsignedOps;
  func.walk([&](Operation *op) {
    IntegerSigns signs;
    signs.unsignedOperands = llvm::any_of(op->getOperandTypes(), hasUnsignedElements);
    signs.unsignedResult = llvm::any_of(op->getResultTypes(), hasUnsignedElements);
    if (signs.unsignedOperands || signs.unsignedResult)
      unsignedOps[op] = signs;
  });
  if (unsignedOps.empty() && !llvm::any_of(func.getArgumentTypes(), hasUnsignedElements))
    return unsignedOps;

  func.walk([&](Operation *op) {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          arg.setType(signless(arg.getType()));
    for (OpResult result : op->getResults())
      result.setType(signless(result.getType()));
    for (NamedAttribute named : op->getAttrs())
      if (Attribute retyped = signlessElements(named.getValue()))
        op->setAttr(named.getName(), retyped);
  });
  FunctionType type = func.getFunctionType();
  auto retype = [](TypeRange types) {
    return llvm::map_to_vector(types, [](Type t) { return signless(t); });
  };
  func.setFunctionType(
      FunctionType::get(func.getContext(), retype(type.getInputs()), retype(type.getResults())));
  return unsignedOps;
}

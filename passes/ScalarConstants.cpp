//===- ScalarConstants.cpp - 0-d attn constants, built and matched ------===//

#include "passes/ScalarConstants.h"
#include "dialects/attn/AttnFolders.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

namespace mlir::attn {

Value buildScalarConstant(OpBuilder &builder, Location loc, Type element, double value) {
  auto type = RankedTensorType::get({}, element);
  Attribute scalar = isa<FloatType>(element)
                         ? Attribute(builder.getFloatAttr(element, value))
                         : Attribute(builder.getIntegerAttr(element, (int64_t)value));
  return ConstantOp::create(builder, loc, DenseElementsAttr::get(type, scalar));
}

std::optional<double> matchScalarConstant(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || llvm::any_of(type.getShape(), [](int64_t d) { return d != 1; }))
    return std::nullopt;
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  DenseElementsAttr dense = asDenseElements(attr);
  if (!dense || !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  return (*dense.value_begin<APFloat>()).convertToDouble();
}

} // namespace mlir::attn

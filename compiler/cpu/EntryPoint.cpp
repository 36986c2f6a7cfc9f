//===- EntryPoint.cpp - Destination-passing entry for compiled models ---===//

#include "compiler/cpu/EntryPoint.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace attnc {

static MemRefType memrefFor(Type tensorType) {
  auto tensor = cast<RankedTensorType>(tensorType);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

void convertToDestinationPassingEntry(func::FuncOp func) {
  Block &entry = func.getBody().front();
  OpBuilder builder = OpBuilder::atBlockBegin(&entry);
  Location loc = func.getLoc();

  // Inputs: the caller's buffers, read-only, aliasing nothing else.
  SmallVector<Type> argTypes;
  for (BlockArgument arg : entry.getArguments()) {
    Type tensorType = arg.getType();
    arg.setType(memrefFor(tensorType));
    auto tensor = bufferization::ToTensorOp::create(
        builder, loc, tensorType, arg, /*restrict=*/true, /*writable=*/false);
    arg.replaceAllUsesExcept(tensor, tensor);
    argTypes.push_back(arg.getType());
  }

  // Outputs: one caller-owned buffer per result, written in place.
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  builder.setInsertionPoint(ret);
  for (Value result : ret.getOperands()) {
    Value out = entry.addArgument(memrefFor(result.getType()), loc);
    argTypes.push_back(out.getType());
    auto materialize = bufferization::MaterializeInDestinationOp::create(
        builder, loc, result, out);
    materialize.setRestrict(true);
    materialize.setWritable(true);
  }
  func::ReturnOp::create(builder, loc);
  ret.erase();

  func.setType(FunctionType::get(func.getContext(), argTypes, {}));
  func.setSymName(kEntryFunctionName);
  // Argument/result attributes (names) have served their purpose.
  func->removeAttr(func.getArgAttrsAttrName());
  func->removeAttr(func.getResAttrsAttrName());
}

} // namespace attnc

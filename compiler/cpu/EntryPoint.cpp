//===- EntryPoint.cpp - Destination-passing entry for compiled models ---===//

#include "compiler/cpu/EntryPoint.h"
#include "compiler/cpu/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/BitVector.h"

namespace attnc::cpu {
#define GEN_PASS_DEF_CPUENTRYPOINTPASS
#include "compiler/cpu/Passes.h.inc"
} // namespace attnc::cpu

using namespace mlir;

namespace attnc {

/// Whether `type` has no elements (never true of one with run-time dims,
/// which are at least 1).
static bool isEmptyTensor(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return tensor.hasStaticShape() && tensor.getNumElements() == 0;
}

static MemRefType memrefFor(Type tensorType) {
  auto tensor = cast<RankedTensorType>(tensorType);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

void convertToDestinationPassingEntry(func::FuncOp func) {
  Block &entry = func.getBody().front();
  OpBuilder builder = OpBuilder::atBlockBegin(&entry);
  Location loc = func.getLoc();

  // Inputs: the caller's buffers, read-only, aliasing nothing else. A
  // zero-element input carries no data (and has no bare-pointer form): it
  // becomes a tensor.empty and leaves the signature.
  SmallVector<Type> argTypes;
  llvm::BitVector emptyArgs(entry.getNumArguments());
  for (BlockArgument arg : entry.getArguments()) {
    Type tensorType = arg.getType();
    if (isEmptyTensor(tensorType)) {
      auto type = cast<RankedTensorType>(tensorType);
      Value empty = tensor::EmptyOp::create(builder, loc, type.getShape(),
                                            type.getElementType());
      arg.replaceAllUsesWith(empty);
      emptyArgs.set(arg.getArgNumber());
      continue;
    }
    arg.setType(memrefFor(tensorType));
    auto tensor = bufferization::ToTensorOp::create(
        builder, loc, tensorType, arg, /*restrict=*/true, /*writable=*/false);
    arg.replaceAllUsesExcept(tensor, tensor);
    argTypes.push_back(arg.getType());
  }

  entry.eraseArguments(emptyArgs);

  // Outputs: one caller-owned buffer per non-empty result, written in place.
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  builder.setInsertionPoint(ret);
  for (Value result : ret.getOperands()) {
    if (isEmptyTensor(result.getType()))
      continue;
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

namespace {

struct CpuEntryPointPass : cpu::impl::CpuEntryPointPassBase<CpuEntryPointPass> {
  void runOnOperation() override {
    auto main = getOperation().lookupSymbol<func::FuncOp>("main");
    if (!main) {
      getOperation().emitError("expected a 'func.func @main' to compile");
      return signalPassFailure();
    }
    convertToDestinationPassingEntry(main);
  }
};

} // namespace

int64_t entryWorkspaceBytes(ModuleOp module) {
  Operation *entry = module.lookupSymbol(kEntryFunctionName);
  auto plan = entry ? entry->getAttrOfType<DictionaryAttr>("attn.memory_plan") : nullptr;
  auto workspace = plan ? plan.getAs<BoolAttr>("workspace") : nullptr;
  auto bytes = plan ? plan.getAs<IntegerAttr>("arena_bytes") : nullptr;
  if (!workspace || !workspace.getValue() || !bytes)
    return 0;
  return bytes.getInt();
}

} // namespace attnc

//===- OutlineKernels.cpp - One function per distinct loop nest ----------===//
//
// A transformer repeats one layer many times, and after bufferization each
// repetition's loop nests sit inline in the entry function. Compiling the
// copies separately made LLVM's optimizer and code generator most of
// `attnc compile`'s time (BERT-base: 20 of 36 s). Outlined with their
// buffers as arguments, the copies become one function each.
//
//===----------------------------------------------------------------------===//

#include "compiler/cpu/Passes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace attnc::cpu {
#define GEN_PASS_DEF_CPUOUTLINEKERNELSPASS
#include "compiler/cpu/Passes.h.inc"
} // namespace attnc::cpu

using namespace mlir;

namespace {

/// A loop nest worth a function: an op with regions and no results
/// (terminators and the function's own structure stay).
bool isKernel(Operation *op) {
  return op->getNumRegions() > 0 && op->getNumResults() == 0 &&
         !op->hasTrait<OpTrait::IsTerminator>();
}

/// A value the outlined function recomputes instead of taking: a constant
/// without operands (cloned, so that bounds and shapes stay static).
bool isClonedConstant(Value value) {
  Operation *def = value.getDefiningOp();
  return def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
         def->hasTrait<OpTrait::ConstantLike>();
}

/// The values `kernel` uses from outside it, in order of first use.
llvm::SetVector<Value> usedFromOutside(Operation *kernel) {
  llvm::SetVector<Value> used;
  for (Value operand : kernel->getOperands())
    used.insert(operand);
  kernel->walk([&](Operation *nested) {
    for (Value operand : nested->getOperands())
      if (!kernel->isAncestor(operand.getParentRegion()->getParentOp()))
        used.insert(operand);
  });
  return used;
}

/// A kernel moved into its function, and the call that replaced it.
struct Outlined {
  func::FuncOp function;
  func::CallOp call;
};

/// Moves `kernel` into a new private function `name` before `parent` and
/// replaces it with a call.
Outlined outline(Operation *kernel, func::FuncOp parent, llvm::StringRef name,
                 OpBuilder &builder) {
  llvm::SmallVector<Value> arguments, constants;
  for (Value value : usedFromOutside(kernel))
    (isClonedConstant(value) ? constants : arguments).push_back(value);
  llvm::SmallVector<Type> types =
      llvm::map_to_vector(arguments, [](Value value) { return value.getType(); });

  builder.setInsertionPoint(parent);
  auto function = func::FuncOp::create(builder, kernel->getLoc(), name,
                                       builder.getFunctionType(types, {}));
  function.setPrivate();
  Block *body = function.addEntryBlock();
  builder.setInsertionPointToStart(body);
  IRMapping mapping;
  for (Value constant : constants)
    mapping.map(constant, builder.clone(*constant.getDefiningOp())->getResult(0));
  mapping.map(arguments, body->getArguments());
  builder.clone(*kernel, mapping);
  func::ReturnOp::create(builder, kernel->getLoc());

  builder.setInsertionPoint(kernel);
  auto call = func::CallOp::create(builder, kernel->getLoc(), function, arguments);
  kernel->erase();
  return {function, call};
}

/// The text that identifies a kernel: the whole function in generic form
/// under a fixed name (two kernels with the same text compute the same
/// thing on their arguments).
std::string bodyKey(func::FuncOp function) {
  std::string name = function.getSymName().str();
  function.setSymName("kernel");
  std::string key;
  llvm::raw_string_ostream os(key);
  function->print(os, OpPrintingFlags().printGenericOpForm().useLocalScope());
  function.setSymName(name);
  return key;
}

struct CpuOutlineKernelsPass
    : attnc::cpu::impl::CpuOutlineKernelsPassBase<CpuOutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    OpBuilder builder(&getContext());
    llvm::StringMap<func::FuncOp> kernelByBody;
    llvm::SmallVector<func::FuncOp> parents;
    for (auto function : module.getOps<func::FuncOp>())
      if (function.isPublic() && !function.isExternal())
        parents.push_back(function);
    unsigned nextName = 0;
    for (func::FuncOp parent : parents) {
      llvm::SmallVector<Operation *> kernels;
      for (Block &block : parent.getBody())
        for (Operation &op : block)
          if (isKernel(&op))
            kernels.push_back(&op);
      for (Operation *kernel : kernels) {
        std::string name;
        do
          name = "kernel" + std::to_string(nextName++);
        while (symbols.lookup(name));
        Outlined outlined = outline(kernel, parent, name, builder);
        auto [known, inserted] = kernelByBody.try_emplace(bodyKey(outlined.function),
                                                          outlined.function);
        if (inserted) {
          symbols.insert(outlined.function);
          continue;
        }
        outlined.call.setCallee(known->second.getSymName());
        outlined.function.erase();
        --nextName;
      }
    }
  }
};

} // namespace

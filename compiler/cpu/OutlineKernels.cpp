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
#include "mlir/IR/OperationSupport.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Hashing.h"

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

/// A hash of what a kernel computes: its argument types and, in walk
/// order, each op's name, attributes and types (not which values it uses,
/// and not locations). Equal kernels hash equal; kernelsEqual decides.
llvm::hash_code kernelHash(func::FuncOp function) {
  llvm::hash_code hash = hash_value(function.getFunctionType());
  function.getBody().walk([&](Operation *op) {
    hash = llvm::hash_combine(
        hash, OperationEquivalence::computeHash(op, OperationEquivalence::ignoreHashValue,
                                                OperationEquivalence::ignoreHashValue,
                                                OperationEquivalence::IgnoreLocations));
  });
  return hash;
}

/// Whether two kernels compute the same thing on their arguments: the
/// same argument types and bodies equal op for op, value for value.
bool kernelsEqual(func::FuncOp a, func::FuncOp b) {
  return a.getFunctionType() == b.getFunctionType() &&
         OperationEquivalence::isRegionEquivalentTo(&a.getBody(), &b.getBody(),
                                                    OperationEquivalence::IgnoreLocations);
}

struct CpuOutlineKernelsPass
    : attnc::cpu::impl::CpuOutlineKernelsPassBase<CpuOutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    OpBuilder builder(&getContext());
    llvm::DenseMap<llvm::hash_code, llvm::SmallVector<func::FuncOp, 1>> kernelsByHash;
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
        llvm::SmallVector<func::FuncOp, 1> &candidates =
            kernelsByHash[kernelHash(outlined.function)];
        auto known = llvm::find_if(candidates, [&](func::FuncOp candidate) {
          return kernelsEqual(candidate, outlined.function);
        });
        if (known == candidates.end()) {
          candidates.push_back(outlined.function);
          symbols.insert(outlined.function);
          continue;
        }
        outlined.call.setCallee(known->getSymName());
        outlined.function.erase();
        --nextName;
      }
    }
  }
};

} // namespace

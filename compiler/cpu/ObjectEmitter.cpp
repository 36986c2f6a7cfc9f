//===- ObjectEmitter.cpp - LLVM dialect to a native object file ---------===//
//
// Model weights bypass LLVM: each large weight global is translated as a
// hidden declaration, whose bytes go into their own object
// (WeightsObject.h), or, for --emit=llvm, into one 2 MiB-aligned byte
// array attached after optimization (attachWeights).
//
//===----------------------------------------------------------------------===//

#include "compiler/cpu/ObjectEmitter.h"
#include "compiler/cpu/EntryPoint.h"
#include "compiler/cpu/ModelAllocator.h"
#include "compiler/ModelInfo.h"
#include "compiler/NodeNames.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"
#include "llvm/Transforms/Utils/SplitModule.h"
#include <thread>

namespace attnc {

/// The functions a compiled model exports: the runtime ABI.
constexpr const char *kManifestFunction = "attnc_model_manifest";
constexpr const char *kRunFunction = "attnc_model_run";
constexpr const char *kMemoryStatsFunction = "attnc_model_memory_stats";

/// Adds `attnc_model_manifest` and `attnc_model_run` (the runtime ABI).
static bool addRuntimeAbi(llvm::Module &module, const ModelSignature &signature,
                          std::string &error) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Function *entry = module.getFunction(kEntryFunctionName);
  // attnc_main takes the non-empty buffers (see EntryPoint.h); the runtime
  // passes all of them.
  size_t buffers = signature.inputs.size() + signature.outputs.size();
  llvm::SmallVector<size_t> passed;
  llvm::SmallVector<const TensorSignature *> tensors;
  size_t index = 0, expandedArgs = 0;
  for (const auto *group : {&signature.inputs, &signature.outputs})
    for (const TensorSignature &t : *group) {
      if (llvm::all_of(t.shape, [](int64_t d) { return d != 0; })) {
        passed.push_back(index);
        tensors.push_back(&t);
        // A memref argument expands to: allocated and aligned pointers,
        // offset, then a size and a stride per dim.
        expandedArgs += 3 + 2 * t.shape.size();
      }
      ++index;
    }
  // The workspace, a 1-D byte memref, follows the outputs.
  if (signature.workspaceBytes > 0)
    expandedArgs += 5;
  if (!entry || entry->arg_size() != expandedArgs) {
    error = "internal error: the lowered module has no attnc_main taking " +
            std::to_string(passed.size()) + " of the " + std::to_string(buffers) +
            " buffers";
    return false;
  }
  // Only the ABI is exported; the entry may be inlined into it.
  entry->setLinkage(llvm::GlobalValue::InternalLinkage);
  auto *ptrType = llvm::PointerType::getUnqual(ctx);

  llvm::Constant *text = llvm::ConstantDataArray::getString(ctx, signature.manifest());
  auto *manifest = new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                                            llvm::GlobalValue::PrivateLinkage, text,
                                            "attnc.manifest");
  if (!signature.description.empty()) {
    // Read by `attnc inspect` from the file, never loaded: kept by
    // llvm.used, not referenced.
    llvm::Constant *text = llvm::ConstantDataArray::getString(ctx, signature.description);
    auto *info = new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                                          llvm::GlobalValue::PrivateLinkage, text, "attnc.info");
    info->setSection(kModelInfoSection);
    llvm::appendToUsed(module, {info});
  }
  auto *getManifest = llvm::Function::Create(
      llvm::FunctionType::get(ptrType, false), llvm::GlobalValue::ExternalLinkage,
      kManifestFunction, module);
  llvm::IRBuilder<> builder(llvm::BasicBlock::Create(ctx, "entry", getManifest));
  builder.CreateRet(manifest);

  auto *run = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrType}, false),
      llvm::GlobalValue::ExternalLinkage, kRunFunction, module);
  builder.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", run));
  // Buffers are row-major: offset 0, strides from the shape. A
  // run-time dim's extent is its symbol's value, from the array of symbol
  // values that follows the outputs and the workspace.
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Value *symbolValues = nullptr;
  if (!signature.dims.empty()) {
    size_t slot = buffers + (signature.workspaceBytes > 0 ? 1 : 0);
    symbolValues = builder.CreateLoad(
        ptrType, builder.CreateConstInBoundsGEP1_64(ptrType, run->getArg(0), slot), "dims");
  }
  auto extent = [&](const TensorSignature &tensor, size_t d) -> llvm::Value * {
    const DimExtent &dim = tensor.extents[d];
    llvm::Value *value = llvm::ConstantInt::get(i64, dim.constant);
    for (auto [symbol, coefficient] : dim.terms) {
      llvm::Value *at = builder.CreateConstInBoundsGEP1_64(i64, symbolValues, symbol);
      llvm::Value *term = builder.CreateLoad(i64, at, signature.dims[symbol].name);
      value = builder.CreateAdd(
          value, builder.CreateMul(term, llvm::ConstantInt::get(i64, coefficient)));
    }
    return value;
  };
  llvm::SmallVector<llvm::Value *> args;
  for (auto [i, tensor] : llvm::zip(passed, tensors)) {
    llvm::Value *slot = builder.CreateConstInBoundsGEP1_64(ptrType, run->getArg(0), i);
    llvm::Value *data = builder.CreateLoad(ptrType, slot);
    args.append({data, data, llvm::ConstantInt::get(i64, 0)});
    size_t rank = tensor->shape.size();
    llvm::SmallVector<llvm::Value *> sizes(rank), strides(rank);
    for (size_t d = 0; d < rank; ++d)
      sizes[d] = extent(*tensor, d);
    // A KV cache kept in place is a view of a buffer with room for its
    // capacity (or a ring's slots, twice): strides of the whole buffer
    // (EntryPoint.cpp's cache view).
    llvm::Value *stride = llvm::ConstantInt::get(i64, 1);
    for (size_t d = rank; d-- > 0;) {
      strides[d] = stride;
      stride = builder.CreateMul(
          stride, (int)d == tensor->cacheAxis
                      ? llvm::ConstantInt::get(i64, tensor->cacheBufferPositions())
                      : sizes[d]);
    }
    args.append(sizes.begin(), sizes.end());
    args.append(strides.begin(), strides.end());
  }
  if (signature.workspaceBytes > 0) {
    llvm::Value *slot = builder.CreateConstInBoundsGEP1_64(ptrType, run->getArg(0), buffers);
    llvm::Value *data = builder.CreateLoad(ptrType, slot);
    args.append({data, data, llvm::ConstantInt::get(i64, 0),
                 llvm::ConstantInt::get(i64, signature.workspaceBytes),
                 llvm::ConstantInt::get(i64, 1)});
  }
  builder.CreateCall(entry, args);
  builder.CreateRetVoid();
  return true;
}

/// Only the runtime ABI leaves the model: every other function it defines
/// (the outlined kernels, the allocator's helpers) gets hidden visibility,
/// so that a shared library exports the ABI alone and two models loaded
/// into one process cannot clash.
static void hideAllButTheAbi(llvm::Module &module) {
  for (llvm::Function &function : module) {
    llvm::StringRef name = function.getName();
    if (function.isDeclaration() || function.hasLocalLinkage() ||
        name == kManifestFunction || name == kRunFunction || name == kMemoryStatsFunction)
      continue;
    function.setVisibility(llvm::GlobalValue::HiddenVisibility);
  }
}

namespace {

/// Globals at least this large are detached (small constants stay
/// visible to the optimizer, which may fold them).
constexpr size_t kMinDetachedBytes = 64 * 1024;

/// Turns every large `dense_resource` global of `module` into an external
/// declaration and returns its bytes (owned by the context's blobs, which
/// outlive the translation).
std::vector<DetachedWeight> detachWeights(mlir::ModuleOp module) {
  std::vector<DetachedWeight> detached;
  module.walk([&](mlir::LLVM::GlobalOp global) {
    auto resource =
        llvm::dyn_cast_if_present<mlir::DenseResourceElementsAttr>(global.getValueOrNull());
    if (!resource || !global.getConstant())
      return;
    mlir::AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() < kMinDetachedBytes)
      return;
    detached.push_back({global.getSymName().str(), blob->getData(),
                        global.getAlignment().value_or(64), firstNodeName(global.getLoc())});
    global.removeValueAttr();
    global.setLinkage(mlir::LLVM::Linkage::External);
    // Defined in the same link unit (the weights object or, for
    // --emit=llvm, attachWeights): addressed directly, never loaded from
    // a GOT entry (on x86-64 as a 64-bit offset from the GOT's address,
    // addressAsLargeData).
    global.setVisibility_(mlir::LLVM::Visibility::Hidden);
    global.setDsoLocal(true);
  });
  return detached;
}

/// On targets where the weights are large data (WeightsObject.h), the
/// code addresses each of them with a 64-bit offset, whatever the
/// module's code model: they may lie more than 2 GiB from it.
void addressAsLargeData(llvm::GlobalVariable &global, const llvm::Module &module) {
  if (weightsAreLargeData(llvm::Triple(module.getTargetTriple())))
    global.setCodeModel(llvm::CodeModel::Large);
}

} // namespace

void attachWeights(llvm::Module &module, const std::vector<DetachedWeight> &weights) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *byte = llvm::Type::getInt8Ty(ctx);
  // Reserved once: growing a string of GPT-2's 650 MB by doubling copied
  // it several times.
  uint64_t total = 0;
  for (const DetachedWeight &weight : weights)
    total += std::max<uint64_t>(weight.alignment, 64) + weight.bytes.size();
  std::string bytes;
  bytes.reserve(total);
  std::vector<std::pair<llvm::GlobalVariable *, uint64_t>> placed;
  for (const DetachedWeight &weight : weights) {
    llvm::GlobalVariable *declaration = module.getNamedGlobal(weight.name);
    if (!declaration)
      continue; // every use was optimized away
    uint64_t alignment = std::max<uint64_t>(weight.alignment, 64);
    bytes.resize((bytes.size() + alignment - 1) / alignment * alignment, '\0');
    placed.push_back({declaration, bytes.size()});
    bytes.append(weight.bytes.data(), weight.bytes.size());
  }
  if (placed.empty())
    return;
  llvm::Constant *data = llvm::ConstantDataArray::getRaw(bytes, bytes.size(), byte);
  auto *all = new llvm::GlobalVariable(module, data->getType(), /*isConstant=*/true,
                                       llvm::GlobalValue::PrivateLinkage, data, "attnc.weights");
  all->setAlignment(llvm::Align(kWeightsAlignment));
  addressAsLargeData(*all, module);
  for (auto [declaration, offset] : placed) {
    llvm::Constant *at = llvm::ConstantExpr::getInBoundsGetElementPtr(
        byte, all, llvm::ConstantInt::get(llvm::Type::getInt64Ty(ctx), offset));
    declaration->replaceAllUsesWith(at);
    declaration->eraseFromParent();
  }
}


std::unique_ptr<llvm::Module>
translateToLLVMIR(mlir::ModuleOp module, const ModelSignature &signature,
                  llvm::TargetMachine &machine, llvm::LLVMContext &context,
                  mlir::TimingScope &timing, std::vector<DetachedWeight> &weights,
                  std::string &error) {
  mlir::TimingScope phase = timing.nest("translation to LLVM IR");
  mlir::DialectRegistry registry;
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerOpenMPDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);
  weights = detachWeights(module);
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context, "attnc_model");
  if (!llvmModule) {
    error = "internal error: translation to LLVM IR failed";
    return nullptr;
  }
  llvmModule->setTargetTriple(machine.getTargetTriple());
  llvmModule->setDataLayout(machine.createDataLayout());
  for (const DetachedWeight &weight : weights)
    if (llvm::GlobalVariable *declaration = llvmModule->getNamedGlobal(weight.name))
      addressAsLargeData(*declaration, *llvmModule);
  if (!addRuntimeAbi(*llvmModule, signature, error))
    return nullptr;
  cpu::defineModelAllocator(*llvmModule, kMemoryStatsFunction);
  hideAllButTheAbi(*llvmModule);
  phase = timing.nest("LLVM optimization");
  auto optimize = mlir::makeOptimizingTransformer(3, 0, &machine);
  if (llvm::Error failure = optimize(llvmModule.get())) {
    error = "LLVM optimization failed: " + llvm::toString(std::move(failure));
    return nullptr;
  }
  return llvmModule;
}

bool emitObject(llvm::Module &module, llvm::TargetMachine &machine,
                llvm::SmallVectorImpl<char> &out, std::string &error) {
  // The object holds every global's bytes (the weights): room for them
  // up front, so the stream does not copy them again as it grows.
  const llvm::DataLayout &layout = module.getDataLayout();
  uint64_t globalBytes = 0;
  for (const llvm::GlobalVariable &global : module.globals())
    if (global.hasInitializer())
      globalBytes += layout.getTypeAllocSize(global.getValueType());
  out.reserve(out.size() + globalBytes + (16 << 20));
  llvm::raw_svector_ostream os(out);
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return false;
  }
  codegen.run(module);
  return true;
}

bool emitObjects(llvm::Module &module, llvm::TargetMachine &machine, const TargetOptions &target,
                 unsigned partitions, std::vector<llvm::SmallVector<char, 0>> &objects,
                 std::string &error) {
  if (partitions <= 1) {
    objects.emplace_back();
    return emitObject(module, machine, objects.back(), error);
  }
  std::vector<std::string> parts;
  llvm::SplitModule(
      module, partitions,
      [&](std::unique_ptr<llvm::Module> part) {
        llvm::raw_string_ostream os(parts.emplace_back());
        llvm::WriteBitcodeToFile(*part, os);
      },
      /*PreserveLocals=*/false, /*RoundRobin=*/true);
  objects.resize(parts.size());
  std::vector<std::string> errors(parts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < parts.size(); ++i)
    threads.emplace_back([&, i] {
      llvm::LLVMContext context;
      llvm::Expected<std::unique_ptr<llvm::Module>> part =
          llvm::parseBitcodeFile(llvm::MemoryBufferRef(parts[i], "partition"), context);
      if (!part) {
        errors[i] = "internal error: " + llvm::toString(part.takeError());
        return;
      }
      std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(target, errors[i]);
      if (machine)
        emitObject(**part, *machine, objects[i], errors[i]);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (const std::string &message : errors)
    if (!message.empty()) {
      error = message;
      return false;
    }
  return true;
}

} // namespace attnc

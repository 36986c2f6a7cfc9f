//===- ModelAllocator.cpp - The heap of a compiled model ------------------===//

#include "compiler/cpu/ModelAllocator.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

namespace attnc::cpu {
namespace {

/// Freed blocks the cache keeps at most, and the least capacity a block
/// needs to be kept: libc reuses smaller ones from its own heap, while it
/// maps larger ones afresh (and the kernel zeroes their pages) each time.
constexpr uint64_t kCachedBlocks = 256;
constexpr uint64_t kMinCachedBytes = 128 * 1024;

/// Header fields, in bytes before the address returned. The header is at
/// least 32 bytes (a power of two, the block's alignment).
constexpr int64_t kSizeAt = -16, kBaseAt = -8, kCapacityAt = -24, kAlignmentAt = -32;

/// Builds the allocator's functions into one module.
class AllocatorBuilder {
public:
  explicit AllocatorBuilder(llvm::Module &module)
      : module(module), ctx(module.getContext()), b(ctx), i64(llvm::Type::getInt64Ty(ctx)),
        i32(llvm::Type::getInt32Ty(ctx)), voidType(llvm::Type::getVoidTy(ctx)),
        ptr(llvm::PointerType::getUnqual(ctx)),
        slotType(llvm::StructType::get(ctx, {ptr, i64, i64})) {
    allocations = global(i64, "attnc.heap.allocations");
    allocated = global(i64, "attnc.heap.bytes");
    live = global(i64, "attnc.heap.live");
    peak = global(i64, "attnc.heap.peak");
    lock = global(i32, "attnc.heap.lock");
    cache = global(llvm::ArrayType::get(slotType, kCachedBlocks), "attnc.heap.cache");
    alignedAllocC = module.getOrInsertFunction("aligned_alloc", ptr, i64, i64);
    freeC = module.getOrInsertFunction("free", voidType, ptr);
  }

  void build(const char *statsFunction) {
    // Compiled code that allocates (buffers with run-time dims) declares
    // these; a model whose every buffer is planned does not.
    bool allocates = false;
    for (const char *name : {"_mlir_memref_to_llvm_alloc", "_mlir_memref_to_llvm_aligned_alloc"})
      if (llvm::Function *declared = module.getFunction(name))
        allocates |= !declared->use_empty();
    llvm::Function *alignedAlloc = buildAlignedAlloc();
    llvm::Function *alloc =
        define("_mlir_memref_to_llvm_alloc", llvm::FunctionType::get(ptr, {i64}, false));
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", alloc));
    b.CreateRet(b.CreateCall(alignedAlloc, {llvm::ConstantInt::get(i64, 16), alloc->getArg(0)}));
    buildFree();
    if (allocates)
      buildRelease();
    buildStats(statsFunction);
  }

private:
  llvm::GlobalVariable *global(llvm::Type *type, const char *name) {
    return new llvm::GlobalVariable(module, type, /*isConstant=*/false,
                                    llvm::GlobalValue::InternalLinkage,
                                    llvm::Constant::getNullValue(type), name);
  }

  llvm::Function *define(const char *name, llvm::FunctionType *type) {
    auto *fn = llvm::cast<llvm::Function>(module.getOrInsertFunction(name, type).getCallee());
    fn->setLinkage(llvm::GlobalValue::InternalLinkage);
    return fn;
  }

  llvm::Value *at(llvm::Value *user, int64_t offset) {
    return b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), user, offset);
  }

  llvm::Value *field(llvm::Value *slot, unsigned index) {
    return b.CreateStructGEP(slotType, slot, index);
  }

  void atomicAdd(llvm::GlobalVariable *counter, llvm::Value *amount) {
    b.CreateAtomicRMW(llvm::AtomicRMWInst::Add, counter, amount, llvm::MaybeAlign(), kOrder);
  }

  /// A spin lock around the cache: blocks are freed and asked for from
  /// the parallel loops' threads too.
  void acquire(llvm::Function *fn) {
    auto *spin = llvm::BasicBlock::Create(ctx, "lock", fn);
    auto *locked = llvm::BasicBlock::Create(ctx, "locked", fn);
    b.CreateBr(spin);
    b.SetInsertPoint(spin);
    llvm::Value *exchange = b.CreateAtomicCmpXchg(
        lock, b.getInt32(0), b.getInt32(1), llvm::MaybeAlign(4),
        llvm::AtomicOrdering::Acquire, llvm::AtomicOrdering::Monotonic);
    b.CreateCondBr(b.CreateExtractValue(exchange, 1), locked, spin);
    b.SetInsertPoint(locked);
  }
  void release() {
    llvm::StoreInst *store = b.CreateStore(b.getInt32(0), lock);
    store->setAtomic(llvm::AtomicOrdering::Release);
    store->setAlignment(llvm::Align(4));
  }

  /// A loop over the cache's slots from the current block: `visit(slot,
  /// next)` ends each iteration, branching to `next` to go on. Returns the
  /// block reached when no iteration leaves the loop.
  llvm::BasicBlock *forEachSlot(llvm::Function *fn,
                                llvm::function_ref<void(llvm::Value *, llvm::BasicBlock *)> visit) {
    llvm::BasicBlock *before = b.GetInsertBlock();
    auto *head = llvm::BasicBlock::Create(ctx, "slot", fn);
    auto *body = llvm::BasicBlock::Create(ctx, "slot.body", fn);
    auto *next = llvm::BasicBlock::Create(ctx, "slot.next", fn);
    auto *exhausted = llvm::BasicBlock::Create(ctx, "slots.done", fn);
    b.CreateBr(head);
    b.SetInsertPoint(head);
    llvm::PHINode *index = b.CreatePHI(i64, 2);
    index->addIncoming(b.getInt64(0), before);
    b.CreateCondBr(b.CreateICmpULT(index, b.getInt64(kCachedBlocks)), body, exhausted);
    b.SetInsertPoint(body);
    visit(b.CreateInBoundsGEP(llvm::ArrayType::get(slotType, kCachedBlocks), cache,
                              {b.getInt64(0), index}),
          next);
    b.SetInsertPoint(next);
    index->addIncoming(b.CreateAdd(index, b.getInt64(1)), next);
    b.CreateBr(head);
    b.SetInsertPoint(exhausted);
    return exhausted;
  }

  /// aligned_alloc(alignment, size): a cached block that fits (capacity
  /// from total to 2 x total, alignment at least the header's), else a new
  /// one; the header written, the counters updated.
  llvm::Function *buildAlignedAlloc() {
    llvm::Function *fn = define("_mlir_memref_to_llvm_aligned_alloc",
                                llvm::FunctionType::get(ptr, {i64, i64}, false));
    llvm::Value *alignment = fn->getArg(0), *size = fn->getArg(1);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", fn));
    // A power of two at least 32: the header's size and the block's alignment.
    llvm::Value *header =
        b.CreateBinaryIntrinsic(llvm::Intrinsic::umax, alignment, b.getInt64(32));
    llvm::Value *mask = b.CreateSub(header, b.getInt64(1));
    llvm::Value *total = b.CreateAnd(b.CreateAdd(b.CreateAdd(header, size), mask), b.CreateNot(mask));
    auto *ready = llvm::BasicBlock::Create(ctx, "ready", fn);

    // Reuse: take the first cached block that fits.
    acquire(fn);
    llvm::SmallVector<std::tuple<llvm::Value *, llvm::Value *, llvm::Value *, llvm::BasicBlock *>>
        reused;
    forEachSlot(fn, [&](llvm::Value *slot, llvm::BasicBlock *next) {
      llvm::Value *base = b.CreateLoad(ptr, field(slot, 0));
      llvm::Value *capacity = b.CreateLoad(i64, field(slot, 1));
      llvm::Value *slotAlignment = b.CreateLoad(i64, field(slot, 2));
      llvm::Value *fits = b.CreateAnd(
          b.CreateAnd(b.CreateIsNotNull(base), b.CreateICmpUGE(slotAlignment, header)),
          b.CreateAnd(b.CreateICmpUGE(capacity, total),
                      b.CreateICmpULE(capacity, b.CreateShl(total, 1))));
      auto *take = llvm::BasicBlock::Create(ctx, "take", fn);
      b.CreateCondBr(fits, take, next);
      b.SetInsertPoint(take);
      b.CreateStore(llvm::ConstantPointerNull::get(ptr), field(slot, 0));
      release();
      b.CreateBr(ready);
      reused.push_back({base, capacity, slotAlignment, take});
    });
    release();
    llvm::Value *fresh = b.CreateCall(alignedAllocC, {header, total});
    auto *allocatedBlock = llvm::BasicBlock::Create(ctx, "allocated", fn);
    auto *failed = llvm::BasicBlock::Create(ctx, "failed", fn);
    b.CreateCondBr(b.CreateIsNull(fresh), failed, allocatedBlock);
    b.SetInsertPoint(failed);
    b.CreateRet(llvm::ConstantPointerNull::get(ptr));
    b.SetInsertPoint(allocatedBlock);
    b.CreateBr(ready);

    b.SetInsertPoint(ready);
    llvm::PHINode *base = b.CreatePHI(ptr, reused.size() + 1);
    llvm::PHINode *capacity = b.CreatePHI(i64, reused.size() + 1);
    llvm::PHINode *blockAlignment = b.CreatePHI(i64, reused.size() + 1);
    for (auto [cachedBase, cachedCapacity, cachedAlignment, from] : reused) {
      base->addIncoming(cachedBase, from);
      capacity->addIncoming(cachedCapacity, from);
      blockAlignment->addIncoming(cachedAlignment, from);
    }
    base->addIncoming(fresh, allocatedBlock);
    capacity->addIncoming(total, allocatedBlock);
    blockAlignment->addIncoming(header, allocatedBlock);
    llvm::Value *user = b.CreateInBoundsGEP(b.getInt8Ty(), base, header);
    b.CreateStore(size, at(user, kSizeAt));
    b.CreateStore(base, at(user, kBaseAt));
    b.CreateStore(capacity, at(user, kCapacityAt));
    b.CreateStore(blockAlignment, at(user, kAlignmentAt));
    atomicAdd(allocations, b.getInt64(1));
    atomicAdd(allocated, size);
    llvm::Value *before =
        b.CreateAtomicRMW(llvm::AtomicRMWInst::Add, live, size, llvm::MaybeAlign(), kOrder);
    b.CreateAtomicRMW(llvm::AtomicRMWInst::UMax, peak, b.CreateAdd(before, size),
                      llvm::MaybeAlign(), kOrder);
    b.CreateRet(user);
    return fn;
  }

  /// free(user): a large block into the first empty slot of the cache;
  /// small ones, and any when the cache is full, back to libc.
  void buildFree() {
    llvm::Function *fn =
        define("_mlir_memref_to_llvm_free", llvm::FunctionType::get(voidType, {ptr}, false));
    llvm::Value *user = fn->getArg(0);
    auto *entry = llvm::BasicBlock::Create(ctx, "entry", fn);
    auto *owned = llvm::BasicBlock::Create(ctx, "owned", fn);
    auto *done = llvm::BasicBlock::Create(ctx, "done", fn);
    b.SetInsertPoint(entry);
    b.CreateCondBr(b.CreateIsNull(user), done, owned);
    b.SetInsertPoint(owned);
    llvm::Value *size = b.CreateLoad(i64, at(user, kSizeAt));
    llvm::Value *base = b.CreateLoad(ptr, at(user, kBaseAt));
    llvm::Value *capacity = b.CreateLoad(i64, at(user, kCapacityAt));
    llvm::Value *alignment = b.CreateLoad(i64, at(user, kAlignmentAt));
    b.CreateAtomicRMW(llvm::AtomicRMWInst::Sub, live, size, llvm::MaybeAlign(), kOrder);
    auto *cacheable = llvm::BasicBlock::Create(ctx, "cacheable", fn);
    auto *toLibc = llvm::BasicBlock::Create(ctx, "libc", fn);
    b.CreateCondBr(b.CreateICmpUGE(capacity, b.getInt64(kMinCachedBytes)), cacheable, toLibc);
    b.SetInsertPoint(cacheable);
    acquire(fn);
    forEachSlot(fn, [&](llvm::Value *slot, llvm::BasicBlock *next) {
      auto *keep = llvm::BasicBlock::Create(ctx, "keep", fn);
      b.CreateCondBr(b.CreateIsNull(b.CreateLoad(ptr, field(slot, 0))), keep, next);
      b.SetInsertPoint(keep);
      b.CreateStore(base, field(slot, 0));
      b.CreateStore(capacity, field(slot, 1));
      b.CreateStore(alignment, field(slot, 2));
      release();
      b.CreateBr(done);
    });
    release();
    b.CreateBr(toLibc);
    b.SetInsertPoint(toLibc);
    b.CreateCall(freeC, {base});
    b.CreateBr(done);
    b.SetInsertPoint(done);
    b.CreateRetVoid();
  }

  /// Frees the cached blocks when the model is unloaded (a global
  /// destructor: at dlclose for a shared library, at exit otherwise), so a
  /// model leaves no memory behind. Only in models that allocate: the
  /// others keep no reference to libc's allocator.
  void buildRelease() {
    llvm::Function *fn = define("attnc.heap.release", llvm::FunctionType::get(voidType, false));
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", fn));
    acquire(fn);
    forEachSlot(fn, [&](llvm::Value *slot, llvm::BasicBlock *next) {
      auto *owned = llvm::BasicBlock::Create(ctx, "cached", fn);
      llvm::Value *base = b.CreateLoad(ptr, field(slot, 0));
      b.CreateCondBr(b.CreateIsNull(base), next, owned);
      b.SetInsertPoint(owned);
      b.CreateCall(freeC, {base});
      b.CreateStore(llvm::ConstantPointerNull::get(ptr), field(slot, 0));
      b.CreateBr(next);
    });
    release();
    b.CreateRetVoid();
    llvm::appendToGlobalDtors(module, fn, /*Priority=*/65535);
  }

  void buildStats(const char *name) {
    auto *fn = llvm::Function::Create(llvm::FunctionType::get(voidType, {ptr}, false),
                                      llvm::GlobalValue::ExternalLinkage, name, module);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", fn));
    llvm::Value *out = fn->getArg(0);
    auto load = [&](llvm::GlobalVariable *counter) {
      llvm::LoadInst *value = b.CreateLoad(i64, counter);
      value->setAtomic(kOrder);
      value->setAlignment(llvm::Align(8));
      return value;
    };
    b.CreateStore(load(allocations), out);
    b.CreateStore(load(allocated), b.CreateConstInBoundsGEP1_64(i64, out, 1));
    b.CreateStore(load(peak), b.CreateConstInBoundsGEP1_64(i64, out, 2));
    llvm::StoreInst *restart = b.CreateStore(load(live), peak);
    restart->setAtomic(kOrder);
    restart->setAlignment(llvm::Align(8));
    b.CreateRetVoid();
  }

  static constexpr llvm::AtomicOrdering kOrder = llvm::AtomicOrdering::Monotonic;
  llvm::Module &module;
  llvm::LLVMContext &ctx;
  llvm::IRBuilder<> b;
  llvm::Type *i64, *i32, *voidType;
  llvm::PointerType *ptr;
  llvm::StructType *slotType;
  llvm::GlobalVariable *allocations, *allocated, *live, *peak, *lock, *cache;
  llvm::FunctionCallee alignedAllocC, freeC;
};

} // namespace

void defineModelAllocator(llvm::Module &module, const char *statsFunction) {
  AllocatorBuilder(module).build(statsFunction);
}

} // namespace attnc::cpu

//===- DeviceBuffers.cpp - Device memory for every buffer a kernel uses ---===//
//
// A kernel reads and writes device memory; the caller's inputs and outputs
// are host memory, and so is every memref.alloc until told otherwise. After
// bufferization this pass finds each buffer a gpu.launch captures (through
// casts and views), gives it device memory and moves the data where the
// host needs it:
//   - memref.alloc -> gpu.alloc; freed by gpu.dealloc before each return;
//   - a function argument -> a device copy, filled at the start when a
//     kernel reads it and copied back before each return when one writes it
//     (a view of a larger buffer: a copy of that whole buffer, same view);
//   - an allocation the host fills by stores first -> the host's until its
//     last store, then copied to a device buffer the kernels read;
//   - a global (a weight) -> the device copy the runtime uploads on first
//     use and keeps while the model is loaded (attnc_cuda_constant), never
//     freed by the function;
//   - a host memref.copy from or into a device buffer -> gpu.memcpy.
// Anything else on the host that touches a device buffer would read or
// write memory the host cannot see: it is an error naming the operation.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/SetVector.h"

namespace attnc::gpu {
#define GEN_PASS_DEF_GPUDEVICEBUFFERSPASS
#include "compiler/gpu/Passes.h.inc"
} // namespace attnc::gpu

using namespace mlir;

namespace {

/// A memref of `type` (identity layout) at the device address `address`:
/// the LLVM descriptor built by hand, the cast to the memref reconciled
/// away when the memref ops are lowered.
Value memrefAt(OpBuilder &b, Location loc, MemRefType type, Value address) {
  MLIRContext *ctx = b.getContext();
  auto i64 = b.getI64Type();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto dims = LLVM::LLVMArrayType::get(i64, type.getRank());
  auto descriptorType = LLVM::LLVMStructType::getLiteral(ctx, {ptr, ptr, i64, dims, dims});
  Value integer = arith::IndexCastOp::create(b, loc, i64, address);
  Value pointer = LLVM::IntToPtrOp::create(b, loc, ptr, integer);
  auto constant = [&](int64_t v) { return LLVM::ConstantOp::create(b, loc, i64, v); };
  Value descriptor = LLVM::UndefOp::create(b, loc, descriptorType);
  descriptor = LLVM::InsertValueOp::create(b, loc, descriptor, pointer, ArrayRef<int64_t>{0});
  descriptor = LLVM::InsertValueOp::create(b, loc, descriptor, pointer, ArrayRef<int64_t>{1});
  descriptor = LLVM::InsertValueOp::create(b, loc, descriptor, constant(0), ArrayRef<int64_t>{2});
  int64_t stride = 1;
  for (int64_t d = type.getRank() - 1; d >= 0; --d) {
    descriptor = LLVM::InsertValueOp::create(b, loc, descriptor, constant(type.getDimSize(d)),
                                             ArrayRef<int64_t>{3, d});
    descriptor = LLVM::InsertValueOp::create(b, loc, descriptor, constant(stride),
                                             ArrayRef<int64_t>{4, d});
    stride *= type.getDimSize(d);
  }
  return UnrealizedConversionCastOp::create(b, loc, type, descriptor).getResult(0);
}

/// Declares the runtime's `attnc_cuda_constant(host, bytes) -> device`
/// (runtime/src/CudaDriver.cpp) in `module` once.
func::FuncOp constantUploadFunction(ModuleOp module) {
  constexpr llvm::StringLiteral name = "attnc_cuda_constant";
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto index = b.getIndexType();
  auto function =
      func::FuncOp::create(b, module.getLoc(), name, b.getFunctionType({index, index}, {index}));
  function.setPrivate();
  return function;
}

/// Whether `value` is a dense buffer (identity layout): what gpu.alloc
/// makes and gpu.memcpy copies. Its dims may be run-time ones.
bool isDense(Value value) {
  auto type = dyn_cast<MemRefType>(value.getType());
  return type && type.getLayout().isIdentity();
}

/// The dense buffer a strided `type` views when it is row-major with room
/// to spare along some dims (a KV cache kept in place: positions up to its
/// capacity, a run's past filling some): static strides and offset 0, the
/// last stride 1, each other a whole multiple of the next one; the view's
/// dim i then spans stride[i-1] / stride[i] elements of the buffer. The
/// buffer's shape, or nullopt.
std::optional<SmallVector<int64_t>> coveringShape(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  int64_t rank = type.getRank();
  if (rank == 0 || failed(type.getStridesAndOffset(strides, offset)) || offset != 0 ||
      llvm::any_of(strides, ShapedType::isDynamic) || strides.back() != 1 ||
      type.isDynamicDim(0))
    return std::nullopt;
  SmallVector<int64_t> shape(rank);
  shape[0] = type.getDimSize(0);
  for (int64_t d = 1; d < rank; ++d) {
    if (strides[d] <= 0 || strides[d - 1] % strides[d] != 0)
      return std::nullopt;
    shape[d] = strides[d - 1] / strides[d];
    if (!type.isDynamicDim(d) && type.getDimSize(d) > shape[d])
      return std::nullopt;
  }
  return shape;
}

/// The run-time dims of dense `buffer`, in order, for a gpu.alloc like it.
SmallVector<Value> dynamicSizesOf(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(memref::DimOp::create(b, loc, buffer, d));
  return sizes;
}

/// The buffers the kernels of `func` use, those they load from and those
/// they store into.
struct KernelBuffers {
  llvm::SetVector<Value> used;
  llvm::DenseSet<Value> read, written;
};

KernelBuffers collectKernelBuffers(func::FuncOp func) {
  KernelBuffers buffers;
  func.walk([&](gpu::LaunchOp launch) {
    launch.getBody().walk([&](Operation *op) {
      for (Value operand : op->getOperands())
        if (isa<MemRefType>(operand.getType()) &&
            !launch.getBody().isAncestor(operand.getParentRegion()))
          buffers.used.insert(attnc::gpu::viewedBuffer(operand));
      if (auto store = dyn_cast<memref::StoreOp>(op))
        buffers.written.insert(attnc::gpu::viewedBuffer(store.getMemRef()));
      if (auto load = dyn_cast<memref::LoadOp>(op))
        buffers.read.insert(attnc::gpu::viewedBuffer(load.getMemRef()));
    });
  });
  return buffers;
}

struct GpuDeviceBuffersPass
    : public attnc::gpu::impl::GpuDeviceBuffersPassBase<GpuDeviceBuffersPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (failed(checkNothingComputesOnHost(func)))
      return signalPassFailure();
    KernelBuffers buffers = collectKernelBuffers(func);
    if (buffers.used.empty())
      return;
    llvm::SetVector<Value> device;
    for (Value root : buffers.used) {
      FailureOr<Value> copy = deviceBufferFor(func, root, buffers.read.contains(root),
                                              buffers.written.contains(root));
      if (failed(copy))
        return signalPassFailure();
      device.insert(*copy);
    }
    for (Value buffer : device)
      if (failed(rewriteHostUses(buffer)))
        return signalPassFailure();
    freeAtReturns(func, device.getArrayRef());
  }

  /// A --device=cuda model computes in kernels only: a loop nest left on
  /// the host (a lowering this pipeline does not expect) would run there,
  /// single-threaded, unasked.
  LogicalResult checkNothingComputesOnHost(func::FuncOp func) {
    WalkResult result = func.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<mlir::gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (isa<linalg::LinalgOp, scf::ForOp, scf::ParallelOp, scf::ForallOp, scf::WhileOp>(op)) {
        op->emitOpError("would run on the host, outside every kernel (internal error: "
                        "gpu-loops-to-kernels runs every loop nest on the GPU)");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }

  /// The device buffer that replaces `root` in every use.
  FailureOr<Value> deviceBufferFor(func::FuncOp func, Value root, bool read, bool written) {
    Location loc = root.getLoc();
    if (!isDense(root) && !(isa<BlockArgument>(root) &&
                            coveringShape(cast<MemRefType>(root.getType())))) {
      emitError(loc) << "the CUDA backend needs a kernel's buffers dense, or a caller's view "
                        "of a dense buffer with room to spare, got "
                     << root.getType();
      return failure();
    }
    if (auto global = root.getDefiningOp<memref::GetGlobalOp>()) {
      // A weight: uploaded on first use by the runtime, which keeps the
      // device copy for every later run while the model is loaded.
      OpBuilder b(global);
      b.setInsertionPointAfter(global);
      auto type = cast<MemRefType>(global.getType());
      int64_t bytes = type.getNumElements() * type.getElementTypeBitWidth() / 8;
      Value host = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, global);
      Value address =
          func::CallOp::create(b, loc, constantUploadFunction(func->getParentOfType<ModuleOp>()),
                               ValueRange{host, arith::ConstantIndexOp::create(b, loc, bytes)})
              .getResult(0);
      Value device = memrefAt(b, loc, type, address);
      global.getResult().replaceAllUsesExcept(device, host.getDefiningOp());
      constants.insert(device);
      return device;
    }
    if (auto alloc = root.getDefiningOp<memref::AllocOp>()) {
      if (hasHostStores(alloc))
        return stagedDeviceBuffer(alloc);
      OpBuilder b(alloc);
      auto deviceAlloc =
          gpu::AllocOp::create(b, loc, alloc.getType(), /*asyncToken=*/Type(), ValueRange{},
                               alloc.getDynamicSizes(), alloc.getSymbolOperands());
      alloc.replaceAllUsesWith(deviceAlloc.getMemref());
      alloc.erase();
      return deviceAlloc.getMemref();
    }
    auto argument = dyn_cast<BlockArgument>(root);
    if (argument && argument.getOwner() == &func.getBody().front() && !isDense(argument))
      return deviceCopyOfView(func, argument, read, written);
    if (!argument || argument.getOwner() != &func.getBody().front()) {
      InFlightDiagnostic diag = emitError(loc)
                                << "the CUDA backend cannot give a kernel this buffer yet";
      if (Operation *def = root.getDefiningOp())
        diag << " (defined by '" << def->getName() << "')";
      return failure();
    }
    OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
    // A run-time dim is the argument's own (read before its uses move).
    SmallVector<Value> sizes = dynamicSizesOf(b, loc, argument);
    auto copy = gpu::AllocOp::create(b, loc, argument.getType(), Type(), ValueRange{}, sizes,
                                     ValueRange{});
    Value deviceArg = copy.getMemref();
    SmallPtrSet<Operation *, 4> keep = {copy};
    for (Value size : sizes)
      keep.insert(size.getDefiningOp());
    argument.replaceAllUsesExcept(deviceArg, keep);
    // An output the kernels only write needs no copy in.
    if (read)
      gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, deviceArg, argument);
    if (written)
      func.walk([&](func::ReturnOp ret) {
        OpBuilder atReturn(ret);
        gpu::MemcpyOp::create(atReturn, loc, Type(), ValueRange{}, argument, deviceArg);
      });
    return deviceArg;
  }

  /// A store the host makes itself, outside every kernel.
  static bool isHostStore(Operation *op) {
    return isa<memref::StoreOp>(op) && !op->getParentOfType<gpu::LaunchOp>();
  }

  /// Whether the host writes elements of `alloc` itself (a run-time
  /// scalar the graph made a tensor of: a Range's start, say).
  static bool hasHostStores(memref::AllocOp alloc) {
    return llvm::any_of(alloc->getUsers(), isHostStore);
  }

  /// A buffer the host fills element by element before kernels read it:
  /// the host keeps writing its own buffer, which is copied to a device
  /// one after the last of those stores; the kernels read the copy. The
  /// stores must all come, in `alloc`'s block, before every other use.
  FailureOr<Value> stagedDeviceBuffer(memref::AllocOp alloc) {
    Block *block = alloc->getBlock();
    Operation *lastStore = nullptr;
    SmallVector<Operation *> others;
    for (Operation *user : alloc->getUsers()) {
      bool hostStore = isHostStore(user);
      if (hostStore && user->getBlock() != block)
        return user->emitOpError("writes a kernel's buffer on the host inside a region; the "
                                 "CUDA backend copies such buffers once, before the kernels");
      if (hostStore && (!lastStore || lastStore->isBeforeInBlock(user)))
        lastStore = user;
      else if (!hostStore && !isa<memref::DeallocOp>(user))
        others.push_back(block->findAncestorOpInBlock(*user));
    }
    for (Operation *use : others)
      if (!use || use->isBeforeInBlock(lastStore))
        return lastStore->emitOpError("writes a kernel's buffer on the host after a kernel or "
                                      "copy uses it; the CUDA backend copies it once, before");
    OpBuilder b(lastStore);
    b.setInsertionPointAfter(lastStore);
    Location loc = alloc.getLoc();
    auto device = gpu::AllocOp::create(b, loc, alloc.getType(), Type(), ValueRange{},
                                       alloc.getDynamicSizes(), alloc.getSymbolOperands());
    gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, device.getMemref(), alloc.getResult());
    alloc.getResult().replaceUsesWithIf(device.getMemref(), [&](OpOperand &use) {
      Operation *user = use.getOwner();
      return !isHostStore(user) && !isa<memref::DeallocOp, gpu::MemcpyOp>(user);
    });
    // The host's buffer keeps its deallocation, if it has one; if not,
    // gpu-free-host-buffers, after this pass, frees it at the returns.
    return device.getMemref();
  }

  /// A caller's buffer that views a larger dense one (coveringShape): the
  /// whole dense buffer gets a device copy (copied in when a kernel reads
  /// the view, back when one writes it), and the kernels read the same view
  /// of it.
  Value deviceCopyOfView(func::FuncOp func, BlockArgument argument, bool read, bool written) {
    Location loc = argument.getLoc();
    auto type = cast<MemRefType>(argument.getType());
    SmallVector<int64_t> shape = *coveringShape(type);
    auto denseType = MemRefType::get(shape, type.getElementType());
    OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
    SmallVector<int64_t> denseStrides(shape.size(), 1);
    for (int64_t d = shape.size() - 2; d >= 0; --d)
      denseStrides[d] = denseStrides[d + 1] * shape[d + 1];
    auto host = memref::ReinterpretCastOp::create(b, loc, denseType, argument, 0, shape,
                                                  denseStrides);
    auto device = gpu::AllocOp::create(b, loc, denseType, Type(), ValueRange{}, ValueRange{},
                                       ValueRange{});
    // The view's extents in this run (its run-time dims read on the host).
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      sizes.push_back(type.isDynamicDim(d)
                          ? OpFoldResult(memref::DimOp::create(b, loc, argument, d).getResult())
                          : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
    SmallVector<int64_t> strides;
    int64_t offset;
    (void)type.getStridesAndOffset(strides, offset);
    auto view = memref::ReinterpretCastOp::create(
        b, loc, type, device.getMemref(), b.getIndexAttr(0), sizes,
        llvm::map_to_vector(strides, [&](int64_t s) -> OpFoldResult { return b.getIndexAttr(s); }));
    SmallPtrSet<Operation *, 4> keep = {host};
    for (OpFoldResult size : sizes)
      if (auto value = dyn_cast<Value>(size))
        keep.insert(value.getDefiningOp());
    argument.replaceAllUsesExcept(view.getResult(), keep);
    if (read)
      gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, device.getMemref(), host.getResult());
    if (written)
      func.walk([&](func::ReturnOp ret) {
        OpBuilder atReturn(ret);
        gpu::MemcpyOp::create(atReturn, loc, Type(), ValueRange{}, host.getResult(),
                              device.getMemref());
      });
    freedAs[view.getResult()] = device.getMemref();
    return view.getResult();
  }

  /// Host operations on `buffer` (outside kernels): copies become
  /// gpu.memcpy, casts pass it on, deallocations are dropped (freeAtReturns
  /// frees it); anything else is an error.
  LogicalResult rewriteHostUses(Value buffer) {
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : buffer.getUses())
      uses.push_back(&use);
    for (OpOperand *use : uses) {
      Operation *user = use->getOwner();
      if (user->getParentOfType<gpu::LaunchOp>() || isa<gpu::GPUDialect>(user->getDialect()))
        continue;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
        // Views only compute addresses: their uses decide.
        for (Value result : user->getResults())
          if (failed(rewriteHostUses(result)))
            return failure();
        continue;
      }
      if (auto copy = dyn_cast<memref::CopyOp>(user)) {
        if (!isDense(copy.getSource()) || !isDense(copy.getTarget()))
          return copy.emitOpError("copies a device buffer through a strided view; the CUDA "
                                  "backend copies dense buffers only");
        OpBuilder b(copy);
        gpu::MemcpyOp::create(b, copy.getLoc(), Type(), ValueRange{}, copy.getTarget(),
                              copy.getSource());
        copy.erase();
        continue;
      }
      if (isa<memref::DeallocOp>(user)) {
        user->erase();
        continue;
      }
      // A run-time dim is read from the descriptor, on the host.
      if (isa<memref::DimOp>(user))
        continue;
      if (isa<func::ReturnOp>(user))
        return user->emitOpError("returns a device buffer; the CUDA backend returns results "
                                 "through the caller's buffers");
      return user->emitOpError("would read or write device memory from the host");
    }
    return success();
  }

  /// gpu.dealloc of every device buffer before each return (the runtime
  /// keeps the weights' copies).
  void freeAtReturns(func::FuncOp func, ArrayRef<Value> device) {
    func.walk([&](func::ReturnOp ret) {
      OpBuilder b(ret);
      for (Value buffer : device)
        if (!constants.contains(buffer))
          mlir::gpu::DeallocOp::create(b, ret.getLoc(), Type(), ValueRange{},
                                       freedAs.lookup(buffer) ? freedAs.lookup(buffer) : buffer);
    });
  }

  /// The device copies of globals (never freed by the model).
  llvm::DenseSet<Value> constants;
  /// Device views of caller views (deviceCopyOfView) -> the allocations
  /// to free for them.
  llvm::DenseMap<Value, Value> freedAs;
};

} // namespace

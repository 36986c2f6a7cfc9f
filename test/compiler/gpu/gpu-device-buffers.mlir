// RUN: attnc-opt %s -split-input-file -gpu-device-buffers | FileCheck %s

// An input the kernel reads: copied to the device at the start, not back.
// A buffer the kernel writes: allocated on the device; the host's copy
// into the caller's output becomes a gpu.memcpy; both freed at the end.
// CHECK-LABEL: func.func @read_input_write_temporary
// CHECK-SAME: (%[[IN:.+]]: memref<4x8xf32>, %[[OUT:.+]]: memref<4x8xf32>)
// CHECK: %[[DIN:.+]] = gpu.alloc () : memref<4x8xf32>
// CHECK: gpu.memcpy %[[DIN]], %[[IN]]
// CHECK: %[[TMP:.+]] = gpu.alloc () : memref<4x8xf32>
// CHECK: gpu.launch
// CHECK: memref.load %[[DIN]]
// CHECK: memref.store %{{.+}}, %[[TMP]]
// CHECK: gpu.memcpy %[[OUT]], %[[TMP]]
// CHECK-NOT: memref.dealloc
// CHECK-NOT: gpu.memcpy %[[IN]]
// CHECK-DAG: gpu.dealloc %[[DIN]]
// CHECK-DAG: gpu.dealloc %[[TMP]]
// CHECK: return
func.func @read_input_write_temporary(%in: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %tmp = memref.alloc() : memref<4x8xf32>
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    %a = memref.load %in[%tx, %tx] : memref<4x8xf32>
    memref.store %a, %tmp[%tx, %tx] : memref<4x8xf32>
    gpu.terminator
  }
  memref.copy %tmp, %out : memref<4x8xf32> to memref<4x8xf32>
  memref.dealloc %tmp : memref<4x8xf32>
  return
}

// -----

// A caller's buffer the kernel writes in place: copied in, and back before
// the return (through the cast the kernel reads it by).
// CHECK-LABEL: func.func @written_argument
// CHECK-SAME: (%[[IO:.+]]: memref<16xf32>)
// CHECK: %[[D:.+]] = gpu.alloc () : memref<16xf32>
// CHECK: gpu.memcpy %[[D]], %[[IO]]
// CHECK: memref.cast %[[D]]
// CHECK: gpu.launch
// CHECK: gpu.memcpy %[[IO]], %[[D]]
// CHECK-NEXT: gpu.dealloc %[[D]]
// CHECK-NEXT: return
func.func @written_argument(%io: memref<16xf32>) {
  %view = memref.cast %io : memref<16xf32> to memref<?xf32>
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    %a = memref.load %view[%tx] : memref<?xf32>
    %b = arith.addf %a, %a : f32
    memref.store %b, %view[%tx] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

// No kernel: nothing changes.
// CHECK-LABEL: func.func @host_only
// CHECK-NOT: gpu.
func.func @host_only(%in: memref<4xf32>, %out: memref<4xf32>) {
  memref.copy %in, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// A weight a kernel reads: its device copy comes from the runtime
// (attnc_cuda_constant uploads it on first use and keeps it), as a memref built
// on the returned address; it is not freed at the end.
// CHECK: func.func private @attnc_cuda_constant(index, index) -> index
// CHECK-LABEL: func.func @reads_weights
// CHECK: %[[HOST:.+]] = memref.get_global @weights : memref<4x2xf32>
// CHECK: %[[PTR:.+]] = memref.extract_aligned_pointer_as_index %[[HOST]]
// CHECK: %[[DEV:.+]] = call @attnc_cuda_constant(%[[PTR]], %c32)
// CHECK: %[[ADDR:.+]] = arith.index_cast %[[DEV]] : index to i64
// CHECK: llvm.inttoptr %[[ADDR]]
// CHECK: %[[W:.+]] = builtin.unrealized_conversion_cast %{{.+}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<4x2xf32>
// CHECK: gpu.launch
// CHECK: memref.load %[[W]]
// CHECK-NOT: gpu.dealloc %[[W]]
// CHECK: return
memref.global "private" constant @weights : memref<4x2xf32> = dense<1.0>

func.func @reads_weights(%out: memref<4xf32>) {
  %w = memref.get_global @weights : memref<4x2xf32>
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w2 = %c1) {
    %a = memref.load %w[%tx, %tx] : memref<4x2xf32>
    memref.store %a, %out[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

// An output the kernel only writes: no copy in, a copy back.
// CHECK-LABEL: func.func @write_only_output
// CHECK-SAME: (%[[OUT:.+]]: memref<8xf32>)
// CHECK: %[[D:.+]] = gpu.alloc () : memref<8xf32>
// CHECK-NOT: gpu.memcpy %[[D]], %[[OUT]]
// CHECK: gpu.launch
// CHECK: gpu.memcpy %[[OUT]], %[[D]]
// CHECK-NEXT: gpu.dealloc %[[D]]
func.func @write_only_output(%out: memref<8xf32>) {
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    memref.store %f, %out[%tx] : memref<8xf32>
    gpu.terminator
  }
  return
}

// -----

// Run-time dims (`--max-shape`): the device copies take the argument's and
// the allocation's extents, the host reads an extent from the descriptor
// (a launch's grid), and the copies move the run's elements.
// CHECK-LABEL: func.func @run_time_dims
// CHECK-SAME: (%[[IN:.+]]: memref<?x8xf32>, %[[OUT:.+]]: memref<?x8xf32>)
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: %[[ROWS:.+]] = memref.dim %[[IN]], %[[C0]]
// CHECK: %[[DIN:.+]] = gpu.alloc (%[[ROWS]]) : memref<?x8xf32>
// CHECK: gpu.memcpy %[[DIN]], %[[IN]] : memref<?x8xf32>, memref<?x8xf32>
// CHECK: %[[N:.+]] = memref.dim %[[DIN]]
// CHECK: %[[TMP:.+]] = gpu.alloc (%[[N]]) : memref<?x8xf32>
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[N]],
// CHECK: gpu.memcpy %[[OUT]], %[[TMP]] : memref<?x8xf32>, memref<?x8xf32>
// CHECK-DAG: gpu.dealloc %[[DIN]]
// CHECK-DAG: gpu.dealloc %[[TMP]]
// CHECK: return
func.func @run_time_dims(%in: memref<?x8xf32>, %out: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %in, %c0 : memref<?x8xf32>
  %tmp = memref.alloc(%n) : memref<?x8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %n, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    %a = memref.load %in[%bx, %tx] : memref<?x8xf32>
    memref.store %a, %tmp[%bx, %tx] : memref<?x8xf32>
    gpu.terminator
  }
  memref.copy %tmp, %out : memref<?x8xf32> to memref<?x8xf32>
  memref.dealloc %tmp : memref<?x8xf32>
  return
}

// -----

// A caller's view of a larger dense buffer (a KV cache kept in place: its
// positions up to a capacity of 32, the run's past filling some): the
// whole [1, 2, 32, 8] buffer gets a device copy, in and back, and the
// kernel reads the same view of it, of the run's extent; the copy is
// what is freed.
// CHECK-LABEL: func.func @cache_view
// CHECK-SAME: (%[[CACHE:.+]]: memref<1x2x?x8xf32, strided<[512, 256, 8, 1]>>)
// CHECK: %[[HOST:.+]] = memref.reinterpret_cast %[[CACHE]] to offset: [0], sizes: [1, 2, 32, 8], strides: [512, 256, 8, 1] : {{.+}} to memref<1x2x32x8xf32>
// CHECK: %[[DEV:.+]] = gpu.alloc () : memref<1x2x32x8xf32>
// CHECK: %[[LEN:.+]] = memref.dim %[[CACHE]], %c2
// CHECK: %[[VIEW:.+]] = memref.reinterpret_cast %[[DEV]] to offset: [0], sizes: [1, 2, %[[LEN]], 8], strides: [512, 256, 8, 1]
// CHECK: gpu.memcpy %[[DEV]], %[[HOST]]
// CHECK: gpu.launch
// CHECK: memref.load %[[VIEW]]
// CHECK: memref.store %{{.+}}, %[[VIEW]]
// CHECK: gpu.memcpy %[[HOST]], %[[DEV]]
// CHECK-NEXT: gpu.dealloc %[[DEV]]
// CHECK-NEXT: return
func.func @cache_view(%cache: memref<1x2x?x8xf32, strided<[512, 256, 8, 1]>>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %n = memref.dim %cache, %c2 : memref<1x2x?x8xf32, strided<[512, 256, 8, 1]>>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %n, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    %a = memref.load %cache[%c0, %c1, %bx, %tx] : memref<1x2x?x8xf32, strided<[512, 256, 8, 1]>>
    %b = arith.addf %a, %a : f32
    memref.store %b, %cache[%c0, %c1, %bx, %tx] : memref<1x2x?x8xf32, strided<[512, 256, 8, 1]>>
    gpu.terminator
  }
  return
}

// -----

// A scalar the host fills (a Range's start made a 1-element tensor): the
// host keeps storing into its own buffer, which is copied to a device one
// after the last store; the kernel reads the device copy. The host buffer
// is left to gpu-free-host-buffers; the device one is freed here.
// CHECK-LABEL: func.func @host_filled_scalar
// CHECK-SAME: (%[[N:.+]]: index, %[[OUT:.+]]: memref<4xi64>)
// CHECK: %[[HOST:.+]] = memref.alloc() : memref<1xi64>
// CHECK: memref.store %{{.+}}, %[[HOST]]
// CHECK-NEXT: %[[DEV:.+]] = gpu.alloc () : memref<1xi64>
// CHECK-NEXT: gpu.memcpy %[[DEV]], %[[HOST]]
// CHECK: gpu.launch
// CHECK: memref.load %[[DEV]]
// CHECK-NOT: memref.dealloc
// CHECK-DAG: gpu.dealloc %[[DEV]]
// CHECK: return
func.func @host_filled_scalar(%n: index, %out: memref<4xi64>) {
  %start = memref.alloc() : memref<1xi64>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %v = arith.index_cast %n : index to i64
  memref.store %v, %start[%c0] : memref<1xi64>
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v2 = %c1, %w = %c1) {
    %s = memref.load %start[%c0] : memref<1xi64>
    memref.store %s, %out[%tx] : memref<4xi64>
    gpu.terminator
  }
  return
}

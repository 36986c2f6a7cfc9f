// RUN: attnc-opt %s -attn-plan-memory -split-input-file | FileCheck %s
// RUN: attnc-opt %s -attn-plan-memory="workspace-argument=true alignment=128" -split-input-file | FileCheck %s --check-prefix=WS
// RUN: attnc-opt %s -attn-plan-memory=sequential-tasks=true -split-input-file | FileCheck %s --check-prefix=SEQ

#id = affine_map<(d0, d1) -> (d0, d1)>

// A chain a -> b -> c: a is dead once b is written, so c takes a's bytes and
// the arena holds two buffers, not three.
// CHECK-LABEL: func.func @chain_reuses_dead_buffer
// CHECK-SAME: attn.memory_plan = {arena_bytes = 8192 : i64, buffers = 3 : i64, heap_allocs = 0 : i64, workspace = false}
// CHECK: %[[ARENA:.+]] = memref.alloc() {alignment = 64 : i64} : memref<8192xi8>
// CHECK: memref.view %[[ARENA]][%c0][] : memref<8192xi8> to memref<32x32xf32>
// CHECK: memref.view %[[ARENA]][%c4096][] : memref<8192xi8> to memref<32x32xf32>
// CHECK: memref.view %[[ARENA]][%c0_{{.*}}][] : memref<8192xi8> to memref<32x32xf32>
// CHECK-NOT: memref.alloc
// WS-LABEL: func.func @chain_reuses_dead_buffer
// WS-SAME: (%{{.+}}: memref<32x32xf32>, %{{.+}}: memref<32x32xf32>, %[[WS:.+]]: memref<8192xi8>)
// WS-SAME: workspace = true
// WS-NOT: memref.alloc
// WS: memref.view %[[WS]]
func.func @chain_reuses_dead_buffer(%x: memref<32x32xf32>, %out: memref<32x32xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<32x32xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<32x32xf32>) outs(%a : memref<32x32xf32>) {
  ^bb0(%i: f32, %o: f32):
    %e = math.exp %i : f32
    linalg.yield %e : f32
  }
  %b = memref.alloc() {alignment = 64 : i64} : memref<32x32xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<32x32xf32>) outs(%b : memref<32x32xf32>) {
  ^bb0(%i: f32, %o: f32):
    %e = math.exp %i : f32
    linalg.yield %e : f32
  }
  %c = memref.alloc() {alignment = 64 : i64} : memref<32x32xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<32x32xf32>) outs(%c : memref<32x32xf32>) {
  ^bb0(%i: f32, %o: f32):
    %e = math.exp %i : f32
    linalg.yield %e : f32
  }
  memref.copy %c, %out : memref<32x32xf32> to memref<32x32xf32>
  return
}

// -----

// A view keeps its buffer alive: %a's subview is read after %b is
// written, so the two never share bytes; %b's bytes start past %a's.
// CHECK-LABEL: func.func @view_extends_life
// CHECK-SAME: arena_bytes = 8192 : i64
// CHECK: memref.view %{{.+}}[%c0][]
// CHECK: memref.subview
// CHECK: memref.view %{{.+}}[%c4096][]
func.func @view_extends_life(%x: memref<32x32xf32>, %out: memref<16x32xf32>) {
  %a = memref.alloc() : memref<32x32xf32>
  memref.copy %x, %a : memref<32x32xf32> to memref<32x32xf32>
  %top = memref.subview %a[0, 0] [16, 32] [1, 1] : memref<32x32xf32> to memref<16x32xf32, strided<[32, 1]>>
  %b = memref.alloc() : memref<32x32xf32>
  memref.copy %x, %b : memref<32x32xf32> to memref<32x32xf32>
  memref.copy %top, %out : memref<16x32xf32, strided<[32, 1]>> to memref<16x32xf32>
  return
}

// -----

// A use inside a loop keeps the buffer alive for the whole loop; the
// loop's own scratch buffer (nested) is not planned and counts as a heap
// allocation.
// CHECK-LABEL: func.func @nested_use_and_nested_alloc
// CHECK-SAME: arena_bytes = 8192 : i64, buffers = 2 : i64, heap_allocs = 1 : i64
// CHECK: scf.for
// CHECK: memref.alloc() : memref<32xf32>
func.func @nested_use_and_nested_alloc(%x: memref<32x32xf32>, %out: memref<32x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = memref.alloc() : memref<32x32xf32>
  memref.copy %x, %a : memref<32x32xf32> to memref<32x32xf32>
  %b = memref.alloc() : memref<32x32xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %scratch = memref.alloc() : memref<32xf32>
    %row = memref.subview %a[%i, 0] [1, 32] [1, 1] : memref<32x32xf32> to memref<32xf32, strided<[1], offset: ?>>
    memref.copy %row, %scratch : memref<32xf32, strided<[1], offset: ?>> to memref<32xf32>
    memref.dealloc %scratch : memref<32xf32>
  }
  memref.copy %x, %b : memref<32x32xf32> to memref<32x32xf32>
  memref.copy %b, %out : memref<32x32xf32> to memref<32x32xf32>
  return
}

// -----

// What the pass cannot follow stays on the heap: a returned buffer (also
// when it is returned through a loop's results), one turned into a tensor,
// and a dynamic shape.
// CHECK-LABEL: func.func @escaping_and_dynamic_stay
// CHECK-SAME: arena_bytes = 0 : i64, buffers = 0 : i64, heap_allocs = 4 : i64
// CHECK-NOT: memref.view
// CHECK: memref.alloc() : memref<8xf32>
// CHECK: memref.alloc() : memref<8xf32>
// CHECK: memref.alloc() : memref<8xf32>
// CHECK: memref.alloc(%{{.+}}) : memref<?xf32>
// WS-LABEL: func.func @escaping_and_dynamic_stay
// WS-SAME: (%{{[^:]+}}: index) -> (memref<8xf32>, memref<8xf32>, tensor<8xf32>)
// WS-SAME: workspace = false
func.func @escaping_and_dynamic_stay(%n: index) -> (memref<8xf32>, memref<8xf32>, tensor<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %ret = memref.alloc() : memref<8xf32>
  %carried = memref.alloc() : memref<8xf32>
  %r = scf.for %i = %c0 to %c1 step %c1 iter_args(%m = %carried) -> (memref<8xf32>) {
    scf.yield %m : memref<8xf32>
  }
  %as_tensor = memref.alloc() : memref<8xf32>
  %t = bufferization.to_tensor %as_tensor : memref<8xf32> to tensor<8xf32>
  %dyn = memref.alloc(%n) : memref<?xf32>
  return %ret, %r, %t : memref<8xf32>, memref<8xf32>, tensor<8xf32>
}

// -----

// A buffer carried through a loop's iterations and read after it is
// planned: its life runs to that last read, so the buffer allocated
// before the loop cannot share its bytes, and the one after it can.
// CHECK-LABEL: func.func @loop_carried_buffer_planned
// CHECK-SAME: arena_bytes = 96 : i64, buffers = 3 : i64, heap_allocs = 0 : i64
// CHECK: memref.view %{{.+}}[%c0{{.*}}][] : memref<96xi8> to memref<8xf32>
// CHECK: memref.view %{{.+}}[%c64][] : memref<96xi8> to memref<8xf32>
// CHECK: scf.for
// CHECK: memref.view %{{.+}}[%c64{{.*}}][] : memref<96xi8> to memref<8xf32>
func.func @loop_carried_buffer_planned(%x: memref<8xf32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  %carried = memref.alloc() : memref<8xf32>
  %other = memref.alloc() : memref<8xf32>
  memref.copy %x, %other : memref<8xf32> to memref<8xf32>
  %r = scf.for %i = %c0 to %c2 step %c1 iter_args(%m = %carried) -> (memref<8xf32>) {
    memref.copy %other, %m : memref<8xf32> to memref<8xf32>
    scf.yield %m : memref<8xf32>
  }
  %after = memref.alloc() : memref<8xf32>
  memref.copy %r, %after : memref<8xf32> to memref<8xf32>
  memref.copy %after, %out : memref<8xf32> to memref<8xf32>
  return
}

// -----

// Alignment: every offset is a multiple of the alignment (64 by default,
// 128 with alignment=128), so a 4-byte buffer still takes a whole slot when
// it lives beside another.
// CHECK-LABEL: func.func @offsets_aligned
// CHECK-SAME: arena_bytes = 68 : i64
// WS-LABEL: func.func @offsets_aligned
// WS-SAME: arena_bytes = 132 : i64
func.func @offsets_aligned(%x: memref<1xf32>, %out: memref<1xf32>) {
  %a = memref.alloc() : memref<1xf32>
  memref.copy %x, %a : memref<1xf32> to memref<1xf32>
  %b = memref.alloc() : memref<1xf32>
  memref.copy %a, %b : memref<1xf32> to memref<1xf32>
  memref.copy %b, %out : memref<1xf32> to memref<1xf32>
  return
}

// -----

// A parallel loop's per-task scratch becomes a slab with one 64-byte-aligned
// slot per task (2 x 3 tasks of 40 bytes: 6 x 64), live while the loop runs,
// so it shares no bytes with %a (live across the loop) and may reuse what
// is dead by then. Each task views the slot of its row-major index
// i * 3 + (j - 2) / 2. A task buffer whose memory leaves the
// task (here as a tensor) stays on the heap.
// CHECK-LABEL: func.func @task_scratch_in_slots
// CHECK-SAME: arena_bytes = 512 : i64, buffers = 2 : i64, heap_allocs = 1 : i64
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<512xi8>
// CHECK: memref.view %[[ARENA]][%{{.*}}][] : memref<512xi8> to memref<32xf32>
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: %[[FROM2:.*]] = arith.subi %[[J]], %{{.*}} : index
// CHECK: %[[TJ:.*]] = arith.divui %[[FROM2]], %{{.*}} : index
// CHECK: %[[ROW:.*]] = arith.muli %[[I]], %{{.*}} : index
// CHECK: %[[TASK:.*]] = arith.addi %[[ROW]], %[[TJ]] : index
// CHECK: %[[SLOT:.*]] = arith.muli %[[TASK]], %{{.*}} : index
// CHECK: %[[OFF:.*]] = arith.addi %{{.*}}, %[[SLOT]] : index
// CHECK: memref.view %[[ARENA]][%[[OFF]]][] : memref<512xi8> to memref<10xf32>
// CHECK: memref.alloc() : memref<4xf32>
// With sequential-tasks every task uses the one slot at the slab's offset.
// SEQ-LABEL: func.func @task_scratch_in_slots
// SEQ-SAME: arena_bytes = 192 : i64, buffers = 2 : i64, heap_allocs = 1 : i64
// SEQ: scf.parallel
// SEQ-NOT: arith.muli
// SEQ: memref.view %{{.*}}[%{{.*}}][] : memref<192xi8> to memref<10xf32>
func.func @task_scratch_in_slots(%x: memref<32xf32>, %out: memref<32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %a = memref.alloc() : memref<32xf32>
  memref.copy %x, %a : memref<32xf32> to memref<32xf32>
  scf.parallel (%i, %j) = (%c0, %c2) to (%c2, %c8) step (%c1, %c2) {
    %scratch = memref.alloc() : memref<10xf32>
    %part = memref.subview %a[0] [10] [1] : memref<32xf32> to memref<10xf32, strided<[1]>>
    memref.copy %part, %scratch : memref<10xf32, strided<[1]>> to memref<10xf32>
    %escapes = memref.alloc() : memref<4xf32>
    %t = bufferization.to_tensor %escapes restrict : memref<4xf32> to tensor<4xf32>
    scf.reduce
  }
  memref.copy %a, %out : memref<32xf32> to memref<32xf32>
  return
}

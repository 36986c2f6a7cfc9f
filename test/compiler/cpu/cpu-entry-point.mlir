// RUN: attnc-opt %s -cpu-entry-point -split-input-file -verify-diagnostics | FileCheck %s

// Inputs become read-only caller buffers, results are materialized into
// new output arguments, and @main is renamed for the runtime's wrapper.
// CHECK-LABEL: func.func @attnc_main
// CHECK-SAME: (%[[X:.+]]: memref<2x4xf32>, %[[OUT:.+]]: memref<2x4xf32>)
// CHECK-NOT: attnc.name
// CHECK: %[[T:.+]] = bufferization.to_tensor %[[X]] restrict : memref<2x4xf32> to tensor<2x4xf32>
// CHECK: %[[Y:.+]] = math.exp %[[T]]
// CHECK: bufferization.materialize_in_destination %[[Y]] in restrict writable %[[OUT]]
// CHECK: return
// CHECK-NOT: func.func @main
module {
  func.func @main(%x: tensor<2x4xf32> {attnc.name = "x"}) -> (tensor<2x4xf32> {attnc.name = "y"}) {
    %y = math.exp %x : tensor<2x4xf32>
    return %y : tensor<2x4xf32>
  }
}

// -----

// A zero-element input or output carries no data: it gets no parameter,
// and the input is a tensor.empty inside.
// CHECK-LABEL: func.func @attnc_main
// CHECK-SAME: (%{{.+}}: memref<4xf32>, %{{.+}}: memref<4xf32>)
// CHECK: tensor.empty() : tensor<3x0xf32>
module {
  func.func @main(%e: tensor<3x0xf32>, %w: tensor<4xf32>) -> (tensor<3x0xf32>, tensor<4xf32>) {
    %y = math.exp %e : tensor<3x0xf32>
    %z = math.exp %w : tensor<4xf32>
    return %y, %z : tensor<3x0xf32>, tensor<4xf32>
  }
}

// -----

// A KV cache kept in place (attn.kv_append of an argument, returned): the
// argument is the cached positions of a buffer with room for the capacity
// (its strides), the new rows are inserted into the whole buffer after
// them, the cache is read as the buffer's first past + seq positions, and
// the updated buffer is materialized into itself; the present is no output.
// CHECK-LABEL: func.func @attnc_main
// CHECK-SAME: (%[[X:.+]]: memref<1x2x?x4xf32>, %[[PAST:.+]]: memref<1x2x?x4xf32, strided<[128, 64, 4, 1]>>, %[[OUT:.+]]: memref<1x2x?x4xf32>)
// CHECK: %[[PT:.+]] = bufferization.to_tensor %[[PAST]] restrict
// CHECK: %[[BUF:.+]] = memref.reinterpret_cast %[[PAST]] to offset: [0], sizes: [1, 2, 16, 4], strides: [128, 64, 4, 1]
// CHECK: %[[STATE:.+]] = bufferization.to_tensor %[[BUF]] restrict writable : memref<1x2x16x4xf32>
// CHECK: %[[NEW:.+]] = attn.exp
// CHECK: %[[HELD:.+]] = tensor.dim %[[PT]], %{{.+}}
// CHECK: %[[ADDED:.+]] = tensor.dim %{{.+}}, %{{.+}}
// CHECK: %[[UPD:.+]] = tensor.insert_slice %[[NEW]] into %[[STATE]][0, 0, %[[HELD]], 0] [1, 2, %[[ADDED]], 4] [1, 1, 1, 1]
// CHECK: %[[TOTAL:.+]] = arith.addi %[[HELD]], %[[ADDED]]
// CHECK: %[[CACHE:.+]] = tensor.extract_slice %[[UPD]][0, 0, 0, 0] [1, 2, %[[TOTAL]], 4] [1, 1, 1, 1]
// CHECK: %[[Y:.+]] = attn.exp %[[CACHE]]
// CHECK: bufferization.materialize_in_destination %[[UPD]] in restrict writable %[[BUF]]
// CHECK: bufferization.materialize_in_destination %[[Y]] in restrict writable %[[OUT]]
// CHECK-NEXT: return
module {
  func.func @main(%x: tensor<1x2x?x4xf32> {attnc.name = "x", attnc.dim_symbols = ["", "", "seq", ""]},
                  %past: tensor<1x2x?x4xf32> {attnc.name = "past", attnc.dim_symbols = ["", "", "past", ""]})
      -> (tensor<1x2x?x4xf32> {attnc.name = "y"}, tensor<1x2x?x4xf32> {attnc.name = "present"})
      attributes {attnc.dim_bounds = {seq = 8 : i64, past = 8 : i64}} {
    %new = attn.exp %x : tensor<1x2x?x4xf32>
    %present = attn.kv_append %past, %new {axis = 2 : i64, capacity = 16 : i64}
        : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    %y = attn.exp %present : tensor<1x2x?x4xf32>
    return %y, %present : tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>
  }
}

// -----

// A ring of 5 (ring = 5: a sliding window's cache): the buffer has 10
// slots, position a at a mod 5 and 5 + a mod 5. The rows go to [s, s + n)
// with s = past mod 5 (past 5 covers the wrapped rows' mirrors), the rows
// before the wrap to their mirrors [s + 5, ...), the wrapped ones to [0,
// ...); the window is the contiguous [first mod 5, ...) of the last
// min(5, past + n) positions, first = max(0, past + n - 5).
// CHECK-LABEL: func.func @attnc_main
// CHECK-SAME: %[[PAST:[^:]+]]: memref<1x2x?x4xf32, strided<[80, 40, 4, 1]>>
// CHECK: %[[BUF:.+]] = memref.reinterpret_cast %[[PAST]] to offset: [0], sizes: [1, 2, 10, 4], strides: [80, 40, 4, 1]
// CHECK: %[[STATE:.+]] = bufferization.to_tensor %[[BUF]] restrict writable : memref<1x2x10x4xf32>
// CHECK: %[[NEW:.+]] = attn.exp
// CHECK: %[[START:.+]] = arith.remui %[[HELD:.+]], %[[RING:.+]] : index
// CHECK: %[[ROOM:.+]] = arith.subi %[[RING]], %[[START]]
// CHECK: %[[BEFORE:.+]] = arith.minui %[[ADDED:.+]], %[[ROOM]]
// CHECK: %[[U1:.+]] = tensor.insert_slice %[[NEW]] into %[[STATE]][0, 0, %[[START]], 0]
// CHECK: %[[HEAD:.+]] = tensor.extract_slice %[[NEW]][0, 0, 0, 0] [1, 2, %[[BEFORE]], 4]
// CHECK: %[[MIRROR:.+]] = arith.addi %[[START]], %[[RING]]
// CHECK: %[[U2:.+]] = tensor.insert_slice %[[HEAD]] into %[[U1]][0, 0, %[[MIRROR]], 0]
// CHECK: %[[TAIL:.+]] = tensor.extract_slice %[[NEW]][0, 0, %[[BEFORE]], 0]
// CHECK: %[[U3:.+]] = tensor.insert_slice %[[TAIL]] into %[[U2]][0, 0, 0, 0]
// CHECK: %[[END:.+]] = arith.addi %[[HELD]], %[[ADDED]]
// CHECK: %[[FIRST:.+]] = arith.maxsi
// CHECK: %[[LEN:.+]] = arith.subi %[[END]], %[[FIRST]]
// CHECK: %[[FROM:.+]] = arith.remui %[[FIRST]], %[[RING]]
// CHECK: %[[WIN:.+]] = tensor.extract_slice %[[U3]][0, 0, %[[FROM]], 0] [1, 2, %[[LEN]], 4]
// CHECK: %[[F64:.+]] = arith.index_cast %[[FIRST]] : index to i64
// CHECK: %[[FT:.+]] = tensor.from_elements %[[F64]] : tensor<i64>
// CHECK: %[[Y:.+]] = attn.exp %[[WIN]]
// CHECK: %[[Z:.+]] = attn.add %[[FT]], %[[FT]]
// CHECK: bufferization.materialize_in_destination %[[U3]] in restrict writable %[[BUF]]
// CHECK-NOT: attn.kv_
module {
  func.func @main(%x: tensor<1x2x?x4xf32> {attnc.name = "x", attnc.dim_symbols = ["", "", "seq", ""]},
                  %past: tensor<1x2x?x4xf32> {attnc.name = "past", attnc.dim_symbols = ["", "", "past", ""]})
      -> (tensor<1x2x?x4xf32> {attnc.name = "y"}, tensor<i64> {attnc.name = "z"}, tensor<1x2x?x4xf32> {attnc.name = "present"})
      attributes {attnc.dim_bounds = {seq = 3 : i64, past = 30 : i64}} {
    %new = attn.exp %x : tensor<1x2x?x4xf32>
    %present = attn.kv_append %past, %new {axis = 2 : i64, capacity = 32 : i64, ring = 5 : i64}
        : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    %held, %first = attn.kv_window %present {axis = 2 : i64, slots = 5 : i64}
        : tensor<1x2x?x4xf32> -> (tensor<1x2x?x4xf32>, tensor<i64>)
    %y = attn.exp %held : tensor<1x2x?x4xf32>
    %z = attn.add %first, %first : (tensor<i64>, tensor<i64>) -> tensor<i64>
    return %y, %z, %present : tensor<1x2x?x4xf32>, tensor<i64>, tensor<1x2x?x4xf32>
  }
}

// -----

// expected-error @+1 {{expected a 'func.func @main' to compile}}
module {
  func.func @not_main() {
    return
  }
}

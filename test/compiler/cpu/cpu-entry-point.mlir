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

// expected-error @+1 {{expected a 'func.func @main' to compile}}
module {
  func.func @not_main() {
    return
  }
}

// RUN: attnc-opt %s -attn-tile-matmul="vector-width=4 register-rows=3 register-column-vectors=2 task-rows=6 k-block=8 tasks=2" -split-input-file | FileCheck %s
// RUN: attnc-opt %s -attn-tile-matmul -split-input-file | FileCheck %s --check-prefix=OFF
// RUN: attnc-opt %s -attn-tile-matmul="vector-width=4 register-rows=3 register-column-vectors=2 task-rows=6 k-block=8 tasks=2" -split-input-file -mlir-print-local-scope | FileCheck %s --check-prefix=CONV

// nn.Linear on 3-D activations as torch exports it (MatMul + Add): the
// constant weight [8, 20] is packed now into 3 panels of 2 x 4 columns
// (20 columns, the last panel zero-padded), the bias add becomes the
// accumulators' start (padded to 24 as well), and the leading dims fold
// into M = 7 rows: two strips of 3 rows, then one strip of 1 row. Two
// tasks: row blocks of 6 rows, each over all 3 panels. The last panel
// ends inside a vector, so the output's writes are masked and the result
// is exactly [7, 20]. While a panel is in use, its strips fetch the next
// panel's k-block slice: of a task's n strips, strip s fetches rows
// [s/n, (s+1)/n) of it, one row per n steps (the share 2^16 / n, in fixed
// point), both vectors of each row.
// CHECK-LABEL: func.func @matmul_with_bias_add
// CHECK-DAG: %[[PACKED:.+]] = arith.constant dense_resource<packed_weight> : tensor<3x8x8xf32>
// CHECK-DAG: %[[BIAS:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<24xf32>)
// CHECK: %[[WEIGHT:.+]] = bufferization.to_buffer %[[PACKED]] read_only
// CHECK: %[[OUT:.+]] = scf.forall (%[[T:.+]]) in (2) shared_outs(%[[O:.+]] = %{{.+}}) -> (tensor<7x20xf32>)
// CHECK: %[[STRIPS:.+]] = arith.ceildivsi %{{.+}}, %c3{{.*}} : index
// CHECK: %[[SHARE:.+]] = arith.divui %c65536, %[[STRIPS]] : index
// CHECK: %[[SLICE:.+]] = tensor.extract_slice %[[O]]{{.+}} to tensor<?x?xf32>
// CHECK: scf.for %[[PANEL:.+]] = %{{.+}} to %{{.+}} step %c1
// CHECK: %[[NEXT:.+]] = arith.minsi %{{.+}}, %c2{{.*}} : index
// CHECK: scf.for %[[ROW:.+]] = %{{.+}} to %{{.+}} step %c3
// CHECK: %[[STRIP:.+]] = arith.divui %[[ROW]], %c3{{.*}} : index
// CHECK: arith.muli %[[STRIP]], %{{.+}} : index
// CHECK: vector.transfer_read %[[BIAS]]
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %c1
// CHECK: arith.muli %{{.+}}, %[[SHARE]] : index
// CHECK: %[[FETCHED:.+]] = arith.divui %{{.+}}, %c65536{{.*}} : index
// CHECK: %[[FETCH_ROW:.+]] = arith.addi %{{.+}}, %[[FETCHED]] : index
// CHECK: memref.prefetch %[[WEIGHT]][%[[NEXT]], %[[FETCH_ROW]], %c0{{.*}}], read, locality<2>, data
// CHECK: memref.prefetch %[[WEIGHT]][%[[NEXT]], %[[FETCH_ROW]], %c4{{.*}}], read, locality<2>, data
// CHECK: vector.transfer_read %[[PACKED]]
// CHECK: vector.fma
// CHECK: vector.transfer_write %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}] : vector<4xf32>, tensor<?x?xf32>
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c1
// CHECK: tensor.parallel_insert_slice
// CHECK: } {attn.chunk_panels = 3 : i64, attn.k_block = 8 : i64, attn.register_tile = array<i64: 3, 2>, attn.task_panels = 3 : i64, attn.task_rows = 6 : i64, attn.vector_width = 4 : i64, attn.weight_packed = "compile-time"}
// CHECK: tensor.expand_shape %[[OUT]] {{.+}} into tensor<1x7x20xf32>
// CHECK-NOT: attn.add
// CHECK-NOT: attn.matmul
// OFF-LABEL: func.func @matmul_with_bias_add
// OFF: attn.matmul
// OFF: attn.add
func.func @matmul_with_bias_add(%x: tensor<1x7x8xf32>, %b: tensor<20xf32>) -> tensor<1x7x20xf32> {
  %w = attn.constant dense<0.5> : tensor<8x20xf32>
  %y = attn.matmul %x, %w : (tensor<1x7x8xf32>, tensor<8x20xf32>) -> tensor<1x7x20xf32>
  %z = attn.add %y, %b : (tensor<1x7x20xf32>, tensor<20xf32>) -> tensor<1x7x20xf32>
  return %z : tensor<1x7x20xf32>
}

// -----

// Gemm with transB and a weight known only at run time: packed by a
// parallel generic before the product; N = 16 needs no padding, and one
// row (decode) makes the register tile 1 row high.
// CHECK-LABEL: func.func @linear_transposed_runtime_weight
// CHECK: %[[PACKED:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<2x8x8xf32>)
// CHECK: tensor.extract %{{.+}}[%{{.+}}, %{{.+}}] : tensor<16x8xf32>
// CHECK: scf.forall (%{{.+}}) in (2) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<1x16xf32>)
// CHECK: vector.transfer_read %arg2
// CHECK: vector.transfer_read %[[PACKED]]
// CHECK: } {attn.chunk_panels = 1 : i64, attn.k_block = 8 : i64, attn.register_tile = array<i64: 1, 2>, attn.task_panels = 1 : i64, attn.task_rows = 1 : i64, attn.vector_width = 4 : i64, attn.weight_packed = "run-time"}
// CHECK-NOT: attn.linear
func.func @linear_transposed_runtime_weight(%x: tensor<1x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<1x16xf32> {
  %y = attn.linear %x, %w, %b {transpose_weight = true} : (tensor<1x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// The tied unembedding: logits = h @ wteᵀ with wte [V, D] a constant
// (also read by the embedding's Gather). The Transpose is looked through:
// the panels come straight from wte's rows, at compile time.
// CHECK-LABEL: func.func @tied_unembedding_through_transpose
// CHECK: arith.constant dense_resource<packed_weight> : tensor<2x8x8xf32>
// CHECK: scf.forall (%{{.+}}) in (2) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<4x10xf32>)
// CHECK: attn.register_tile = array<i64: 3, 2>, attn.task_panels = 1 : i64, attn.task_rows = 6 : i64, attn.vector_width = 4 : i64, attn.weight_packed = "compile-time"
func.func @tied_unembedding_through_transpose(%h: tensor<4x8xf32>) -> tensor<4x10xf32> {
  %wte = attn.constant dense<0.25> : tensor<10x8xf32>
  %wt = attn.transpose %wte {permutation = array<i64: 1, 0>} : tensor<10x8xf32> -> tensor<8x10xf32>
  %y = attn.matmul %h, %wt : (tensor<4x8xf32>, tensor<8x10xf32>) -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}

// -----

// Batched right operands (attention's own products when unfused), integer
// matmuls and a bias that varies by row are left to attn-to-linalg.
// CHECK-LABEL: func.func @not_a_projection
// CHECK: attn.matmul %{{.+}}, %{{.+}} : (tensor<2x4x8xf32>, tensor<2x8x4xf32>)
// CHECK: attn.matmul %{{.+}}, %{{.+}} : (tensor<4x8xi64>, tensor<8x4xi64>)
// CHECK: attn.linear
// CHECK-NOT: scf.forall
func.func @not_a_projection(%a: tensor<2x4x8xf32>, %b: tensor<2x8x4xf32>, %i: tensor<4x8xi64>,
                            %j: tensor<8x4xi64>, %x: tensor<4x8xf32>, %w: tensor<8x4xf32>,
                            %rowbias: tensor<4x4xf32>)
    -> (tensor<2x4x4xf32>, tensor<4x4xi64>, tensor<4x4xf32>) {
  %y = attn.matmul %a, %b : (tensor<2x4x8xf32>, tensor<2x8x4xf32>) -> tensor<2x4x4xf32>
  %z = attn.matmul %i, %j : (tensor<4x8xi64>, tensor<8x4xi64>) -> tensor<4x4xi64>
  %l = attn.linear %x, %w, %rowbias : (tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y, %z, %l : tensor<2x4x4xf32>, tensor<4x4xi64>, tensor<4x4xf32>
}

// -----

// A chain: the second product's input is the first one's result, lowered
// just before it (a regression test: it used to read the erased result).
// CHECK-LABEL: func.func @chained_projections
// CHECK: %[[FIRST:.+]] = scf.forall {{.+}} -> (tensor<4x16xf32>)
// CHECK: scf.forall {{.+}} -> (tensor<4x8xf32>)
// CHECK: tensor.extract %[[FIRST]]
// CHECK-NOT: attn.matmul
func.func @chained_projections(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w1 = attn.constant dense<0.5> : tensor<8x16xf32>
  %w2 = attn.constant dense<0.25> : tensor<16x8xf32>
  %h = attn.matmul %x, %w1 : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %y = attn.matmul %h, %w2 : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// An op's own attn.tiling (cpu-choose-tilings records one on each) wins
// over the options: here 8 lanes and a 2x1 register tile, also when the
// options leave matmuls alone (OFF); vector_width = 0 in the attribute
// leaves that op to attn-to-linalg even when the options would tile it.
// One task of both 8-column panels, done one panel (all k-blocks) at a
// time (chunk_panels = 1): a loop over the chunks around the k-blocks.
// CHECK-LABEL: func.func @per_op_tiling
// CHECK: scf.forall {{.+}} -> (tensor<4x16xf32>)
// CHECK: scf.for %{{.+}} = %c0{{.*}} to %{{.+}} step %c1
// CHECK: attn.chunk_panels = 1 : i64
// CHECK-SAME: attn.register_tile = array<i64: 2, 1>
// CHECK-SAME: attn.vector_width = 8
// CHECK: attn.matmul {{.*}}#attn.matmul_tiling<>
// OFF-LABEL: func.func @per_op_tiling
// OFF: scf.forall {{.+}} -> (tensor<4x16xf32>)
// OFF: attn.matmul {{.*}}#attn.matmul_tiling<>
func.func @per_op_tiling(%x: tensor<4x8xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %w = attn.constant dense<0.5> : tensor<8x16xf32>
  %y = attn.matmul %x, %w {attn.tiling = #attn.matmul_tiling<vector_width = 8, register_rows = 2, register_column_vectors = 1, tasks = 1, chunk_panels = 1>}
      : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %z = attn.matmul %x, %w {attn.tiling = #attn.matmul_tiling<vector_width = 0>}
      : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %y, %z : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// A transformer block's skip connection: bias then residual, each the
// previous value's only use. Both start the accumulators in the first
// k-block (bias + residual rows, the residual read masked where the last
// panel ends inside a vector), so neither add is left. In a chain, the
// second product absorbs the first one's result as its residual.
// CHECK-LABEL: func.func @bias_and_residual_absorbed
// CHECK: %[[FIRST:.+]] = scf.forall {{.+}} -> (tensor<7x20xf32>)
// CHECK: vector.transfer_read %{{.+}} : tensor<24xf32>, vector<4xf32>
// CHECK: vector.transfer_read %[[RES:.+]][%{{.+}}, %{{.+}}], %{{.+}} : tensor<7x20xf32>, vector<4xf32>
// CHECK: arith.addf
// CHECK: vector.fma
// CHECK: %[[SECOND:.+]] = scf.forall {{.+}} -> (tensor<7x20xf32>)
// CHECK: vector.transfer_read %[[FIRST]][%{{.+}}, %{{.+}}], %{{.+}} : tensor<7x20xf32>, vector<4xf32>
// CHECK-NOT: attn.add
// CHECK-NOT: attn.matmul
// CHECK: return
// OFF-LABEL: func.func @bias_and_residual_absorbed
// OFF-COUNT-3: attn.add
func.func @bias_and_residual_absorbed(%x: tensor<7x8xf32>, %b: tensor<20xf32>, %r: tensor<7x20xf32>) -> tensor<7x20xf32> {
  %w = attn.constant dense<0.5> : tensor<8x20xf32>
  %y = attn.matmul %x, %w : (tensor<7x8xf32>, tensor<8x20xf32>) -> tensor<7x20xf32>
  %z = attn.add %y, %b : (tensor<7x20xf32>, tensor<20xf32>) -> tensor<7x20xf32>
  %s = attn.add %r, %z : (tensor<7x20xf32>, tensor<7x20xf32>) -> tensor<7x20xf32>
  %w2 = attn.constant dense<0.25> : tensor<20x20xf32>
  %y2 = attn.matmul %s, %w2 : (tensor<7x20xf32>, tensor<20x20xf32>) -> tensor<7x20xf32>
  %s2 = attn.add %y2, %s : (tensor<7x20xf32>, tensor<7x20xf32>) -> tensor<7x20xf32>
  return %s2 : tensor<7x20xf32>
}

// -----

// An add of the product to itself (y + y: two uses) or of a tensor that
// broadcasts along the columns ([7, 1]) is neither bias nor residual: the
// add stays.
// CHECK-LABEL: func.func @not_a_residual
// CHECK: scf.forall
// CHECK: attn.add
// CHECK: scf.forall
// CHECK: attn.add
func.func @not_a_residual(%x: tensor<7x8xf32>, %r: tensor<7x1xf32>) -> (tensor<7x20xf32>, tensor<7x20xf32>) {
  %w = attn.constant dense<0.5> : tensor<8x20xf32>
  %y = attn.matmul %x, %w : (tensor<7x8xf32>, tensor<8x20xf32>) -> tensor<7x20xf32>
  %d = attn.add %y, %y : (tensor<7x20xf32>, tensor<7x20xf32>) -> tensor<7x20xf32>
  %y2 = attn.matmul %x, %w : (tensor<7x8xf32>, tensor<8x20xf32>) -> tensor<7x20xf32>
  %b = attn.add %y2, %r : (tensor<7x20xf32>, tensor<7x1xf32>) -> tensor<7x20xf32>
  return %d, %b : tensor<7x20xf32>, tensor<7x20xf32>
}

// -----

// An FFN's activation: attn.gelu of the biased product is applied to the
// finished sums before they are written. K = 20 is three k-blocks of 8:
// the first starts from the bias, the loop runs the second, and the last
// (k from 16 to 20) is emitted apart with the erf epilogue, so the erf
// appears after the loop of k-blocks only. The tanh form likewise.
// CHECK-LABEL: func.func @gelu_epilogue
// CHECK: scf.forall
// CHECK-NOT: math.erf
// CHECK: scf.for %{{.+}} = %c8{{.*}} to %c16 step %c8
// CHECK-NOT: math.erf
// CHECK: scf.for %{{.+}} = %c16{{.*}} to %c20
// CHECK: math.erf {{.+}} : vector<4xf32>
// CHECK: } {attn.activation = "gelu"
// CHECK: math.tanh {{.+}} : vector<4xf32>
// CHECK: } {attn.activation = "gelu_tanh"
// CHECK-NOT: attn.gelu
// CHECK: return
func.func @gelu_epilogue(%x: tensor<6x20xf32>, %b: tensor<8xf32>) -> (tensor<6x8xf32>, tensor<6x8xf32>) {
  %w = attn.constant dense<0.5> : tensor<20x8xf32>
  %y = attn.matmul %x, %w : (tensor<6x20xf32>, tensor<20x8xf32>) -> tensor<6x8xf32>
  %z = attn.add %y, %b : (tensor<6x8xf32>, tensor<8xf32>) -> tensor<6x8xf32>
  %g = attn.gelu %z : tensor<6x8xf32>
  %y2 = attn.matmul %x, %w : (tensor<6x20xf32>, tensor<20x8xf32>) -> tensor<6x8xf32>
  %g2 = attn.gelu %y2 approximate = tanh : tensor<6x8xf32>
  return %g, %g2 : tensor<6x8xf32>, tensor<6x8xf32>
}

// -----

// M known only at run time (`attnc compile --max-shape`): the task count,
// each task's rows and the output's size come from the input's dim; the
// strips of 3 rows are followed by a run-time tail of strips of 2 and 1
// rows (every height under the register tile's). The panels split over
// the tasks as for one row block.
// CHECK-LABEL: func.func @run_time_rows
// CHECK: %[[M:.+]] = tensor.dim %{{.+}}, %c0 : tensor<?x8xf32>
// CHECK: %[[EMPTY:.+]] = tensor.empty(%[[M]]) : tensor<?x20xf32>
// CHECK: %[[BLOCKS:.+]] = arith.ceildivsi %[[M]], %c6
// CHECK: %[[TASKS:.+]] = arith.muli %[[BLOCKS]], %c2
// CHECK: scf.forall (%{{.+}}) in (%[[TASKS]]) shared_outs(%{{.+}} = %[[EMPTY]]) -> (tensor<?x20xf32>)
// CHECK: scf.for %{{.+}} step %c3
// CHECK: scf.for %{{.+}} step %c2
// CHECK: scf.for %{{.+}} step %c1
// CHECK: attn.task_panels = 2 : i64, attn.task_rows = 6 : i64
// CHECK: tensor.expand_shape %{{.+}} {{\[\[}}0, 1], [2]] output_shape [1, %{{.+}}, 20] : tensor<?x20xf32> into tensor<1x?x20xf32>
// Two run-time leading dims stay a linalg product (see TileMatmul.cpp).
// CHECK-LABEL: func.func @two_run_time_dims
// CHECK: attn.matmul
// CHECK-NOT: scf.forall
func.func @run_time_rows(%x: tensor<1x?x8xf32>) -> tensor<1x?x20xf32> {
  %w = attn.constant dense<0.5> : tensor<8x20xf32>
  %y = attn.matmul %x, %w : (tensor<1x?x8xf32>, tensor<8x20xf32>) -> tensor<1x?x20xf32>
  return %y : tensor<1x?x20xf32>
}

func.func @two_run_time_dims(%x: tensor<?x?x8xf32>) -> tensor<?x?x20xf32> {
  %w = attn.constant dense<0.5> : tensor<8x20xf32>
  %y = attn.matmul %x, %w : (tensor<?x?x8xf32>, tensor<8x20xf32>) -> tensor<?x?x20xf32>
  return %y : tensor<?x?x20xf32>
}

// -----

// Panels split into as many groups as tasks are wanted, as evenly as they
// go: 3 panels of 8 columns (N = 24) for 2 tasks make groups of 1 and 2
// (group g: panels [g·3/2, (g+1)·3/2)), at most 2 each.
// CHECK-LABEL: func.func @uneven_panel_groups
// CHECK: scf.forall (%[[T:.+]]) in (2)
// CHECK: %[[G:.+]] = arith.divui %[[T]], %c1{{.*}} : index
// CHECK: %[[GP:.+]] = arith.muli %[[G]], %c3{{.*}} : index
// CHECK: %[[FIRST:.+]] = arith.divui %[[GP]], %c2{{.*}} : index
// CHECK: %[[NEXT:.+]] = arith.addi %[[G]], %c1{{.*}} : index
// CHECK: %[[NP:.+]] = arith.muli %[[NEXT]], %c3{{.*}} : index
// CHECK: %[[END:.+]] = arith.divui %[[NP]], %c2{{.*}} : index
// CHECK: arith.subi %[[END]], %[[FIRST]] : index
// CHECK: attn.task_panels = 2 : i64
func.func @uneven_panel_groups(%x: tensor<1x8xf32>) -> tensor<1x24xf32> {
  %w = attn.constant dense<0.25> : tensor<8x24xf32>
  %y = attn.matmul %x, %w : (tensor<1x8xf32>, tensor<8x24xf32>) -> tensor<1x24xf32>
  return %y : tensor<1x24xf32>
}

// -----

// A convolution runs as a matmul (im2col): the padded input's windows are
// copied into rows, columns[(n, o), (c, k)] = padded[n, c, 2·o + k], the
// constant weight [5, 3, 3] is packed as the transposed weight [5, 9] at
// compile time, the bias starts the accumulators, the GELU after the conv
// is the kernel's epilogue, and a copy turns the rows [(n, o), m] back
// into channels [n, m, o].
// CONV-LABEL: func.func @conv1d_as_matmul
// CONV: %[[PADDED:.+]] = tensor.insert_slice %{{.+}} into %{{.+}}[0, 0, 1] [1, 3, 10] [1, 1, 1] : tensor<1x3x10xf32> into tensor<1x3x11xf32>
// CONV: %[[COPIED:.+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d2, d1 * 2 + d3)>, affine_map<{{.+}}>], {{.+}}} ins(%[[PADDED]] : tensor<1x3x11xf32>) outs(%{{.+}} : tensor<1x5x3x3xf32>)
// CONV: %[[COLUMNS:.+]] = tensor.collapse_shape %[[COPIED]] {{\[}}[0, 1], [2, 3]] : tensor<1x5x3x3xf32> into tensor<5x9xf32>
// CONV: arith.constant dense_resource<packed_weight> : tensor<1x9x8xf32>
// CONV: %[[ROWS:.+]] = scf.forall
// CONV: tensor.extract %[[COLUMNS]]
// CONV: math.erf {{.+}} : vector<4xf32>
// CONV: } {attn.activation = "gelu"
// CONV-SAME: attn.weight_packed = "compile-time"
// CONV: %[[EXPANDED:.+]] = tensor.expand_shape %[[ROWS]] {{\[}}[0, 1], [2]] output_shape [1, 5, 5] : tensor<5x5xf32> into tensor<1x5x5xf32>
// CONV: %[[RESULT:.+]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2, d1)>, affine_map<{{.+}}>], {{.+}}} ins(%[[EXPANDED]] : tensor<1x5x5xf32>)
// CONV-NOT: attn.conv
// CONV-NOT: attn.gelu
// CONV: return %[[RESULT]]
func.func @conv1d_as_matmul(%x: tensor<1x3x10xf32>, %b: tensor<5xf32>) -> tensor<1x5x5xf32> {
  %w = attn.constant dense<0.5> : tensor<5x3x3xf32>
  %y = attn.conv %x, %w, %b {strides = array<i64: 2>, pads = array<i64: 1, 0>, dilations = array<i64: 1>, groups = 1 : i64} : (tensor<1x3x10xf32>, tensor<5x3x3xf32>, tensor<5xf32>) -> tensor<1x5x5xf32>
  %g = attn.gelu %y : tensor<1x5x5xf32>
  return %g : tensor<1x5x5xf32>
}

// -----

// ViT's patch embedding (stride = kernel, no padding): the windows read
// the input as it is, [n, c, 4·oh + kh, 4·ow + kw], into rows of 2 x 4 x 4
// columns.
// CONV-LABEL: func.func @patches_as_matmul
// CONV-NOT: tensor.insert_slice
// CONV: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1 * 4 + d4, d2 * 4 + d5)>, affine_map<{{.+}}>], {{.+}}} ins(%arg0 : tensor<1x2x8x8xf32>) outs(%{{.+}} : tensor<1x2x2x2x4x4xf32>)
// CONV: tensor.collapse_shape %{{.+}} {{\[}}[0, 1, 2], [3, 4, 5]] : tensor<1x2x2x2x4x4xf32> into tensor<4x32xf32>
// CONV: arith.constant dense_resource<packed_weight> : tensor<1x32x8xf32>
// CONV: scf.forall
// CONV: tensor.expand_shape %{{.+}} {{\[}}[0, 1, 2], [3]] output_shape [1, 2, 2, 6] : tensor<4x6xf32> into tensor<1x2x2x6xf32>
// CONV-NOT: attn.conv
func.func @patches_as_matmul(%x: tensor<1x2x8x8xf32>) -> tensor<1x6x2x2xf32> {
  %w = attn.constant dense<0.25> : tensor<6x2x4x4xf32>
  %y = attn.conv %x, %w {strides = array<i64: 4, 4>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x2x8x8xf32>, tensor<6x2x4x4xf32>) -> tensor<1x6x2x2xf32>
  return %y : tensor<1x6x2x2xf32>
}

// -----

// A grouped convolution is not one matmul: it stays for attn-to-linalg.
// CONV-LABEL: func.func @grouped_conv_stays
// CONV: attn.conv %{{.+}} {{{.*}}groups = 2
// CONV-NOT: scf.forall
// CONV: return %{{.+}} : tensor<1x4x4xf32>
func.func @grouped_conv_stays(%x: tensor<1x4x6xf32>) -> tensor<1x4x4xf32> {
  %w = attn.constant dense<0.5> : tensor<4x2x3xf32>
  %y = attn.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, groups = 2 : i64} : (tensor<1x4x6xf32>, tensor<4x2x3xf32>) -> tensor<1x4x4xf32>
  return %y : tensor<1x4x4xf32>
}

// -----

// Row blocks of equal heights: 30 rows in blocks of at most 6 strips (18
// rows) would be 18 + 12, two tasks for two wanted; blocks of 12 rows
// (4 strips) at most would be 12 + 12 + 6. With no panel groups to share
// out (one group), the blocks are made a multiple of the tasks wanted and
// as even as whole strips allow: task-rows 12 -> 4 blocks of 9 rows (the
// last 3), two per thread.
// CHECK-LABEL: func.func @even_row_blocks
// CHECK: scf.forall (%{{.+}}) in (4)
// CHECK: attn.task_rows = 9 : i64
func.func @even_row_blocks(%x: tensor<30x8xf32>) -> tensor<30x20xf32> {
  %w = attn.constant dense<0.5> : tensor<8x20xf32>
  %y = attn.matmul %x, %w {attn.tiling = #attn.matmul_tiling<vector_width = 4, register_rows = 3, register_column_vectors = 2, task_rows = 12, k_block = 8, tasks = 2, chunk_panels = 0>} : (tensor<30x8xf32>, tensor<8x20xf32>) -> tensor<30x20xf32>
  return %y : tensor<30x20xf32>
}

// -----

// Tasks run group by group, each group's row blocks in a row (task t:
// group t / 2, row block t mod 2), so that a thread's contiguous share of
// the tasks is a share of the columns over every row: 2 row blocks of 6
// rows by 2 groups of panels for 4 tasks.
// CHECK-LABEL: func.func @tasks_group_by_group
// CHECK: scf.forall (%[[T:.+]]) in (4)
// CHECK: %[[G:.+]] = arith.divui %[[T]], %c2{{.*}} : index
// CHECK: %[[B:.+]] = arith.remui %[[T]], %c2{{.*}} : index
// CHECK: arith.muli %[[B]], %c6{{.*}} : index
// CHECK: attn.task_panels = 2 : i64, attn.task_rows = 6 : i64
func.func @tasks_group_by_group(%x: tensor<12x8xf32>) -> tensor<12x32xf32> {
  %w = attn.constant dense<0.5> : tensor<8x32xf32>
  %y = attn.matmul %x, %w {attn.tiling = #attn.matmul_tiling<vector_width = 4, register_rows = 3, register_column_vectors = 2, task_rows = 6, k_block = 8, tasks = 4, chunk_panels = 0>} : (tensor<12x8xf32>, tensor<8x32xf32>) -> tensor<12x32xf32>
  return %y : tensor<12x32xf32>
}

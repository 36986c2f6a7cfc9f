//===- AttnOps.td - attn dialect operations ----------------*- tablegen -*-===//
//
// Graph ops with ONNX-like tensor semantics, and the fused attention op
// attn.sdpa. Subtle constraints are numbered in spec.md and cited by the
// verifiers (e.g. `sdpa.C3`).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "dialects/attn/AttnDialect.td"
include "dialects/attn/AttnAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Attn_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Attn_BoolTensor : RankedTensorOf<[I1]>;
def Attn_IndexTensor : RankedTensorOf<[I32, I64]>;
// Integers are signless (ONNX's signed types) or unsigned (uint8..64): the
// lowering reads signedness from the type.
def Attn_Tensor : RankedTensorOf<[AnyFloat, AnySignlessInteger, AnyUnsignedInteger]>;

// Ops whose result type follows from operands and attributes; the verifier
// checks the written type against the inferred one.
class Attn_InferredOp<string mnemonic, list<Trait> traits = []>
    : Attn_Op<mnemonic, !listconcat(traits,
          [Pure, InferTypeOpAdaptor])>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Attn_ConstantOp : Attn_InferredOp<"constant", [ConstantLike]> {
  let summary = "tensor constant, weights held in a dense_resource blob";
  let description = [{
    A constant tensor. Model weights use `dense_resource` so that their bytes
    live in the module's resource section, never printed inline; small
    constants (shapes, scalars) may be `dense`.

    ```mlir
    %w = attn.constant dense_resource<wq> : tensor<64x64xf32>
    %eps = attn.constant dense<1.0e-05> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

class Attn_UnaryOp<string mnemonic, Type operandType, string semantics>
    : Attn_Op<mnemonic, [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "elementwise " # mnemonic;
  let description = "Elementwise `" # semantics # "` over a tensor.\n\n"
    # "```mlir\n%y = attn." # mnemonic # " %x : tensor<2x8xf32>\n```";
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Attn_NegOp : Attn_UnaryOp<"neg", Attn_Tensor, "-x"> {
  let hasFolder = 1;
}
def Attn_AbsOp : Attn_UnaryOp<"abs", Attn_Tensor, "|x|"> {
  let hasFolder = 1;
}
def Attn_ReluOp : Attn_UnaryOp<"relu", Attn_Tensor, "max(x, 0)">;
def Attn_ExpOp : Attn_UnaryOp<"exp", Attn_FloatTensor, "e^x">;
def Attn_LogOp : Attn_UnaryOp<"log", Attn_FloatTensor, "ln(x)"> {
  let hasFolder = 1;
}
def Attn_SqrtOp : Attn_UnaryOp<"sqrt", Attn_FloatTensor, "sqrt(x)"> {
  let hasFolder = 1;
}
def Attn_ReciprocalOp : Attn_UnaryOp<"reciprocal", Attn_FloatTensor, "1 / x">;
def Attn_ErfOp : Attn_UnaryOp<"erf", Attn_FloatTensor, "erf(x)">;
def Attn_TanhOp : Attn_UnaryOp<"tanh", Attn_FloatTensor, "tanh(x)">;
def Attn_SigmoidOp : Attn_UnaryOp<"sigmoid", Attn_FloatTensor, "1 / (1 + e^-x)">;
def Attn_SinOp : Attn_UnaryOp<"sin", Attn_FloatTensor, "sin(x)">;
def Attn_CosOp : Attn_UnaryOp<"cos", Attn_FloatTensor, "cos(x)">;
def Attn_FloorOp : Attn_UnaryOp<"floor", Attn_FloatTensor, "floor(x)"> {
  let hasFolder = 1;
}
def Attn_CeilOp : Attn_UnaryOp<"ceil", Attn_FloatTensor, "ceil(x)"> {
  let hasFolder = 1;
}
def Attn_NotOp : Attn_UnaryOp<"not", Attn_BoolTensor, "!x"> {
  let hasFolder = 1;
}

def Attn_GeluApproximationAttr : I32EnumAttr<"GeluApproximation",
    "how attn.gelu evaluates the Gaussian CDF", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"tanh", 1>
    ]> {
  let cppNamespace = "::mlir::attn";
}

def Attn_GeluOp : Attn_Op<"gelu", [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `approximate = none`: x * 0.5 * (1 + erf(x / sqrt(2))).
    `approximate = tanh`: x * 0.5 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))).

    ```mlir
    %y = attn.gelu %x approximate = tanh : tensor<1x8x256xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input,
      DefaultValuedAttr<Attn_GeluApproximationAttr,
                        "::mlir::attn::GeluApproximation::none">:$approximate);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat =
      "$input (`approximate` `=` $approximate^)? attr-dict `:` type($input)";
}

def Attn_ClipOp : Attn_Op<"clip", [Pure, SameOperandsAndResultType, Elementwise]> {
  let summary = "clamp to [min, max]";
  let description = [{
    Elementwise `min(max(x, min), max)`; a missing bound does not clamp.

    ```mlir
    %y = attn.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<4xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, OptionalAttr<F64Attr>:$min,
                   OptionalAttr<F64Attr>:$max);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Attn_CastOp : Attn_Op<"cast", [Pure, Elementwise, SameOperandsAndResultShape]> {
  let summary = "convert the element type";
  let description = [{
    Converts each element like ONNX Cast: float to integer truncates toward
    zero, to `i1` is `x != 0`.

    ```mlir
    %y = attn.cast %x : tensor<1x8xi64> -> tensor<1x8xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops (numpy broadcasting)
//===----------------------------------------------------------------------===//

class Attn_BinaryOp<string mnemonic, Type operandType, Type resultType,
                    string semantics>
    : Attn_InferredOp<mnemonic> {
  let summary = "elementwise " # mnemonic # " with broadcasting";
  let description = "Elementwise `" # semantics # "`; operands broadcast "
    # "numpy-style (see spec.md, broadcast.C1) and share an element type.\n\n"
    # "```mlir\n%c = attn." # mnemonic # " %a, %b : (tensor<2x1x8xf32>, "
    # "tensor<4x1xf32>) -> tensor<2x4x8x" # !if(!eq(resultType, Attn_BoolTensor), "i1", "f32") # ">\n```";
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs resultType:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Attn_AddOp : Attn_BinaryOp<"add", Attn_Tensor, Attn_Tensor, "a + b"> {
  let hasFolder = 1;
}
def Attn_SubOp : Attn_BinaryOp<"sub", Attn_Tensor, Attn_Tensor, "a - b"> {
  let hasFolder = 1;
}
def Attn_MulOp : Attn_BinaryOp<"mul", Attn_Tensor, Attn_Tensor, "a * b"> {
  let hasFolder = 1;
}
def Attn_DivOp : Attn_BinaryOp<"div", Attn_Tensor, Attn_Tensor,
                               "a / b (integers truncate toward zero)"> {
  let hasFolder = 1;
}
def Attn_PowOp : Attn_BinaryOp<"pow", Attn_FloatTensor, Attn_FloatTensor, "a ^ b"> {
  let hasFolder = 1;
}
def Attn_MaxOp : Attn_BinaryOp<"max", Attn_Tensor, Attn_Tensor, "max(a, b)"> {
  let hasFolder = 1;
}
def Attn_MinOp : Attn_BinaryOp<"min", Attn_Tensor, Attn_Tensor, "min(a, b)"> {
  let hasFolder = 1;
}
def Attn_AndOp : Attn_BinaryOp<"and", Attn_BoolTensor, Attn_BoolTensor, "a && b"> {
  let hasFolder = 1;
}
def Attn_OrOp : Attn_BinaryOp<"or", Attn_BoolTensor, Attn_BoolTensor, "a || b"> {
  let hasFolder = 1;
}
def Attn_XorOp : Attn_BinaryOp<"xor", Attn_BoolTensor, Attn_BoolTensor, "a != b"> {
  let hasFolder = 1;
}
def Attn_EqualOp : Attn_BinaryOp<"equal", Attn_Tensor, Attn_BoolTensor, "a == b"> {
  let hasFolder = 1;
}
def Attn_LessOp : Attn_BinaryOp<"less", Attn_Tensor, Attn_BoolTensor, "a < b"> {
  let hasFolder = 1;
}
def Attn_LessEqualOp
    : Attn_BinaryOp<"less_equal", Attn_Tensor, Attn_BoolTensor, "a <= b"> {
  let hasFolder = 1;
}
def Attn_GreaterOp
    : Attn_BinaryOp<"greater", Attn_Tensor, Attn_BoolTensor, "a > b"> {
  let hasFolder = 1;
}
def Attn_GreaterEqualOp
    : Attn_BinaryOp<"greater_equal", Attn_Tensor, Attn_BoolTensor, "a >= b"> {
  let hasFolder = 1;
}

def Attn_WhereOp : Attn_InferredOp<"where"> {
  let summary = "select with broadcasting";
  let description = [{
    `cond ? x : y` elementwise; all three operands broadcast together.

    ```mlir
    %y = attn.where %m, %s, %fill
        : (tensor<1x1x8x8xi1>, tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Attn_BoolTensor:$condition, Attn_Tensor:$true_value,
                   Attn_Tensor:$false_value);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$condition `,` $true_value `,` $false_value attr-dict "
                       "`:` functional-type(operands, results)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Attn_MatmulOp : Attn_InferredOp<"matmul"> {
  let summary = "batched matrix product with broadcasting (ONNX MatMul)";
  let description = [{
    numpy `matmul`: the last two dims multiply, leading (batch) dims
    broadcast; a 1-D operand is a vector (matmul.C1-C3 in spec.md).

    ```mlir
    %s = attn.matmul %q, %kt : (tensor<1x12x128x64xf32>, tensor<1x12x64x128xf32>)
        -> tensor<1x12x128x128xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$lhs, Attn_Tensor:$rhs);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Attn_LinearOp : Attn_InferredOp<"linear"> {
  let summary = "x @ W (+ bias), the Gemm / nn.Linear form";
  let description = [{
    `x` is [..., K]; `weight` is [K, N], or [N, K] with `transpose_weight`;
    the optional `bias` broadcasts to the [..., N] result.

    ```mlir
    %y = attn.linear %x, %w, %b {transpose_weight = true}
        : (tensor<1x8x64xf32>, tensor<256x64xf32>, tensor<256xf32>) -> tensor<1x8x256xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input, Attn_FloatTensor:$weight,
                   Optional<Attn_FloatTensor>:$bias,
                   DefaultValuedAttr<BoolAttr, "false">:$transpose_weight);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
}

def Attn_ConvOp : Attn_InferredOp<"conv"> {
  let summary = "1-D or 2-D grouped convolution (ONNX Conv, NC[H]W)";
  let description = [{
    `input` [N, C, spatial...], `weight` [M, C / groups, kernel...], optional
    `bias` [M]. `pads` holds the begin pads of each spatial dim, then the end
    pads (ONNX order).

    ```mlir
    %y = attn.conv %x, %w, %b {strides = array<i64: 4, 4>, pads = array<i64: 0, 0, 0, 0>,
                               dilations = array<i64: 1, 1>, groups = 1 : i64}
        : (tensor<1x3x16x16xf32>, tensor<32x3x4x4xf32>, tensor<32xf32>) -> tensor<1x32x4x4xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input, Attn_FloatTensor:$weight,
                   Optional<Attn_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations,
                   DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Attn_TransposeOp : Attn_InferredOp<"transpose"> {
  let summary = "permute dimensions";
  let description = [{
    Result dim `i` is input dim `permutation[i]`.

    ```mlir
    %t = attn.transpose %x {permutation = array<i64: 0, 2, 1, 3>}
        : tensor<1x128x12x64xf32> -> tensor<1x12x128x64xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Attn_ReshapeOp : Attn_InferredOp<"reshape"> {
  let summary = "reinterpret the row-major element order under a new shape";
  let description = [{
    `shape` is fully resolved (no ONNX `0` or `-1`); the element count is
    unchanged.

    ```mlir
    %r = attn.reshape %x {shape = array<i64: 1, 128, 12, 64>}
        : tensor<1x128x768xf32> -> tensor<1x128x12x64xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Attn_BroadcastToOp : Attn_InferredOp<"broadcast_to"> {
  let summary = "broadcast against a shape (ONNX Expand)";
  let description = [{
    The result shape is the numpy broadcast of the input shape and `shape`.

    ```mlir
    %e = attn.broadcast_to %kv {shape = array<i64: 1, 2, 4, 8, 16>}
        : tensor<1x2x1x8x16xf32> -> tensor<1x2x4x8x16xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Attn_TileOp : Attn_InferredOp<"tile"> {
  let summary = "repeat the tensor along each dimension";
  let description = [{
    ```mlir
    %t = attn.tile %x {repeats = array<i64: 1, 2>} : tensor<3x4xf32> -> tensor<3x8xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, DenseI64ArrayAttr:$repeats);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Attn_SliceOp : Attn_InferredOp<"slice"> {
  let summary = "strided window, one (offset, size, stride) per dimension";
  let description = [{
    `result[i...] = input[offsets + i * strides ...]`. Strides are non-zero
    and may be negative (a reversed slice); every index read must be in
    bounds (slice.C1-C3). The frontend clamps ONNX starts/ends into this form.

    ```mlir
    %s = attn.slice %x {offsets = array<i64: 0, 64>, sizes = array<i64: 8, 64>,
                        strides = array<i64: 1, 1>} : tensor<8x192xf32> -> tensor<8x64xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, Variadic<Index>:$dynamic_sizes,
                   DenseI64ArrayAttr:$offsets, DenseI64ArrayAttr:$sizes,
                   DenseI64ArrayAttr:$strides);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$input (`[` $dynamic_sizes^ `]`)? attr-dict `:` type($input) `->` type($result)";
  let builders = [
    OpBuilder<(ins "Value":$input, "ArrayRef<int64_t>":$offsets,
                   "ArrayRef<int64_t>":$sizes, "ArrayRef<int64_t>":$strides), [{
      build($_builder, $_state, input, ValueRange{}, offsets, sizes, strides);
    }]>
  ];
  let hasFolder = 1;
}

def Attn_ConcatOp : Attn_InferredOp<"concat"> {
  let summary = "join tensors along an axis";
  let description = [{
    ```mlir
    %kv = attn.concat %past, %new {axis = 2 : i64}
        : (tensor<1x12x7x64xf32>, tensor<1x12x1x64xf32>) -> tensor<1x12x8x64xf32>
    ```
  }];
  let arguments = (ins Variadic<Attn_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$inputs attr-dict `:` functional-type($inputs, results)";
  let hasFolder = 1;
}

def Attn_KvAppendOp : Attn_InferredOp<"kv_append"> {
  let summary = "append a step's rows to a KV cache kept in place";
  let description = [{
    The value is `attn.concat %cache, %rows` along `axis`; what differs is
    where it lives. `%cache` is an argument of the model's entry whose
    caller buffer has room for `capacity` positions along `axis` (the
    argument's own extent there is how many it holds now): the CPU entry
    point (`cpu-entry-point`) writes `%rows` into that buffer after the
    cached positions and reads the result as a view of it, so a step moves
    its own rows only, never the cache. `attn-kv-cache-in-place` creates it
    from the exported `present = Concat(past, new)`; the present stays a
    result of the function (marked `attnc.kv_cache_of`) until the entry
    point drops it from the signature.

    ```mlir
    %k = attn.kv_append %past, %new {axis = 2 : i64, capacity = 2048 : i64}
        : (tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>) -> tensor<1x12x?x64xf32>
    ```

    With `ring = R` (a sliding-window model, where attention reads only
    the cache's last positions through `attn.kv_window`), the buffer keeps
    the last R positions instead of all of them: position `a` lives at
    slots `a mod R` and `R + a mod R` of a buffer of 2R slots, so that
    any R consecutive positions are one contiguous range. `capacity` still
    bounds the positions a run may leave (the sequence length the model
    serves); memory is 2R positions, however long the sequence grows.

    ```mlir
    %k = attn.kv_append %past, %new {axis = 2 : i64, capacity = 32768 : i64, ring = 4100 : i64}
        : (tensor<1x8x?x128xf32>, tensor<1x8x?x128xf32>) -> tensor<1x8x?x128xf32>
    ```

    Verified: the two operands agree in element type, rank and every dim
    but `axis`; `capacity` is positive and holds both operands' static
    extents along `axis`; a ring is positive and holds the rows' static
    extent.
  }];
  let arguments = (ins Attn_Tensor:$cache, Attn_Tensor:$rows, I64Attr:$axis,
                       I64Attr:$capacity, OptionalAttr<I64Attr>:$ring);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$cache `,` $rows attr-dict `:` functional-type(operands, results)";
}

def Attn_KvWindowOp : Attn_InferredOp<"kv_window"> {
  let summary = "the last positions of a KV cache, and where they start";
  let description = [{
    `held` is the last `min(slots, T)` positions of `cache` along `axis`
    (T its extent there), in order; `first` is the position of held's first
    one, `max(0, T - slots)`. Attention over a sliding window reads only
    these: `attn-kv-cache-in-place` gives a windowed `attn.sdpa` its keys
    and values this way, with `first` taken off its query offset, when the
    cache is a ring (`attn.kv_append` with `ring = slots`); the CPU entry
    point then reads `held` straight from the ring's buffer.

    ```mlir
    %held, %first = attn.kv_window %k {axis = 2 : i64, slots = 4100 : i64}
        : tensor<1x8x?x128xf32> -> (tensor<1x8x?x128xf32>, tensor<i64>)
    ```

    Verified: `axis` is a dim of the cache; `slots` is positive.
  }];
  let arguments = (ins Attn_Tensor:$cache, I64Attr:$axis, I64Attr:$slots);
  let results = (outs Attn_Tensor:$held, 0DTensorOf<[I64]>:$first);
  let assemblyFormat = "$cache attr-dict `:` type($cache) `->` `(` type(results) `)`";
}

def Attn_GatherOp : Attn_InferredOp<"gather"> {
  let summary = "take slices along an axis at integer indices (ONNX Gather)";
  let description = [{
    Result shape: `data[:axis] + indices + data[axis+1:]`. Negative indices
    count from the end of the axis.

    ```mlir
    %e = attn.gather %table, %ids {axis = 0 : i64}
        : (tensor<50257x768xf32>, tensor<1x128xi64>) -> tensor<1x128x768xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$data, Attn_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Attn_TriluOp : Attn_Op<"trilu", [Pure, SameOperandsAndResultType]> {
  let summary = "keep the upper or lower triangle of the last two dims";
  let description = [{
    Lower (`upper = false`) keeps elements with `col - row <= diagonal`;
    upper keeps `col - row >= diagonal`; the rest become zero.

    ```mlir
    %m = attn.trilu %ones {upper = false, diagonal = 0 : i64} : tensor<8x8xf32>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, BoolAttr:$upper, I64Attr:$diagonal);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

class Attn_ReduceOp<string mnemonic, string semantics>
    : Attn_InferredOp<mnemonic> {
  let summary = semantics # " over the given axes";
  let description = "Reduces `axes` (sorted, unique, non-negative) with "
    # semantics # "; `keepdims` keeps them as size-1 dims.\n\n"
    # "```mlir\n%r = attn." # mnemonic # " %x {axes = array<i64: 2>, "
    # "keepdims = true} : tensor<1x8x64xf32> -> tensor<1x8x1xf32>\n```";
  let arguments = (ins Attn_Tensor:$input, DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Attn_ReduceSumOp : Attn_ReduceOp<"reduce_sum", "sum">;
def Attn_ReduceMeanOp : Attn_ReduceOp<"reduce_mean", "mean">;
def Attn_ReduceMaxOp : Attn_ReduceOp<"reduce_max", "max">;
def Attn_ReduceMinOp : Attn_ReduceOp<"reduce_min", "min">;

def Attn_CumSumOp : Attn_Op<"cumsum", [Pure, SameOperandsAndResultType]> {
  let summary = "running sum along an axis";
  let description = [{
    `exclusive` leaves out the element itself; `reverse` sums from the end.

    ```mlir
    %c = attn.cumsum %mask {axis = 1 : i64} : tensor<1x8xi64>
    ```
  }];
  let arguments = (ins Attn_Tensor:$input, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                   DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

class Attn_SoftmaxBase<string mnemonic, string semantics>
    : Attn_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = semantics # " along one axis";
  let description = semantics # " along `axis` (ONNX opset 13 semantics).\n\n"
    # "```mlir\n%p = attn." # mnemonic # " %s {axis = 3 : i64} : "
    # "tensor<1x12x128x128xf32>\n```";
  let arguments = (ins Attn_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Attn_SoftmaxOp : Attn_SoftmaxBase<"softmax", "exp(x - max) / sum(exp(x - max))">;
def Attn_LogSoftmaxOp : Attn_SoftmaxBase<"log_softmax", "log(softmax(x))">;

def Attn_LayerNormOp : Attn_InferredOp<"layer_norm"> {
  let summary = "layer normalization over the trailing dims from `axis`";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * scale + bias`, statistics over dims
    `[axis, rank)`; `scale` and `bias` broadcast to those dims.

    ```mlir
    %y = attn.layer_norm %x, %g, %b {axis = 2 : i64, epsilon = 1.0e-05 : f32}
        : (tensor<1x8x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<1x8x64xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input, Attn_FloatTensor:$scale,
                   Optional<Attn_FloatTensor>:$bias, I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = "$input `,` $scale (`,` $bias^)? attr-dict `:` "
                       "functional-type(operands, results)";
}

def Attn_RmsNormOp : Attn_InferredOp<"rms_norm"> {
  let summary = "root-mean-square normalization over the trailing dims";
  let description = [{
    `x / sqrt(mean(x^2) + epsilon) * scale` over dims `[axis, rank)`.

    ```mlir
    %y = attn.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-06 : f32}
        : (tensor<1x8x64xf32>, tensor<64xf32>) -> tensor<1x8x64xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$input, Attn_FloatTensor:$scale,
                   I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = "$input `,` $scale attr-dict `:` "
                       "functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Fused attention
//===----------------------------------------------------------------------===//

def Attn_SdpaOp : Attn_InferredOp<"sdpa", [AttrSizedOperandSegments]> {
  let summary = "scaled dot-product attention with a structured mask";
  let description = [{
    `softmax(scale * q @ kᵀ + masks) @ v` per (batch, query head), where query
    head `h` reads key/value head `h / (Hq / Hkv)` (multi-, grouped- and
    multi-query attention are one op). Shapes: q [B, Hq, S, D],
    k [B, Hkv, T, D], v [B, Hkv, T, Dv], result [B, Hq, S, Dv].

    Masks, all optional, combine by AND:
    - `mask`: `#attn.window<left, right>`; query `i` stands at absolute
      position `offset + i` and sees key `j` iff it lies in the window.
    - `offset` operand (i64, rank 0 or [B]): query position offset, e.g. the
      past length in KV-cache decoding; 0 when absent.
    - `key_mask` operand [B, T], the padding mask of each batch row: i1
      (`true` keys are visible) or of q's float type (added to every query's
      score of that key, as the graph's own `(1 - mask) * min` would be).
    - `dense_mask` operand, broadcastable to [B, Hq, S, T]: additive (same
      float type as q) or boolean (`true` is visible) - the last resort.

    A query row that sees no key yields zeros (sdpa.C10 in spec.md).

    `layout` (`#attn.layout`, sdpa.C11) marks tensors stored sequence-major,
    `[B, S, H, D]`, as a graph holds them around its multi-head Transpose;
    the shapes above are then read with S and H swapped. `getDims()` gives
    the sizes whatever the layout.

    ```mlir
    %o = attn.sdpa %q, %k, %v {mask = #attn.window<left = inf, right = 0>, scale = 1.250000e-01 : f32}
        : (tensor<1x12x1024x64xf32>, tensor<1x12x1024x64xf32>, tensor<1x12x1024x64xf32>)
        -> tensor<1x12x1024x64xf32>
    %d = attn.sdpa %q1, %kc, %vc offset(%past) key_mask(%pad) {scale = 1.250000e-01 : f32}
        : (tensor<1x12x1x64xf32>, tensor<1x4x4096x64xf32>, tensor<1x4x4096x64xf32>,
           tensor<i64>, tensor<1x4096xi1>) -> tensor<1x12x1x64xf32>
    %l = attn.sdpa %qs, %ks, %vs {layout = #attn.layout<query = bshd, key = bshd, value = bshd, result = bshd>, scale = 1.250000e-01 : f32}
        : (tensor<1x128x12x64xf32>, tensor<1x128x12x64xf32>, tensor<1x128x12x64xf32>)
        -> tensor<1x128x12x64xf32>
    ```
  }];
  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                   Attn_FloatTensor:$value,
                   Optional<RankedTensorOf<[I64]>>:$offset,
                   Optional<Attn_Tensor>:$key_mask,
                   Optional<Attn_Tensor>:$dense_mask,
                   F32Attr:$scale,
                   OptionalAttr<Attn_WindowAttr>:$mask,
                   OptionalAttr<Attn_LayoutAttr>:$layout);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`offset` `(` $offset^ `)`)?
    (`key_mask` `(` $key_mask^ `)`)?
    (`dense_mask` `(` $dense_mask^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The window, or the unbounded window when the attribute is absent.
    WindowAttr getWindow();
    /// The key mask when it is boolean (hides keys), else null.
    Value getKeyVisibility();
    /// The key mask when it is additive (a per-key score bias), else null.
    Value getKeyBias();
    /// Whether `tensor` is stored [B, S, H, D] (see `layout`).
    bool isSeqMajor(SdpaTensor tensor);
    /// B, Hq, Hkv, S, T, D and Dv, whatever the layout.
    SdpaDims getDims();
  }];
}

#endif // ATTN_OPS_TD

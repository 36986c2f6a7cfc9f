//===- AttnDialect.td - The attn dialect and its op base ---*- tablegen -*-===//
//
// The attn dialect: transformer graph ops with ONNX-like tensor semantics and
// the fused attention op attn.sdpa. Ops live in AttnOps.td, attributes in
// AttnAttrs.td.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Transformer graph ops and fused attention";
  let description = [{
    Graph ops mirror ONNX semantics (numpy broadcasting, negative axes already
    normalized by the frontend) on ranked tensors. `attn.sdpa` is one
    scaled-dot-product attention whose mask is structure (`#attn.window`)
    where it can be, and a tensor operand only where it cannot.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::func::FuncDialect"];
  let extraClassDeclaration = [{
    /// Adds #attn.window; defined beside the attribute storage classes.
    void registerAttributes();
  }];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif // ATTN_DIALECT_TD

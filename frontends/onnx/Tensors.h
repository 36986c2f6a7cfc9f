//===- Tensors.h - ONNX element types and TensorProto data ------*- C++ -*-===//
//
// Maps ONNX data types to MLIR element types and turns TensorProtos
// (initializers, Constant values) into constant attributes: `dense` for small
// tensors so that shape arithmetic folds, `dense_resource` blobs for weights.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_ONNX_TENSORS_H
#define ATTNC_FRONTENDS_ONNX_TENSORS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include <optional>
#include <string>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace mlir::attn::onnx_frontend {

/// Tensors with more elements than this become dense_resource blobs.
constexpr int64_t kMaxInlineElements = 16;

/// The element type for an ONNX TensorProto::DataType, or null when attnc
/// does not support it.
Type convertElementType(MLIRContext *ctx, int32_t onnxType);

/// The ONNX spelling of a data type for messages: "float", "uint8".
std::string elementTypeName(int32_t onnxType);

/// Reads the data of `tensor` (raw_data, typed fields, or an external file
/// relative to `modelDir`). Emits an error at `loc` naming the tensor (and
/// file) and fails on unsupported types, short data or missing files. An
/// unnamed tensor goes by `fallbackName`.
FailureOr<ElementsAttr> convertTensor(const onnx::TensorProto &tensor,
                                      MLIRContext *ctx, StringRef modelDir,
                                      Location loc,
                                      StringRef fallbackName = "");

/// A dense_resource constant of `type` holding a copy of `data` (one byte per
/// i1), in a blob named after `tensorName`.
ElementsAttr makeResourceElements(ShapedType type, StringRef tensorName,
                                  ArrayRef<char> data);

/// The element count of `shape`, or nullopt when a dim is negative or the
/// product overflows int64.
std::optional<int64_t> elementCount(ArrayRef<int64_t> shape);

/// Formats a shape as `[1, 8, 64]` for messages.
std::string formatShape(ArrayRef<int64_t> shape);

/// Checks that an external-data tensor's file exists and holds its bytes,
/// without reading them.
LogicalResult checkExternalData(const onnx::TensorProto &tensor,
                                StringRef modelDir, Location loc);

} // namespace mlir::attn::onnx_frontend

#endif // ATTNC_FRONTENDS_ONNX_TENSORS_H

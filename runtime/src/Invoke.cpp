//===- Invoke.cpp - Checked runs of a compiled model ------------*- C++ -*-===//
//
// Every buffer is checked against the manifest before the model code sees
// it: compiled code trusts its shapes completely, so a wrong buffer would
// otherwise be a silent overrun.
//
//===----------------------------------------------------------------------===//

#include "runtime/src/Model.h"

#include "runtime/src/PercentEncoding.h"
#include "runtime/src/Shape.h"
#include "runtime/src/Status.h"

#include <cstring>
#include <functional>
#include <mutex>
#include <vector>

using namespace attnc;

namespace {

attnc_status_t *invalidArgument(const std::string &message) {
  return makeStatus(ATTNC_STATUS_INVALID_ARGUMENT, message);
}

/// Ranks beyond this are printed as "rank N" instead of a dim list, so a
/// garbage rank never makes the message read far past `dims`.
constexpr size_t kMaxPrintedRank = 64;

std::string describeGot(const attnc_tensor_t &tensor) {
  if (tensor.rank > kMaxPrintedRank)
    return "a rank-" + std::to_string(tensor.rank) + " tensor (" +
           attnc_dtype_name(tensor.dtype) + ")";
  return formatShapeAndDtype(tensor.dims, tensor.rank, tensor.dtype);
}

/// Whether data of `given` may bind a tensor declared `declared`: the same
/// dtype, or u16 bits for bf16 (numpy and ONNX's own test data have no
/// bfloat16 and carry it as uint16).
bool sameDtype(attnc_dtype_t declared, attnc_dtype_t given) {
  return given == declared || (declared == ATTNC_DTYPE_BF16 && given == ATTNC_DTYPE_U16);
}

bool sameShape(const TensorDecl &decl, const attnc_tensor_t &tensor) {
  return sameDtype(decl.dtype, tensor.dtype) && tensor.rank == decl.dims.size() &&
         (tensor.rank == 0 || std::memcmp(tensor.dims, decl.dims.data(),
                                          tensor.rank * sizeof(int64_t)) == 0);
}

attnc_status_t *checkTensor(const char *kind, const TensorDecl &decl,
                            const attnc_tensor_t *tensor) {
  std::string subject =
      std::string(kind) + " '" + quoteForMessage(decl.name) + "': ";
  if (!tensor)
    return invalidArgument(subject + "tensor is NULL");
  if (tensor->rank && !tensor->dims)
    return invalidArgument(subject + "dims is NULL for a rank-" +
                           std::to_string(tensor->rank) + " tensor");
  std::string expected =
      formatShapeAndDtype(decl.dims.data(), decl.dims.size(), decl.dtype);
  if (!sameShape(decl, *tensor))
    return invalidArgument(subject + "expected shape " + expected + ", got " +
                           describeGot(*tensor));
  if (tensor->byte_size != decl.byteSize)
    return invalidArgument(subject + "expected a " +
                           std::to_string(decl.byteSize) +
                           "-byte buffer for shape " + expected + ", got " +
                           std::to_string(tensor->byte_size) + " bytes");
  if (!tensor->data && decl.byteSize)
    return invalidArgument(subject + "data is NULL");
  return nullptr;
}

attnc_status_t *checkAt(const char *kind, const std::vector<TensorDecl> &decls,
                        size_t index, const attnc_tensor_t *tensor) {
  if (index >= decls.size())
    return indexOutOfRange(kind, index, decls.size());
  return checkTensor(kind, decls[index], tensor);
}

attnc_status_t *checkAll(const char *kind, const std::vector<TensorDecl> &decls,
                         const attnc_tensor_t *tensors, size_t count) {
  if (count != decls.size())
    return invalidArgument("expected " + std::to_string(decls.size()) + " " +
                           kind + "s (" + describeDecls(decls) + "), got " +
                           std::to_string(count));
  if (count && !tensors)
    return invalidArgument(std::string(kind) + "s is NULL");
  for (size_t i = 0; i < count; ++i)
    if (attnc_status_t *status = checkTensor(kind, decls[i], &tensors[i]))
      return status;
  return nullptr;
}

/// The lock that keeps runs of one entry point from overlapping. Striped by
/// the function's address: two models loaded from the same library share
/// its code and globals, so they must share the lock too.
std::mutex &lockFor(attnc_model_run_fn_t run) {
  static std::mutex stripes[16];
  size_t hash = std::hash<const void *>()(reinterpret_cast<const void *>(run));
  return stripes[(hash >> 4) % 16];
}

/// Handed to the model for empty tensors, so it never sees a null pointer.
alignas(64) unsigned char emptyBuffer[64];

} // namespace

extern "C" {

attnc_status_t *attnc_model_check_input(const attnc_model_t *model,
                                        size_t index,
                                        const attnc_tensor_t *tensor) {
  return guardStatus([&] {
    if (!model)
      return invalidArgument("model is NULL");
    return checkAt("input", model->manifest.inputs, index, tensor);
  });
}

attnc_status_t *attnc_model_check_output(const attnc_model_t *model,
                                         size_t index,
                                         const attnc_tensor_t *tensor) {
  return guardStatus([&] {
    if (!model)
      return invalidArgument("model is NULL");
    return checkAt("output", model->manifest.outputs, index, tensor);
  });
}

attnc_status_t *attnc_model_invoke(attnc_model_t *model,
                                   const attnc_tensor_t *inputs,
                                   size_t input_count, attnc_tensor_t *outputs,
                                   size_t output_count) {
  return guardStatus([&]() -> attnc_status_t * {
    if (!model)
      return invalidArgument("model is NULL");
    const Manifest &manifest = model->manifest;
    if (attnc_status_t *status =
            checkAll("input", manifest.inputs, inputs, input_count))
      return status;
    if (attnc_status_t *status =
            checkAll("output", manifest.outputs, outputs, output_count))
      return status;

    std::vector<void *> buffers;
    buffers.reserve(input_count + output_count + 1);
    for (size_t i = 0; i < input_count; ++i)
      buffers.push_back(inputs[i].byte_size ? inputs[i].data : emptyBuffer);
    for (size_t i = 0; i < output_count; ++i)
      buffers.push_back(outputs[i].byte_size ? outputs[i].data : emptyBuffer);
    if (model->workspace)
      buffers.push_back(model->workspace);

    std::lock_guard<std::mutex> guard(lockFor(model->run));
    model->run(buffers.data());
    return nullptr;
  });
}

} // extern "C"

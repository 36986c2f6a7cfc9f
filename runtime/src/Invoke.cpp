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

#include <algorithm>
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

/// The values a run gives the model's run-time dims (Manifest::dims), in
/// order; -1 where no tensor checked so far has given one.
using DimValues = std::vector<int64_t>;

/// `decl`'s shape for a run with `values`; a run-time dim not yet given
/// stays -1.
std::vector<int64_t> shapeFor(const TensorDecl &decl, const DimValues &values) {
  std::vector<int64_t> dims(decl.dims);
  for (size_t i = 0; i < dims.size(); ++i)
    if (decl.symbols[i] >= 0)
      dims[i] = values[decl.symbols[i]];
    else if (decl.symbols[i] == kSumDim)
      dims[i] = evaluateSum(decl.sums[i], values);
  return dims;
}

std::string subjectOf(const char *kind, const TensorDecl &decl) {
  return std::string(kind) + " '" + quoteForMessage(decl.name) + "': ";
}

/// Checks `tensor` against `decl` for a run with `values`, and learns the
/// values of run-time dims it gives first (`learn`: inputs; an output only
/// takes the shape the inputs gave).
attnc_status_t *checkTensor(const char *kind, const Manifest &manifest, const TensorDecl &decl,
                            const attnc_tensor_t *tensor, DimValues &values, bool learn) {
  std::string subject = subjectOf(kind, decl);
  if (!tensor)
    return invalidArgument(subject + "tensor is NULL");
  if (tensor->rank && !tensor->dims)
    return invalidArgument(subject + "dims is NULL for a rank-" +
                           std::to_string(tensor->rank) + " tensor");
  std::string declared = formatDecl(decl, manifest);
  if (!sameDtype(decl.dtype, tensor->dtype) || tensor->rank != decl.dims.size())
    return invalidArgument(subject + "expected shape " + declared + ", got " +
                           describeGot(*tensor));
  for (size_t i = 0; i < tensor->rank; ++i) {
    int symbol = decl.symbols[i];
    int64_t got = tensor->dims[i];
    if (symbol < 0 || (values[symbol] >= 0 && !learn)) {
      int64_t want = symbol == kSumDim ? evaluateSum(decl.sums[i], values)
                     : symbol < 0      ? decl.dims[i]
                                       : values[symbol];
      if (got != want) {
        std::vector<int64_t> expected = shapeFor(decl, values);
        return invalidArgument(subject + "expected shape " +
                               formatShapeAndDtype(expected.data(), expected.size(), decl.dtype) +
                               (decl.hasRunTimeDims() ? " (" + declared + ")" : "") + ", got " +
                               describeGot(*tensor));
      }
      continue;
    }
    const DimDecl &dim = manifest.dims[symbol];
    std::string which = "dim " + std::to_string(i) + " ('" + quoteForMessage(dim.name) + "')";
    if (got < 0 || got > dim.bound)
      return invalidArgument(subject + which + " is " + std::to_string(got) +
                             ", outside the model's bounds 0.." + std::to_string(dim.bound) +
                             " (shape " + declared + ", got " + describeGot(*tensor) + ")");
    if (values[symbol] >= 0 && values[symbol] != got)
      return invalidArgument(subject + which + " is " + std::to_string(got) +
                             ", but an earlier input gave '" + quoteForMessage(dim.name) +
                             "' = " + std::to_string(values[symbol]));
    values[symbol] = got;
  }
  // The byte size of the shape just checked (no copy: every run passes
  // here); a KV cache kept in place comes in its whole buffer, with room for
  // its capacity.
  std::vector<int64_t> cacheBuffer;
  const int64_t *bufferDims = tensor->dims;
  if (decl.cacheAxis >= 0) {
    int64_t held = tensor->dims[decl.cacheAxis];
    if (held > decl.cacheCapacity)
      return invalidArgument(subject + "holds " + std::to_string(held) +
                             " positions, more than its capacity of " +
                             std::to_string(decl.cacheCapacity));
    cacheBuffer.assign(tensor->dims, tensor->dims + tensor->rank);
    cacheBuffer[decl.cacheAxis] = decl.cacheBufferPositions();
    bufferDims = cacheBuffer.data();
  }
  size_t elements = 0;
  size_t bytes = checkedElementCount(bufferDims, tensor->rank, attnc_dtype_size(decl.dtype),
                                     elements)
                     ? elements * attnc_dtype_size(decl.dtype)
                     : 0;
  if (tensor->byte_size != bytes)
    return invalidArgument(subject + "expected a " + std::to_string(bytes) +
                           "-byte buffer for shape " +
                           formatShapeAndDtype(bufferDims, tensor->rank, decl.dtype) +
                           (decl.cacheAxis >= 0 ? " (a KV cache's whole buffer)" : "") +
                           ", got " + std::to_string(tensor->byte_size) + " bytes");
  if (!tensor->data && bytes)
    return invalidArgument(subject + "data is NULL");
  return nullptr;
}

attnc_status_t *checkAt(const char *kind, const Manifest &manifest,
                        const std::vector<TensorDecl> &decls, size_t index,
                        const attnc_tensor_t *tensor) {
  if (index >= decls.size())
    return indexOutOfRange(kind, index, decls.size());
  DimValues values(manifest.dims.size(), -1);
  return checkTensor(kind, manifest, decls[index], tensor, values, /*learn=*/true);
}

attnc_status_t *checkAll(const char *kind, const Manifest &manifest,
                         const std::vector<TensorDecl> &decls, const attnc_tensor_t *tensors,
                         size_t count, DimValues &values, bool learn) {
  if (count != decls.size())
    return invalidArgument("expected " + std::to_string(decls.size()) + " " +
                           kind + "s (" + describeDecls(decls) + "), got " +
                           std::to_string(count));
  if (count && !tensors)
    return invalidArgument(std::string(kind) + "s is NULL");
  for (size_t i = 0; i < count; ++i)
    if (attnc_status_t *status =
            checkTensor(kind, manifest, decls[i], &tensors[i], values, learn))
      return status;
  return nullptr;
}

/// After the inputs gave every dim: each KV cache kept in place has room
/// for the positions the run leaves in it.
attnc_status_t *checkCacheRoom(const Manifest &manifest, const DimValues &values) {
  for (const TensorDecl &decl : manifest.inputs) {
    if (decl.cacheAxis < 0)
      continue;
    int64_t after = evaluateSum(decl.cacheExtent, values);
    if (after > decl.cacheCapacity)
      return invalidArgument(subjectOf("input", decl) + "this run would leave " +
                             std::to_string(after) + " positions in the KV cache, more than its "
                             "capacity of " + std::to_string(decl.cacheCapacity));
  }
  return nullptr;
}

/// Checks a run's inputs and learns the values of the run-time dims they
/// give (`values`, sized for the manifest's dims).
attnc_status_t *checkInputs(const Manifest &manifest, const attnc_tensor_t *inputs,
                            size_t count, DimValues &values) {
  if (attnc_status_t *status =
          checkAll("input", manifest, manifest.inputs, inputs, count, values, /*learn=*/true))
    return status;
  return checkCacheRoom(manifest, values);
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
    return checkAt("input", model->manifest, model->manifest.inputs, index, tensor);
  });
}

attnc_status_t *attnc_model_check_output(const attnc_model_t *model,
                                         size_t index,
                                         const attnc_tensor_t *tensor) {
  return guardStatus([&] {
    if (!model)
      return invalidArgument("model is NULL");
    return checkAt("output", model->manifest, model->manifest.outputs, index, tensor);
  });
}

attnc_status_t *attnc_model_output_shape(const attnc_model_t *model,
                                         const attnc_tensor_t *inputs, size_t input_count,
                                         size_t index, int64_t *out_dims) {
  return guardStatus([&]() -> attnc_status_t * {
    if (!model)
      return invalidArgument("model is NULL");
    const Manifest &manifest = model->manifest;
    if (index >= manifest.outputs.size())
      return indexOutOfRange("output", index, manifest.outputs.size());
    const TensorDecl &decl = manifest.outputs[index];
    if (!out_dims && !decl.dims.empty())
      return invalidArgument("out_dims is NULL");
    DimValues values(manifest.dims.size(), -1);
    if (attnc_status_t *status = checkInputs(manifest, inputs, input_count, values))
      return status;
    std::vector<int64_t> dims = shapeFor(decl, values);
    std::copy(dims.begin(), dims.end(), out_dims);
    return nullptr;
  });
}

attnc_status_t *attnc_model_cache_length(const attnc_model_t *model,
                                         const attnc_tensor_t *inputs, size_t input_count,
                                         size_t index, int64_t *out_length) {
  return guardStatus([&]() -> attnc_status_t * {
    if (!model)
      return invalidArgument("model is NULL");
    const Manifest &manifest = model->manifest;
    if (index >= manifest.inputs.size())
      return indexOutOfRange("input", index, manifest.inputs.size());
    const TensorDecl &decl = manifest.inputs[index];
    if (decl.cacheAxis < 0)
      return invalidArgument("input '" + quoteForMessage(decl.name) +
                             "' is not a KV cache kept in place");
    if (!out_length)
      return invalidArgument("out_length is NULL");
    DimValues values(manifest.dims.size(), -1);
    if (attnc_status_t *status = checkInputs(manifest, inputs, input_count, values))
      return status;
    *out_length = evaluateSum(decl.cacheExtent, values);
    return nullptr;
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
    DimValues values(manifest.dims.size(), -1);
    if (attnc_status_t *status = checkInputs(manifest, inputs, input_count, values))
      return status;
    if (attnc_status_t *status = checkAll("output", manifest, manifest.outputs, outputs,
                                          output_count, values, /*learn=*/false))
      return status;

    std::vector<void *> buffers;
    buffers.reserve(input_count + output_count + 2);
    for (size_t i = 0; i < input_count; ++i)
      buffers.push_back(inputs[i].byte_size ? inputs[i].data : emptyBuffer);
    for (size_t i = 0; i < output_count; ++i)
      buffers.push_back(outputs[i].byte_size ? outputs[i].data : emptyBuffer);
    if (model->workspace)
      buffers.push_back(model->workspace);
    // The values of the run-time dims follow (the model ABI, attnc/model.h).
    if (!values.empty())
      buffers.push_back(values.data());

    std::lock_guard<std::mutex> guard(lockFor(model->run));
    model->run(buffers.data());
    return nullptr;
  });
}

} // extern "C"

//===- TensorFile.h - Read and write tensors as .npy or .pb -----*- C++ -*-===//
//
// Tensor files for the runner and tests: NumPy .npy (v1.0/2.0/3.0,
// little-endian, C order) and ONNX TensorProto .pb, parsed with a small
// protobuf wire-format reader instead of libprotobuf. Nothing here throws:
// every failure is a message naming the file.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_IO_TENSORFILE_H
#define ATTNC_RUNTIME_IO_TENSORFILE_H

#include "attnc/tensor.h"

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnc::io {

/// A tensor held in memory: row-major little-endian elements in `bytes`.
struct Tensor {
  /// TensorProto name; empty for .npy files, which carry none.
  std::string name;
  attnc_dtype_t dtype = ATTNC_DTYPE_INVALID;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

/// Success, or a one-line error message.
class [[nodiscard]] Status {
public:
  Status() = default;
  static Status error(std::string message) {
    Status status;
    status.failed = true;
    status.text = std::move(message);
    return status;
  }
  bool ok() const { return !failed; }
  explicit operator bool() const { return ok(); }
  const std::string &message() const { return text; }

private:
  bool failed = false;
  std::string text;
};

/// A value of type T, or an error message.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : stored(std::move(value)) {}
  /// From a failed Status.
  Result(Status status) : failure(std::move(status)) {
    assert(!failure.ok() && "a Result needs a value or an error");
  }
  bool ok() const { return failure.ok(); }
  explicit operator bool() const { return ok(); }
  const std::string &error() const { return failure.message(); }
  /// The error as a Status (OK when there is a value).
  const Status &status() const { return failure; }
  T &value() {
    assert(ok() && "value() of a failed Result");
    return stored;
  }
  const T &value() const {
    assert(ok() && "value() of a failed Result");
    return stored;
  }
  T &operator*() { return value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

private:
  T stored{};
  Status failure;
};

enum class TensorFileFormat { Npy, TensorProto };

/// Npy when `path` ends in ".npy" (any case), TensorProto otherwise.
TensorFileFormat formatForPath(std::string_view path);

/// ".npy" or ".pb".
const char *extensionFor(TensorFileFormat format);

/// Checks that `tensor` is self-consistent: a valid dtype, non-negative
/// dims, exactly shape-product * dtype-size bytes, and i1 bytes that are 0
/// or 1. The message does not name a file.
Status checkConsistent(const Tensor &tensor);

/// Reads a tensor file, choosing the format by extension.
Result<Tensor> readTensorFile(const std::string &path);

/// Writes a tensor file, choosing the format by extension. The data goes to
/// a temporary file beside `path` that is renamed over it once complete, so
/// a failure never leaves a partial file at `path`.
Status writeTensorFile(const std::string &path, const Tensor &tensor);

/// Encodes `tensor` for `format`, e.g. to write several files only once all
/// of them encoded.
Result<std::vector<uint8_t>> serializeTensor(const Tensor &tensor,
                                             TensorFileFormat format);

/// Writes `bytes` to `path` through a temporary file and a rename.
Status writeFileAtomically(const std::string &path,
                           const std::vector<uint8_t> &bytes);

/// In-memory .npy: `fileName` only names the data in messages. Reads major
/// versions 1, 2 and 3 (minor 0); writes 1.0, or 2.0 for huge headers.
/// numpy has no bfloat16: bf16 is written as its bits ("<u2") and reads
/// back as u16.
Result<Tensor> parseNpy(const uint8_t *data, size_t size,
                        const std::string &fileName);
Result<std::vector<uint8_t>> serializeNpy(const Tensor &tensor);

/// In-memory ONNX TensorProto. Reads dims, data_type, name, raw_data and the
/// typed data fields; rejects string and external data. Writes dims,
/// data_type, name and raw_data.
Result<Tensor> parseTensorProto(const uint8_t *data, size_t size,
                                const std::string &fileName);
Result<std::vector<uint8_t>> serializeTensorProto(const Tensor &tensor);

} // namespace attnc::io

#endif // ATTNC_RUNTIME_IO_TENSORFILE_H

//===- TensorFile.cpp - Tensor file formats and file I/O --------*- C++ -*-===//
//
// The format-independent half: pick a format by extension, read whole files,
// write them atomically, and check a tensor's bytes against its shape.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/TensorFile.h"

#include "runtime/src/Shape.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace attnc::io {
namespace {

std::string quotedPath(const std::string &path) { return "'" + path + "'"; }

Status systemError(const std::string &what, const std::string &path,
                   int error) {
  return Status::error("cannot " + what + " " + quotedPath(path) + ": " +
                       std::strerror(error));
}

Result<std::vector<uint8_t>> readWholeFile(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return systemError("open", path, errno);
  std::vector<uint8_t> bytes;
  struct stat info;
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0)
    bytes.reserve(static_cast<size_t>(info.st_size));
  uint8_t chunk[1 << 16];
  for (;;) {
    ssize_t got = ::read(fd, chunk, sizeof(chunk));
    if (got < 0) {
      if (errno == EINTR)
        continue;
      int error = errno;
      ::close(fd);
      return systemError("read", path, error);
    }
    if (got == 0)
      break;
    bytes.insert(bytes.end(), chunk, chunk + got);
  }
  ::close(fd);
  return bytes;
}

bool endsWithNoCase(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size())
    return false;
  text = text.substr(text.size() - suffix.size());
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i])
      return false;
  }
  return true;
}

} // namespace

TensorFileFormat formatForPath(std::string_view path) {
  return endsWithNoCase(path, ".npy") ? TensorFileFormat::Npy
                                      : TensorFileFormat::TensorProto;
}

const char *extensionFor(TensorFileFormat format) {
  return format == TensorFileFormat::Npy ? ".npy" : ".pb";
}

Status checkConsistent(const Tensor &tensor) {
  size_t elementSize = attnc_dtype_size(tensor.dtype);
  if (!elementSize)
    return Status::error("invalid dtype");
  for (size_t i = 0; i < tensor.shape.size(); ++i)
    if (tensor.shape[i] < 0)
      return Status::error("dim " + std::to_string(i) + " is negative (" +
                           std::to_string(tensor.shape[i]) + ")");
  std::string described = formatShapeAndDtype(
      tensor.shape.data(), tensor.shape.size(), tensor.dtype);
  size_t count = 0;
  if (!checkedElementCount(tensor.shape.data(), tensor.shape.size(),
                           elementSize, count))
    return Status::error("shape " + described +
                         " has more bytes than fit in memory");
  if (tensor.bytes.size() != count * elementSize)
    return Status::error(
        "shape " + described + " needs " + std::to_string(count * elementSize) +
        " bytes of data, got " + std::to_string(tensor.bytes.size()));
  if (tensor.dtype == ATTNC_DTYPE_I1) {
    for (size_t i = 0; i < tensor.bytes.size(); ++i)
      if (tensor.bytes[i] > 1)
        return Status::error("bool element " + std::to_string(i) + " is " +
                             std::to_string(tensor.bytes[i]) +
                             ", expected 0 or 1");
  }
  return Status();
}

Result<Tensor> readTensorFile(const std::string &path) {
  try {
    Result<std::vector<uint8_t>> bytes = readWholeFile(path);
    if (!bytes)
      return bytes.status();
    const std::vector<uint8_t> &data = bytes.value();
    if (formatForPath(path) == TensorFileFormat::Npy)
      return parseNpy(data.data(), data.size(), path);
    return parseTensorProto(data.data(), data.size(), path);
  } catch (const std::bad_alloc &) {
    return Status::error("out of memory reading " + quotedPath(path));
  }
}

Result<std::vector<uint8_t>> serializeTensor(const Tensor &tensor,
                                             TensorFileFormat format) {
  try {
    return format == TensorFileFormat::Npy ? serializeNpy(tensor)
                                           : serializeTensorProto(tensor);
  } catch (const std::bad_alloc &) {
    return Status::error("out of memory");
  }
}

Status writeFileAtomically(const std::string &path,
                           const std::vector<uint8_t> &bytes) {
  static std::atomic<unsigned> counter{0};
  std::string temporary = path + ".tmp-" + std::to_string(::getpid()) + "-" +
                          std::to_string(counter.fetch_add(1));
  int fd =
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    return systemError("create", temporary, errno);
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t put = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (put < 0) {
      if (errno == EINTR)
        continue;
      int error = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      return systemError("write", temporary, error);
    }
    written += static_cast<size_t>(put);
  }
  if (::close(fd) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    return systemError("write", temporary, error);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    return systemError("rename " + quotedPath(temporary) + " to", path, error);
  }
  return Status();
}

Status writeTensorFile(const std::string &path, const Tensor &tensor) {
  try {
    Result<std::vector<uint8_t>> bytes =
        serializeTensor(tensor, formatForPath(path));
    if (!bytes)
      return Status::error("cannot write " + quotedPath(path) + ": " +
                           bytes.error());
    return writeFileAtomically(path, bytes.value());
  } catch (const std::bad_alloc &) {
    return Status::error("out of memory writing " + quotedPath(path));
  }
}

} // namespace attnc::io

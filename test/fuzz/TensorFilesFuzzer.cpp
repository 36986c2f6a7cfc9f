//===- TensorFilesFuzzer.cpp - libFuzzer target: .npy and .pb readers ----===//
//
// The bytes are read both as a .npy file and as an ONNX TensorProto. A
// reader must never crash or read out of bounds (ASan/UBSan watch), and
// what it accepts must survive a round trip: written back in the same
// format and read again, it gives the same dtype, shape and bytes.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/TensorFile.h"

#include <cstdlib>
#include <cstring>

namespace {

using attnc::io::Result;
using attnc::io::Tensor;

void check(bool condition, const char *what) {
  if (!condition) {
    std::fprintf(stderr, "round trip broke: %s\n", what);
    std::abort();
  }
}

template <typename Parse, typename Serialize>
void roundTrip(const uint8_t *data, size_t size, Parse parse, Serialize serialize) {
  Result<Tensor> first = parse(data, size, "fuzz");
  if (!first.ok())
    return;
  Result<std::vector<uint8_t>> bytes = serialize(first.value());
  check(bytes.ok(), "a tensor that was read could not be written");
  Result<Tensor> second = parse(bytes.value().data(), bytes.value().size(), "fuzz");
  check(second.ok(), "a written tensor could not be read");
  check(second.value().dtype == first.value().dtype ||
            // bf16 has no .npy dtype: it is written as its u16 bits.
            (first.value().dtype == ATTNC_DTYPE_BF16 && second.value().dtype == ATTNC_DTYPE_U16),
        "dtype");
  check(second.value().shape == first.value().shape, "shape");
  check(second.value().bytes == first.value().bytes, "bytes");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  roundTrip(data, size, attnc::io::parseNpy, attnc::io::serializeNpy);
  roundTrip(data, size, attnc::io::parseTensorProto, attnc::io::serializeTensorProto);
  return 0;
}

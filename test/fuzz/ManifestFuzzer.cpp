//===- ManifestFuzzer.cpp - libFuzzer target: a model's manifest ---------===//
//
// The manifest is the text a compiled model carries to describe its inputs
// and outputs; the runtime parses it when a model is loaded (a model file
// can be anything a user points the runtime at). Parsing must never crash,
// and what parses must describe tensors whose byte sizes were computed
// without overflow.
//
//===----------------------------------------------------------------------===//

#include "runtime/src/Manifest.h"

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  attnc::Manifest manifest;
  std::string error;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  if (!attnc::parseManifest(text, manifest, error)) {
    if (error.empty())
      std::abort(); // a refusal always says why
    return 0;
  }
  for (const auto *decls : {&manifest.inputs, &manifest.outputs})
    for (const attnc::TensorDecl &decl : *decls) {
      size_t count = 1;
      for (int64_t dim : decl.dims)
        if (dim < 0 || __builtin_mul_overflow(count, (size_t)dim, &count))
          std::abort(); // accepted a shape whose size does not fit
      if (count != decl.elementCount || count * attnc_dtype_size(decl.dtype) != decl.byteSize)
        std::abort();
    }
  return 0;
}

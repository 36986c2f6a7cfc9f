//===- CApiFuzzer.cpp - libFuzzer target: the C API's input validation ---===//
//
// attnc_model_invoke() is the one door between a caller's buffers and
// compiled code that trusts them completely: the code reads and writes
// exactly the bytes the manifest declares. So the runtime must refuse every
// buffer that does not match (dtype, rank, dims, byte size, NULL data,
// counts) before the model runs, with a message, and accept the ones that do.
//
// The input is a manifest (the text up to the first NUL), which a model is
// wrapped around, then bytes that describe the caller's tensors: for each
// declared input and output, whether to keep the declaration or to damage
// one field of it. Every buffer is allocated with exactly the byte size the
// descriptor claims, so a run on a buffer smaller than the declaration is a
// heap overflow that AddressSanitizer reports: the model's run function
// reads every declared input byte and writes every declared output byte, as
// compiled code does.
//
//===----------------------------------------------------------------------===//

#include "attnc/model.h"
#include "attnc/status.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

/// Declarations larger than this (a whole tensor, or a workspace) are not
/// allocated: the manifest fuzzer covers them, and memory is the limit here.
constexpr size_t kMaxBytes = 1 << 20;

/// Reads the fuzzer's bytes after the manifest; zeros once they run out.
struct ByteReader {
  const uint8_t *data;
  size_t size;
  uint8_t u8() {
    if (!size)
      return 0;
    --size;
    return *data++;
  }
  uint64_t u64() {
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i)
      value = value << 8 | u8();
    return value;
  }
};

/// Whether `manifest` declares a workspace larger than kMaxBytes (or one
/// whose size does not parse): wrapping it would allocate that much, which
/// ASan and libFuzzer's malloc limit report as a crash. The runtime's
/// answer to a workspace it cannot allocate is tested end to end instead
/// (test/e2e/out-of-memory.test).
bool declaresLargeWorkspace(const std::string &manifest) {
  size_t begin = 0;
  while (begin < manifest.size()) {
    size_t end = manifest.find('\n', begin);
    if (end == std::string::npos)
      end = manifest.size();
    std::string line = manifest.substr(begin, end - begin);
    begin = end + 1;
    char keyword[16] = {};
    unsigned long long bytes = 0;
    if (std::sscanf(line.c_str(), "%15s", keyword) == 1 &&
        std::strcmp(keyword, "workspace") == 0 &&
        (std::sscanf(line.c_str(), "%*s %llu", &bytes) != 1 || bytes > kMaxBytes))
      return true;
  }
  return false;
}

/// What the run function must touch: the declared size of each buffer, in
/// the order the runtime passes them (inputs, outputs).
std::vector<size_t> declaredBytes;
size_t inputCount = 0;

/// The model's code: reads every input byte, writes every output byte.
void touchEveryByte(void **buffers) {
  volatile uint8_t sink = 0;
  for (size_t i = 0; i < declaredBytes.size(); ++i) {
    auto *bytes = static_cast<uint8_t *>(buffers[i]);
    for (size_t b = 0; b < declaredBytes[i]; ++b) {
      if (i < inputCount)
        sink = sink ^ bytes[b];
      else
        bytes[b] = 0x5a;
    }
  }
}

/// One caller tensor, owning its dims and data.
struct CallerTensor {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
  attnc_tensor_t view{};
  bool matchesDeclaration = true;
};

/// The declaration of `info`, with one field damaged as `reader` says.
CallerTensor describe(const attnc_tensor_info_t &info, ByteReader &reader) {
  CallerTensor tensor;
  tensor.dims.assign(info.dims, info.dims + info.rank);
  attnc_dtype_t dtype = info.dtype;
  size_t byteSize = info.byte_size;
  bool nullData = false;
  switch (reader.u8() % 8) {
  case 0: // another dtype, possibly outside the enum
    dtype = static_cast<attnc_dtype_t>(reader.u8() % 16);
    break;
  case 1: // one more or one fewer dim
    if (reader.u8() % 2 || tensor.dims.empty())
      tensor.dims.push_back(static_cast<int64_t>(reader.u8()) - 8);
    else
      tensor.dims.pop_back();
    break;
  case 2: // another extent, negative or huge included
    if (!tensor.dims.empty())
      tensor.dims[reader.u8() % tensor.dims.size()] = static_cast<int64_t>(reader.u64());
    break;
  case 3: // a byte size off by a little or a lot
    byteSize = reader.u8() % 2 ? byteSize + reader.u8() - 128 : reader.u64();
    break;
  case 4: // no data
    nullData = true;
    break;
  default: // as declared
    break;
  }
  // u16 bits may bind a bf16 tensor (attnc/tensor.h).
  bool sameDtype = dtype == info.dtype ||
                   (info.dtype == ATTNC_DTYPE_BF16 && dtype == ATTNC_DTYPE_U16);
  tensor.matchesDeclaration = sameDtype && byteSize == info.byte_size &&
                              tensor.dims.size() == info.rank &&
                              std::equal(tensor.dims.begin(), tensor.dims.end(), info.dims) &&
                              !(nullData && byteSize > 0);
  if (!nullData && byteSize <= kMaxBytes)
    tensor.data.resize(byteSize);
  tensor.view.data = nullData || byteSize > kMaxBytes ? nullptr : tensor.data.data();
  tensor.view.dtype = dtype;
  tensor.view.rank = tensor.dims.size();
  tensor.view.dims = tensor.dims.empty() ? nullptr : tensor.dims.data();
  tensor.view.byte_size = byteSize;
  return tensor;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const void *nul = std::memchr(data, 0, size);
  if (!nul)
    return 0;
  std::string manifest(reinterpret_cast<const char *>(data),
                       static_cast<const uint8_t *>(nul) - data);
  size_t used = manifest.size() + 1;
  ByteReader reader{data + used, size - used};

  if (declaresLargeWorkspace(manifest))
    return 0;
  attnc_model_t *model = nullptr;
  if (attnc_status_t *status = attnc_model_wrap_linked(manifest.c_str(), touchEveryByte, &model)) {
    if (!*attnc_status_message(status))
      std::abort(); // a refusal always says why
    attnc_status_free(status);
    return 0;
  }
  size_t inputs = attnc_model_input_count(model), outputs = attnc_model_output_count(model);
  declaredBytes.clear();
  inputCount = inputs;
  std::vector<CallerTensor> tensors;
  bool allMatch = true, tooLarge = false;
  for (size_t i = 0; i < inputs + outputs; ++i) {
    attnc_tensor_info_t info;
    attnc_status_t *status = i < inputs ? attnc_model_input_info(model, i, &info)
                                        : attnc_model_output_info(model, i - inputs, &info);
    if (status)
      std::abort(); // every declared index has its info
    tooLarge |= info.byte_size > kMaxBytes;
    declaredBytes.push_back(info.byte_size);
    tensors.push_back(describe(info, reader));
    allMatch &= tensors.back().matchesDeclaration;
  }
  if (tooLarge) {
    attnc_model_release(model);
    return 0;
  }
  // The counts themselves may be off by one.
  size_t passedInputs = inputs, passedOutputs = outputs;
  switch (reader.u8() % 8) {
  case 0:
    passedInputs = inputs ? inputs - 1 : inputs + 1;
    break;
  case 1:
    passedOutputs = outputs ? outputs - 1 : outputs + 1;
    break;
  default:
    break;
  }
  allMatch &= passedInputs == inputs && passedOutputs == outputs;
  // One spare descriptor past each array, so a count one too large reads
  // a tensor rather than past the array (the runtime must refuse it anyway).
  std::vector<attnc_tensor_t> in(inputs + 1), out(outputs + 1);
  for (size_t i = 0; i < inputs + outputs; ++i)
    (i < inputs ? in[i] : out[i - inputs]) = tensors[i].view;

  attnc_status_t *status =
      attnc_model_invoke(model, in.data(), passedInputs, out.data(), passedOutputs);
  if (status) {
    if (allMatch || !*attnc_status_message(status))
      std::abort(); // refused exact buffers, or said nothing
    attnc_status_free(status);
  } else if (!allMatch) {
    std::abort(); // ran on buffers that do not match the manifest
  }
  attnc_model_release(model);
  return 0;
}

//===- Generation.cpp - The token loop of a compiled decoder ----*- C++ -*-===//
//
// Built on the public model API only (attnc_model_invoke and friends): a
// session is a caller of the model like any other, so every run it makes is
// checked against the manifest as a user's would be. See attnc/generation.h
// for the interface a model must have.
//
//===----------------------------------------------------------------------===//

#include "attnc/generation.h"

#include "runtime/src/PercentEncoding.h"
#include "runtime/src/Sampling.h"
#include "runtime/src/Status.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace attnc;

namespace {

attnc_status_t *invalidArgument(const std::string &message) {
  return makeStatus(ATTNC_STATUS_INVALID_ARGUMENT, message);
}

std::string formatFloat(float value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", (double)value);
  return text;
}

std::string quoted(const char *name) { return "'" + quoteForMessage(name) + "'"; }

/// Bytes that are not zeroed when they grow (a model overwrites every
/// output byte) and keep their capacity when they shrink.
class Bytes {
public:
  void resize(size_t n) {
    if (n > capacity_) {
      capacity_ = std::max(n, capacity_ + capacity_ / 2);
      data_.reset(new unsigned char[capacity_]);
    }
    size_ = n;
  }
  unsigned char *data() { return data_.get(); }
  const unsigned char *data() const { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

private:
  std::unique_ptr<unsigned char[]> data_;
  size_t size_ = 0, capacity_ = 0;
};

/// A tensor the session owns: its shape and bytes.
struct OwnedTensor {
  attnc_dtype_t dtype = ATTNC_DTYPE_INVALID;
  std::vector<int64_t> dims;
  Bytes bytes;

  attnc_tensor_t view() {
    return {bytes.empty() ? nullptr : bytes.data(), dtype, dims.size(), dims.data(),
            bytes.size()};
  }
};

/// One past input and the present output that replaces it after a run,
/// or a cache kept in place (the model appends to the past's buffer).
struct CachePair {
  size_t past, present;
  /// The dim of both that holds the cached positions.
  size_t lengthDim;
  bool inPlace = false;
};

/// Fills `tensor` (already sized) with `value` in its dtype.
bool fillInteger(OwnedTensor &tensor, const std::vector<int64_t> &values) {
  size_t size = attnc_dtype_size(tensor.dtype);
  if (tensor.bytes.size() != values.size() * size)
    return false;
  for (size_t i = 0; i < values.size(); ++i) {
    unsigned char *at = tensor.bytes.data() + i * size;
    switch (tensor.dtype) {
    case ATTNC_DTYPE_I64: {
      int64_t v = values[i];
      std::memcpy(at, &v, size);
      break;
    }
    case ATTNC_DTYPE_I32: {
      int32_t v = (int32_t)values[i];
      std::memcpy(at, &v, size);
      break;
    }
    case ATTNC_DTYPE_F32: {
      float v = (float)values[i];
      std::memcpy(at, &v, size);
      break;
    }
    case ATTNC_DTYPE_I1:
    case ATTNC_DTYPE_U8:
      *at = (unsigned char)values[i];
      break;
    default:
      return false;
    }
  }
  return true;
}

/// Gives `tensor` a dtype and shape, reusing its bytes where they suffice.
void reshapeTensor(OwnedTensor &tensor, attnc_dtype_t dtype, std::vector<int64_t> dims) {
  tensor.dtype = dtype;
  size_t count = 1;
  for (int64_t d : dims)
    count *= (size_t)d;
  tensor.dims = std::move(dims);
  tensor.bytes.resize(count * attnc_dtype_size(dtype));
}

OwnedTensor makeTensor(attnc_dtype_t dtype, std::vector<int64_t> dims) {
  OwnedTensor tensor;
  reshapeTensor(tensor, dtype, std::move(dims));
  return tensor;
}

} // namespace

struct attnc_generation_t {
  attnc_model_t *model = nullptr;
  attnc_sampling_t sampling{};
  Sampler sampler{0};

  size_t idsInput = 0;
  attnc_dtype_t idsDtype = ATTNC_DTYPE_INVALID;
  /// Whether input_ids takes one token per run (its seq fixed at 1).
  bool oneTokenPerRun = false;
  /// The most tokens one run reads (the input_ids bound).
  size_t tokensPerRun = 1;
  long maskInput = -1, positionsInput = -1;
  size_t logitsOutput = 0;
  int64_t vocab = 0;
  std::vector<CachePair> caches;
  size_t capacity = 0;

  /// Every token read so far, then the one chosen last (not yet read).
  std::vector<int64_t> tokens;
  /// How many of `tokens` the caches hold (0 without caches).
  size_t cached = 0;
  bool started = false;
  /// The past inputs for the next run, one per cache pair.
  std::vector<OwnedTensor> pasts;
  /// The outputs of the last run, whose bytes the next run reuses (the
  /// presents' are the pasts' of the run before: the two swap).
  std::vector<OwnedTensor> results;

  ~attnc_generation_t() { attnc_model_release(model); }
};

namespace {

attnc_tensor_info_t inputInfo(const attnc_model_t *model, size_t i) {
  attnc_tensor_info_t info{};
  attnc_status_free(attnc_model_input_info(model, i, &info));
  return info;
}

attnc_tensor_info_t outputInfo(const attnc_model_t *model, size_t i) {
  attnc_tensor_info_t info{};
  attnc_status_free(attnc_model_output_info(model, i, &info));
  return info;
}

long findInput(const attnc_model_t *model, const char *name) {
  size_t index;
  if (attnc_status_t *status = attnc_model_find_input(model, name, &index)) {
    attnc_status_free(status);
    return -1;
  }
  return (long)index;
}

bool isIntegerDtype(attnc_dtype_t dtype) {
  return dtype == ATTNC_DTYPE_I64 || dtype == ATTNC_DTYPE_I32;
}

/// Checks a [1, n] input (input_ids, attention_mask, position_ids).
attnc_status_t *checkRowInput(const attnc_tensor_info_t &info) {
  if (info.rank != 2 || info.dims[0] != 1)
    return invalidArgument("input " + quoted(info.name) +
                           " must have shape [1, n] for generation (batch 1), but the model "
                           "declares rank " + std::to_string(info.rank) +
                           (info.rank ? " with dim 0 = " + std::to_string(info.dims[0]) : ""));
  return nullptr;
}

attnc_status_t *readTokenInputs(attnc_generation_t &s) {
  long ids = findInput(s.model, "input_ids");
  if (ids < 0)
    return invalidArgument("the model has no input 'input_ids'; generation needs a decoder "
                           "taking input_ids [1, seq]");
  s.idsInput = (size_t)ids;
  attnc_tensor_info_t info = inputInfo(s.model, s.idsInput);
  if (attnc_status_t *status = checkRowInput(info))
    return status;
  if (!isIntegerDtype(info.dtype))
    return invalidArgument(std::string("input 'input_ids' has dtype ") +
                           attnc_dtype_name(info.dtype) + "; generation feeds i64 or i32 ids");
  s.idsDtype = info.dtype;
  s.oneTokenPerRun = info.dims[1] == 1;
  s.tokensPerRun = (size_t)std::max<int64_t>(1, info.max_dims[1]);
  if (info.dims[1] > 1)
    return invalidArgument("input 'input_ids' has a fixed length " + std::to_string(info.dims[1]) +
                           "; compile the model with a run-time sequence length (attnc compile "
                           "--max-shape input_ids=1xN)");
  s.maskInput = findInput(s.model, "attention_mask");
  s.positionsInput = findInput(s.model, "position_ids");
  for (long index : {s.maskInput, s.positionsInput})
    if (index >= 0)
      if (attnc_status_t *status = checkRowInput(inputInfo(s.model, (size_t)index)))
        return status;
  return nullptr;
}

attnc_status_t *readLogits(attnc_generation_t &s) {
  size_t outputs = attnc_model_output_count(s.model);
  if (outputs == 0)
    return invalidArgument("the model has no outputs");
  size_t index = 0;
  if (attnc_status_t *status = attnc_model_find_output(s.model, "logits", &index))
    attnc_status_free(status);
  s.logitsOutput = index;
  attnc_tensor_info_t info = outputInfo(s.model, index);
  bool shaped = (info.rank == 3 || info.rank == 2) && info.dims[0] == 1 &&
                info.dims[info.rank - 1] > 0;
  if (info.dtype != ATTNC_DTYPE_F32 || !shaped)
    return invalidArgument("output " + quoted(info.name) +
                           " must be f32 logits of shape [1, seq, vocab] or [1, vocab] with a "
                           "fixed vocab");
  s.vocab = info.dims[info.rank - 1];
  return nullptr;
}

/// The one run-time dim of a cache besides the batch; -1 when there is not
/// exactly one.
long cacheLengthDim(const attnc_tensor_info_t &info) {
  long found = -1;
  for (size_t d = 1; d < info.rank; ++d)
    if (info.dims[d] < 0) {
      if (found >= 0)
        return -1;
      found = (long)d;
    }
  return found;
}

attnc_status_t *pairCaches(attnc_generation_t &s) {
  std::vector<size_t> pasts, presents;
  for (size_t i = 0; i < attnc_model_input_count(s.model); ++i) {
    if (i == s.idsInput || (long)i == s.maskInput || (long)i == s.positionsInput)
      continue;
    // A cache kept in place has no present: the model appends to it.
    attnc_tensor_info_t info = inputInfo(s.model, i);
    if (info.cache_axis >= 0 && info.dims[0] == 1)
      s.caches.push_back({i, 0, (size_t)info.cache_axis, /*inPlace=*/true});
    else
      pasts.push_back(i);
  }
  for (size_t i = 0; i < attnc_model_output_count(s.model); ++i)
    if (i != s.logitsOutput)
      presents.push_back(i);
  if (pasts.empty())
    return nullptr;
  if (pasts.size() != presents.size())
    return invalidArgument(
        "the model has " + std::to_string(pasts.size()) +
        " inputs besides input_ids, attention_mask and position_ids (first " +
        quoted(inputInfo(s.model, pasts[0]).name) + "), taken as past caches, but " +
        std::to_string(presents.size()) + " outputs besides the logits to pair them with");
  for (size_t k = 0; k < pasts.size(); ++k) {
    attnc_tensor_info_t past = inputInfo(s.model, pasts[k]);
    attnc_tensor_info_t present = outputInfo(s.model, presents[k]);
    long dim = cacheLengthDim(past);
    if (dim < 0 || past.dims[0] != 1)
      return invalidArgument("input " + quoted(past.name) +
                             " is taken as a past cache, which needs batch 1 and exactly one "
                             "run-time dim (the cached length)");
    if (present.dtype != past.dtype || present.rank != past.rank || present.dims[dim] >= 0)
      return invalidArgument("output " + quoted(present.name) + " cannot be the present of " +
                             quoted(past.name) +
                             ": a present has its past's dtype and rank, and a run-time length "
                             "in the same dim");
    s.caches.push_back({pasts[k], presents[k], (size_t)dim});
  }
  return nullptr;
}

/// The most tokens a session holds: the input_ids bound without caches;
/// with them one more than the past's bound (the last token is read with a
/// full cache), and never more than an attention mask can cover.
void computeCapacity(attnc_generation_t &s) {
  size_t capacity = (size_t)inputInfo(s.model, s.idsInput).max_dims[1];
  if (!s.caches.empty()) {
    capacity = SIZE_MAX;
    for (const CachePair &pair : s.caches) {
      attnc_tensor_info_t past = inputInfo(s.model, pair.past);
      capacity = std::min(capacity, pair.inPlace ? (size_t)past.cache_capacity
                                                 : (size_t)past.max_dims[pair.lengthDim] + 1);
    }
  }
  if (s.maskInput >= 0)
    capacity = std::min(capacity, (size_t)inputInfo(s.model, s.maskInput).max_dims[1]);
  s.capacity = capacity;
}

attnc_status_t *checkSampling(const attnc_sampling_t &sampling) {
  if (!std::isfinite(sampling.temperature) || sampling.temperature < 0)
    return invalidArgument("temperature must be 0 (greedy) or above, got " +
                           formatFloat(sampling.temperature));
  return nullptr;
}

/// Empty past caches (length 0) for the first run.
void resetCaches(attnc_generation_t &s) {
  s.pasts.clear();
  for (const CachePair &pair : s.caches) {
    attnc_tensor_info_t info = inputInfo(s.model, pair.past);
    std::vector<int64_t> dims(info.dims, info.dims + info.rank);
    dims[0] = 1;
    dims[pair.lengthDim] = 0;
    OwnedTensor past = makeTensor(info.dtype, dims);
    // A cache kept in place is its whole buffer, allocated once.
    if (pair.inPlace)
      past.bytes.resize(info.byte_size);
    s.pasts.push_back(std::move(past));
  }
}

/// The inputs of a run that reads tokens [from, to) after `from` cached
/// ones.
attnc_status_t *buildInputs(attnc_generation_t &s, size_t from, size_t to,
                            std::vector<OwnedTensor> &owned, std::vector<attnc_tensor_t> &inputs) {
  size_t count = attnc_model_input_count(s.model);
  owned.clear();
  owned.resize(count);
  std::vector<int64_t> ids(s.tokens.begin() + (long)from, s.tokens.begin() + (long)to);
  std::vector<int64_t> positions, ones(to, 1);
  for (size_t p = from; p < to; ++p)
    positions.push_back((int64_t)p);
  auto row = [&](size_t index, const std::vector<int64_t> &values) -> attnc_status_t * {
    attnc_tensor_info_t info = inputInfo(s.model, index);
    owned[index] = makeTensor(info.dtype, {1, (int64_t)values.size()});
    if (!fillInteger(owned[index], values))
      return invalidArgument("input " + quoted(info.name) + " has dtype " +
                             attnc_dtype_name(info.dtype) +
                             ", which generation cannot fill (i64, i32, f32, i1 or u8)");
    return nullptr;
  };
  if (attnc_status_t *status = row(s.idsInput, ids))
    return status;
  if (s.maskInput >= 0)
    if (attnc_status_t *status = row((size_t)s.maskInput, ones))
      return status;
  if (s.positionsInput >= 0)
    if (attnc_status_t *status = row((size_t)s.positionsInput, positions))
      return status;
  inputs.resize(count);
  for (size_t i = 0; i < count; ++i)
    inputs[i] = owned[i].view();
  for (size_t k = 0; k < s.caches.size(); ++k)
    inputs[s.caches[k].past] = s.pasts[k].view();
  return nullptr;
}

/// Runs the model on tokens [from, to) and, with `token`, chooses the
/// token after them from the last position's logits; the presents become
/// the next pasts.
attnc_status_t *runAndChoose(attnc_generation_t &s, size_t from, size_t to, int64_t *token) {
  std::vector<OwnedTensor> ownedInputs;
  std::vector<attnc_tensor_t> inputs;
  if (attnc_status_t *status = buildInputs(s, from, to, ownedInputs, inputs))
    return status;
  size_t count = attnc_model_output_count(s.model);
  std::vector<OwnedTensor> &results = s.results;
  results.resize(count);
  std::vector<attnc_tensor_t> outputs(count);
  for (size_t i = 0; i < count; ++i) {
    attnc_tensor_info_t info = outputInfo(s.model, i);
    std::vector<int64_t> dims(info.rank);
    if (attnc_status_t *status =
            attnc_model_output_shape(s.model, inputs.data(), inputs.size(), i, dims.data()))
      return status;
    reshapeTensor(results[i], info.dtype, dims);
    outputs[i] = results[i].view();
  }
  if (attnc_status_t *status =
          attnc_model_invoke(s.model, inputs.data(), inputs.size(), outputs.data(), count))
    return status;
  if (token) {
    const OwnedTensor &logits = results[s.logitsOutput];
    const float *last = reinterpret_cast<const float *>(logits.bytes.data()) +
                        (logits.bytes.size() / sizeof(float) - (size_t)s.vocab);
    *token = s.sampler.choose(last, (size_t)s.vocab, s.sampling);
  }
  // No copy: a cache kept in place now holds the run's positions too; a
  // present becomes the past, and the old past's bytes hold the next run's
  // present.
  for (size_t k = 0; k < s.caches.size(); ++k) {
    if (s.caches[k].inPlace)
      s.pasts[k].dims[s.caches[k].lengthDim] += (int64_t)(to - from);
    else
      std::swap(s.pasts[k], results[s.caches[k].present]);
  }
  return nullptr;
}

/// Reads every token not yet read and appends the one chosen after them.
attnc_status_t *advance(attnc_generation_t &s, int64_t *out_token) {
  size_t end = s.tokens.size();
  int64_t token = 0;
  if (s.caches.empty()) {
    if (attnc_status_t *status = runAndChoose(s, 0, end, &token))
      return status;
  } else {
    // A prompt longer than a run takes (the input_ids bound: a model
    // compiled for chunked prefill, `attnc generate --prefill-chunk`) is
    // read in runs of that many; the token is chosen after the last.
    size_t step = std::min(end - s.cached, s.tokensPerRun);
    for (size_t from = s.cached; from < end; from += step) {
      size_t to = std::min(end, from + step);
      if (attnc_status_t *status = runAndChoose(s, from, to, to == end ? &token : nullptr))
        return status;
    }
    s.cached = end;
  }
  s.tokens.push_back(token);
  *out_token = token;
  return nullptr;
}

} // namespace

extern "C" {

attnc_status_t *attnc_generation_create(attnc_model_t *model, const attnc_sampling_t *sampling,
                                        attnc_generation_t **out_session) {
  return guardStatus([&]() -> attnc_status_t * {
    if (!model || !out_session)
      return invalidArgument("attnc_generation_create: model and out_session must not be NULL");
    *out_session = nullptr;
    auto session = std::make_unique<attnc_generation_t>();
    attnc_model_retain(model);
    session->model = model;
    if (sampling)
      session->sampling = *sampling;
    if (attnc_status_t *status = checkSampling(session->sampling))
      return status;
    session->sampler = Sampler(session->sampling.seed);
    if (attnc_status_t *status = readTokenInputs(*session))
      return status;
    if (attnc_status_t *status = readLogits(*session))
      return status;
    if (attnc_status_t *status = pairCaches(*session))
      return status;
    if (session->caches.empty() && session->oneTokenPerRun)
      return invalidArgument("input 'input_ids' takes one token per run but the model has no "
                             "past/present caches, so it never sees more than one token");
    computeCapacity(*session);
    *out_session = session.release();
    return nullptr;
  });
}

attnc_status_t *attnc_generation_prefill(attnc_generation_t *session, const int64_t *ids,
                                         size_t count, int64_t *out_token) {
  return guardStatus([&]() -> attnc_status_t * {
    if (!session || !out_token || (count && !ids))
      return invalidArgument("attnc_generation_prefill: session, ids and out_token must not be "
                             "NULL");
    if (session->started)
      return invalidArgument("the session already has a prompt; start a new session for "
                             "another one");
    if (count == 0)
      return invalidArgument("the prompt is empty");
    if (count > session->capacity)
      return invalidArgument("the prompt has " + std::to_string(count) +
                             " tokens, more than the model's capacity of " +
                             std::to_string(session->capacity) + " (its bounds)");
    for (size_t i = 0; i < count; ++i)
      if (ids[i] < 0 || ids[i] >= session->vocab)
        return invalidArgument("prompt token " + std::to_string(i) + " is " +
                               std::to_string(ids[i]) + ", outside the vocabulary 0.." +
                               std::to_string(session->vocab - 1));
    session->tokens.assign(ids, ids + count);
    session->cached = 0;
    resetCaches(*session);
    session->started = true;
    attnc_status_t *status = advance(*session, out_token);
    if (status)
      session->started = false;
    return status;
  });
}

attnc_status_t *attnc_generation_step(attnc_generation_t *session, int64_t *out_token) {
  return guardStatus([&]() -> attnc_status_t * {
    if (!session || !out_token)
      return invalidArgument("attnc_generation_step: session and out_token must not be NULL");
    if (!session->started)
      return invalidArgument("attnc_generation_step before attnc_generation_prefill");
    if (attnc_generation_length(session) >= session->capacity)
      return invalidArgument("the session is full: " + std::to_string(session->capacity) +
                             " tokens, the model's capacity (its bounds)");
    attnc_status_t *status = advance(*session, out_token);
    if (status)
      session->started = false;
    return status;
  });
}

size_t attnc_generation_length(const attnc_generation_t *session) {
  if (!session || !session->started)
    return 0;
  // The last token chosen is not read yet.
  return session->tokens.size() - 1;
}

size_t attnc_generation_capacity(const attnc_generation_t *session) {
  return session ? session->capacity : 0;
}

void attnc_generation_free(attnc_generation_t *session) { delete session; }

} // extern "C"

//===- Sampling.h - Choosing the next token from logits ---------*- C++ -*-===//
//
// Greedy choice, temperature and top-k sampling for generation sessions,
// with a generator of our own (splitmix64 seeding xoshiro256**) rather than
// <random>'s distributions, whose results differ between standard
// libraries: the same seed draws the same tokens everywhere.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_SRC_SAMPLING_H
#define ATTNC_RUNTIME_SRC_SAMPLING_H

#include "attnc/generation.h"

#include <cstddef>
#include <cstdint>

namespace attnc {

class Sampler {
public:
  explicit Sampler(uint64_t seed);

  /// The token chosen from `vocab` logits as `sampling` says (see
  /// attnc_sampling_t): the argmax for temperature 0, else a draw from
  /// softmax(logits / temperature) over the top_k largest.
  int64_t choose(const float *logits, size_t vocab, const attnc_sampling_t &sampling);

  /// A uniform double in [0, 1) (53 random bits).
  double uniform();

private:
  uint64_t next();
  uint64_t state[4];
};

} // namespace attnc

#endif // ATTNC_RUNTIME_SRC_SAMPLING_H

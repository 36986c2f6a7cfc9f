//===- Sampling.cpp - Choosing the next token from logits -------*- C++ -*-===//

#include "runtime/src/Sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

using namespace attnc;

namespace {

uint64_t splitmix64(uint64_t &x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/// The largest logit's index; the lowest index among equals.
int64_t argmax(const float *logits, size_t vocab) {
  size_t best = 0;
  for (size_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best])
      best = i;
  return (int64_t)best;
}

} // namespace

Sampler::Sampler(uint64_t seed) {
  for (uint64_t &word : state)
    word = splitmix64(seed);
}

uint64_t Sampler::next() {
  uint64_t result = rotl(state[1] * 5, 7) * 9;
  uint64_t t = state[1] << 17;
  state[2] ^= state[0];
  state[3] ^= state[1];
  state[1] ^= state[2];
  state[0] ^= state[3];
  state[2] ^= t;
  state[3] = rotl(state[3], 45);
  return result;
}

double Sampler::uniform() { return (double)(next() >> 11) * 0x1.0p-53; }

int64_t Sampler::choose(const float *logits, size_t vocab, const attnc_sampling_t &sampling) {
  if (sampling.temperature == 0 || sampling.top_k == 1)
    return argmax(logits, vocab);
  // Candidates by decreasing logit, the lower id first among equals.
  std::vector<uint32_t> order(vocab);
  std::iota(order.begin(), order.end(), 0u);
  size_t k = sampling.top_k == 0 ? vocab : std::min<size_t>(sampling.top_k, vocab);
  auto higher = [&](uint32_t a, uint32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  std::partial_sort(order.begin(), order.begin() + (long)k, order.end(), higher);
  // softmax(logits / T) over the candidates, in double, shifted by the
  // largest so no exponential overflows.
  std::vector<double> weights(k);
  double top = logits[order[0]], total = 0;
  for (size_t i = 0; i < k; ++i)
    total += weights[i] = std::exp(((double)logits[order[i]] - top) / sampling.temperature);
  double target = uniform() * total;
  for (size_t i = 0; i < k; ++i) {
    target -= weights[i];
    if (target < 0)
      return order[i];
  }
  return order[k - 1];
}

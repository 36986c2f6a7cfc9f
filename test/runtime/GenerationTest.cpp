//===- GenerationTest.cpp - The generation session over fake decoders -===//
//
// Hand-written "decoders" linked into the test, whose next token is known:
// the counting model's logits make (id + 1) % 5 the most likely token after
// each id, so greedy generation counts.

#include "attnc/runtime.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr int64_t kVocab = 5;

// input_ids [1, seq] with seq up to 6; logits [1, seq, 5].
const char kCountingManifest[] = "attnc-model 3\n"
                                 "dim seq 6\n"
                                 "input input_ids i64 2 1 $0\n"
                                 "output logits f32 3 1 $0 5\n";

void countingRun(void **buffers) {
  const auto *ids = static_cast<const int64_t *>(buffers[0]);
  auto *logits = static_cast<float *>(buffers[1]);
  int64_t seq = static_cast<const int64_t *>(buffers[2])[0];
  for (int64_t p = 0; p < seq; ++p)
    for (int64_t v = 0; v < kVocab; ++v)
      logits[p * kVocab + v] = v == (ids[p] + 1) % kVocab ? 2.0f : 0.1f * (float)v;
}

// A decoder with a KV cache, one token per run: the cache holds every id
// read so far (as floats); the next token is the sum of the cache and the
// new id, mod 5. present = concat(past, id), one longer.
const char kCacheManifest[] = "attnc-model 4\n"
                              "dim past 7\n"
                              "input input_ids i64 2 1 1\n"
                              "input past_ids f32 2 1 $0\n"
                              "output logits f32 3 1 1 5\n"
                              "output present_ids f32 2 1 $0+1\n";

void cacheRun(void **buffers) {
  const auto *id = static_cast<const int64_t *>(buffers[0]);
  const auto *past = static_cast<const float *>(buffers[1]);
  auto *logits = static_cast<float *>(buffers[2]);
  auto *present = static_cast<float *>(buffers[3]);
  int64_t length = static_cast<const int64_t *>(buffers[4])[0];
  int64_t sum = *id;
  for (int64_t i = 0; i < length; ++i) {
    present[i] = past[i];
    sum += (int64_t)past[i];
  }
  present[length] = (float)*id;
  for (int64_t v = 0; v < kVocab; ++v)
    logits[v] = v == sum % kVocab ? 1.0f : 0.0f;
}

// The same decoder with its cache kept in place: the model writes each id
// into the cache's buffer (room for 6) after the ones it holds, and the
// session hands it the same buffer every run.
const char kInPlaceManifest[] = "attnc-model 5\n"
                                "dim past 7\n"
                                "input input_ids i64 2 1 1\n"
                                "input past_ids f32 2 1 $0\n"
                                "cache past_ids 1 6 $0+1 present_ids\n"
                                "output logits f32 3 1 1 5\n";

std::set<const void *> inPlaceBuffers;

void inPlaceRun(void **buffers) {
  const auto *id = static_cast<const int64_t *>(buffers[0]);
  auto *cache = static_cast<float *>(buffers[1]);
  auto *logits = static_cast<float *>(buffers[2]);
  int64_t length = static_cast<const int64_t *>(buffers[3])[0];
  inPlaceBuffers.insert(cache);
  int64_t sum = *id;
  for (int64_t i = 0; i < length; ++i)
    sum += (int64_t)cache[i];
  cache[length] = (float)*id;
  for (int64_t v = 0; v < kVocab; ++v)
    logits[v] = v == sum % kVocab ? 1.0f : 0.0f;
}

// A decoder reading attention_mask and position_ids besides input_ids: the
// next token is (sum of the mask + the last position + the last id) mod 5,
// so it follows the values the session feeds (all-ones mask over every
// token read, positions 0..n-1).
const char kMaskManifest[] = "attnc-model 3\n"
                             "dim seq 8\n"
                             "input input_ids i32 2 1 $0\n"
                             "input attention_mask i64 2 1 $0\n"
                             "input position_ids i64 2 1 $0\n"
                             "output logits f32 2 1 5\n";

void maskRun(void **buffers) {
  const auto *ids = static_cast<const int32_t *>(buffers[0]);
  const auto *mask = static_cast<const int64_t *>(buffers[1]);
  const auto *positions = static_cast<const int64_t *>(buffers[2]);
  auto *logits = static_cast<float *>(buffers[3]);
  int64_t seq = static_cast<const int64_t *>(buffers[4])[0];
  int64_t sum = 0;
  for (int64_t i = 0; i < seq; ++i)
    sum += mask[i];
  sum += positions[seq - 1] + ids[seq - 1];
  for (int64_t v = 0; v < kVocab; ++v)
    logits[v] = v == sum % kVocab ? 1.0f : 0.0f;
}

// The same with a fixed length of 4: not a model generation can run.
const char kFixedManifest[] = "attnc-model 2\n"
                              "input input_ids i64 2 1 4\n"
                              "output logits f32 3 1 4 5\n";

std::string take(attnc_status_t *status) {
  std::string message = attnc_status_message(status);
  attnc_status_free(status);
  return message;
}

struct ModelDeleter {
  void operator()(attnc_model_t *model) const { attnc_model_release(model); }
};
struct SessionDeleter {
  void operator()(attnc_generation_t *session) const { attnc_generation_free(session); }
};
using ModelPtr = std::unique_ptr<attnc_model_t, ModelDeleter>;
using SessionPtr = std::unique_ptr<attnc_generation_t, SessionDeleter>;

ModelPtr wrap(const char *manifest, attnc_model_run_fn_t run = countingRun) {
  attnc_model_t *model = nullptr;
  EXPECT_EQ(take(attnc_model_wrap_linked(manifest, run, &model)), "OK");
  return ModelPtr(model);
}

SessionPtr startSession(attnc_model_t *model, const attnc_sampling_t *sampling = nullptr) {
  attnc_generation_t *session = nullptr;
  EXPECT_EQ(take(attnc_generation_create(model, sampling, &session)), "OK");
  return SessionPtr(session);
}

/// The prompt's next token, then `steps` more.
std::vector<int64_t> run(attnc_generation_t *session, std::vector<int64_t> prompt, int steps) {
  std::vector<int64_t> tokens(1);
  EXPECT_EQ(take(attnc_generation_prefill(session, prompt.data(), prompt.size(), &tokens[0])),
            "OK");
  for (int i = 0; i < steps; ++i) {
    int64_t token = -1;
    EXPECT_EQ(take(attnc_generation_step(session, &token)), "OK");
    tokens.push_back(token);
  }
  return tokens;
}

TEST(Generation, GreedyFollowsTheLogitsUpToTheCapacity) {
  ModelPtr model = wrap(kCountingManifest);
  SessionPtr session = startSession(model.get());
  EXPECT_EQ(attnc_generation_capacity(session.get()), 6u);
  EXPECT_EQ(run(session.get(), {3, 4}, 4), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(attnc_generation_length(session.get()), 6u);
  int64_t token;
  EXPECT_EQ(take(attnc_generation_step(session.get(), &token)),
            "the session is full: 6 tokens, the model's capacity (its bounds)");
}

TEST(Generation, SamplingIsSeededAndKeepsToTheTopK) {
  ModelPtr model = wrap(kCountingManifest);
  attnc_sampling_t sampling{/*temperature=*/1.0f, /*top_k=*/2, /*seed=*/42};
  std::vector<int64_t> first = run(startSession(model.get(), &sampling).get(), {0}, 5);
  EXPECT_EQ(run(startSession(model.get(), &sampling).get(), {0}, 5), first);
  // The top two after id t: (t + 1) % 5 (logit 2) and the largest of the
  // rest (0.1 * v): 4, or 3 when 4 is the first.
  std::vector<int64_t> context = {0};
  context.insert(context.end(), first.begin(), first.end());
  for (size_t i = 0; i + 1 < context.size(); ++i) {
    int64_t next = (context[i] + 1) % kVocab;
    std::set<int64_t> top = {next, next == 4 ? 3 : 4};
    EXPECT_TRUE(top.count(context[i + 1])) << "token " << i;
  }
  // A hot temperature over every token visits more than two of them.
  attnc_sampling_t hot{/*temperature=*/50.0f, /*top_k=*/0, /*seed=*/1};
  std::set<int64_t> seen;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    hot.seed = seed;
    for (int64_t t : run(startSession(model.get(), &hot).get(), {0}, 5))
      seen.insert(t);
  }
  EXPECT_GT(seen.size(), 2u);
}

TEST(Generation, BadPromptsAreRefusedBeforeAnyRun) {
  ModelPtr model = wrap(kCountingManifest);
  SessionPtr session = startSession(model.get());
  int64_t token;
  std::vector<int64_t> tooLong(7, 1), outside = {1, 5};
  EXPECT_EQ(take(attnc_generation_step(session.get(), &token)),
            "attnc_generation_step before attnc_generation_prefill");
  EXPECT_EQ(take(attnc_generation_prefill(session.get(), tooLong.data(), 0, &token)),
            "the prompt is empty");
  EXPECT_EQ(take(attnc_generation_prefill(session.get(), tooLong.data(), 7, &token)),
            "the prompt has 7 tokens, more than the model's capacity of 6 "
            "(its bounds)");
  EXPECT_EQ(take(attnc_generation_prefill(session.get(), outside.data(), 2, &token)),
            "prompt token 1 is 5, outside the vocabulary 0..4");
  EXPECT_EQ(take(attnc_generation_prefill(session.get(), outside.data(), 1, &token)), "OK");
  EXPECT_EQ(take(attnc_generation_prefill(session.get(), outside.data(), 1, &token)),
            "the session already has a prompt; start a new session for "
            "another one");
}

TEST(Generation, CachesStartEmptyAndGrowByEachRunsPresent) {
  ModelPtr model = wrap(kCacheManifest, cacheRun);
  ASSERT_TRUE(model);
  SessionPtr session = startSession(model.get());
  // The past holds up to 7 positions; the 8th token is read with a full one.
  EXPECT_EQ(attnc_generation_capacity(session.get()), 8u);
  // Prompt 1, 2 (one run each): sums 1, then 3. Then each new token t
  // makes the sum s + t: 3 -> 6 (1), 7 (2), 9 (4), 13 (3).
  EXPECT_EQ(run(session.get(), {1, 2}, 4), (std::vector<int64_t>{3, 1, 2, 4, 3}));
  EXPECT_EQ(attnc_generation_length(session.get()), 6u);
}

TEST(Generation, CachesKeptInPlaceAreOneBufferAppendedToByEachRun) {
  ModelPtr model = wrap(kInPlaceManifest, inPlaceRun);
  ASSERT_TRUE(model);
  SessionPtr session = startSession(model.get());
  // The buffer's room, not the past's bound, decides.
  EXPECT_EQ(attnc_generation_capacity(session.get()), 6u);
  inPlaceBuffers.clear();
  // The same tokens as the copying cache above.
  EXPECT_EQ(run(session.get(), {1, 2}, 4), (std::vector<int64_t>{3, 1, 2, 4, 3}));
  EXPECT_EQ(inPlaceBuffers.size(), 1u);
  int64_t token = 0;
  EXPECT_EQ(take(attnc_generation_step(session.get(), &token)),
            "the session is full: 6 tokens, the model's capacity (its bounds)");
}

TEST(Generation, FeedsTheMaskAndPositionsAndI32Ids) {
  ModelPtr model = wrap(kMaskManifest, maskRun);
  ASSERT_TRUE(model);
  SessionPtr session = startSession(model.get());
  // [2, 4]: mask 2 + position 1 + id 4 = 7 -> 2; then [2, 4, 2]: 3 + 2 + 2
  // = 7 -> 2; [.., 2]: 4 + 3 + 2 = 9 -> 4; [.., 4]: 5 + 4 + 4 = 13 -> 3.
  EXPECT_EQ(run(session.get(), {2, 4}, 3), (std::vector<int64_t>{2, 2, 4, 3}));
}

TEST(Generation, ModelsWithoutADecoderInterfaceAreRefused) {
  attnc_generation_t *session = nullptr;
  ModelPtr fixed = wrap(kFixedManifest);
  EXPECT_EQ(take(attnc_generation_create(fixed.get(), nullptr, &session)),
            "input 'input_ids' has a fixed length 4; compile the model with "
            "a run-time sequence length (attnc compile --max-shape input_ids=1xN)");
  // A past with no present to replace it.
  const char noPresent[] = "attnc-model 3\n"
                           "dim past 7\n"
                           "input input_ids i64 2 1 1\n"
                           "input past_ids f32 2 1 $0\n"
                           "output logits f32 3 1 1 5\n";
  ModelPtr unpaired = wrap(noPresent);
  EXPECT_EQ(take(attnc_generation_create(unpaired.get(), nullptr, &session)),
            "the model has 1 inputs besides input_ids, attention_mask and position_ids (first "
            "'past_ids'), taken as past caches, but 0 outputs besides the logits to pair them "
            "with");
  ModelPtr counting = wrap(kCountingManifest);
  attnc_sampling_t cold{/*temperature=*/-1.0f, 0, 0};
  EXPECT_EQ(take(attnc_generation_create(counting.get(), &cold, &session)),
            "temperature must be 0 (greedy) or above, got -1");
  EXPECT_EQ(session, nullptr);
}

} // namespace

/*===- attnc/generation.h - Text generation on a compiled decoder --*- C -*-===*
 *
 * A generation session runs the token loop of a decoder-only language model
 * (GPT-2, LLaMA-style, ...) compiled by attnc: feed a prompt, then step, one
 * new token per step. `attnc generate` is this loop with a command line.
 *
 * The model's interface is read from its manifest, by input and output
 * names as exporters write them:
 *
 *   input_ids       [1, seq] integer (i64 or i32)            required
 *   attention_mask  [1, past + seq] (all ones are fed)      optional
 *   position_ids    [1, seq] (past .. past + seq - 1)        optional
 *   logits          [1, seq, vocab] or [1, vocab] (f32)      the output
 *                   named "logits", else the first output
 *
 * Every other input is a past key/value cache and pairs, in manifest order,
 * with the outputs after the logits (the "present" tensors): each has one
 * run-time dim besides the batch, its cached length, which starts at 0 and
 * grows by the tokens of every run; a run's present becomes the next run's
 * past. An input the manifest declares a KV cache kept in place (`attnc
 * compile --kv-capacity`, which `attnc generate` uses) needs no present:
 * the session allocates its buffer once, at its capacity, and each run
 * appends to it (a sliding-window model's ring, `cache_ring`, the same way:
 * the ring keeps the positions attention still reads). Without caches the
 * session re-runs the whole sequence each step (the model must then take a
 * run-time `seq`). With caches, a prompt longer than `seq`'s bound is fed
 * in runs of that many tokens (a model compiled for chunked prefill, as
 * `attnc generate --prefill-chunk`), and a model whose `seq` is fixed at 1
 * is fed one token per run, the prompt too.
 *
 * The batch is 1. Compile the model with run-time dims (`attnc compile
 * --max-shape`, or `attnc generate` compiles it itself); the bounds decide
 * the session's capacity, the most tokens (prompt plus generated) it holds.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTNC_GENERATION_H
#define ATTNC_GENERATION_H

#include <stddef.h>
#include <stdint.h>

#include "attnc/model.h"
#include "attnc/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/// How each next token is chosen from the last position's logits.
typedef struct attnc_sampling_t {
  /// 0: greedy, the most likely token (the lowest id among equals). Above
  /// 0: the logits are divided by it before the softmax and the token is
  /// drawn from that distribution.
  float temperature;
  /// When drawing, only the `top_k` most likely tokens are candidates
  /// (0: every token).
  uint32_t top_k;
  /// Seed of the session's generator (a splitmix64 / xoshiro256** stream,
  /// the same on every platform): the same model, prompt, options and seed
  /// give the same tokens.
  uint64_t seed;
} attnc_sampling_t;

/// A generation session over one model: the tokens so far, the caches, the
/// generator.
///
/// Ownership: attnc_generation_create() returns a session holding a
/// reference to its model; attnc_generation_free() drops it.
/// Thread-safety: a session is used by one thread at a time; sessions on
/// the same model may run concurrently (their runs are serialized by the
/// model's lock, see attnc_model_invoke()).
typedef struct attnc_generation_t attnc_generation_t;

/// Starts an empty session on `model`, checking its interface (above).
/// `sampling` NULL means greedy. INVALID_ARGUMENT naming the input or output
/// when the model is not a decoder this loop can run (no input_ids, a past
/// without a present, a fixed sequence length with no cache, a batch above
/// 1, a temperature below 0 or not finite).
attnc_status_t *attnc_generation_create(attnc_model_t *model, const attnc_sampling_t *sampling,
                                        attnc_generation_t **out_session);

/// Feeds the `count` prompt tokens `ids` to an empty session and writes the
/// token chosen to follow them to `out_token`. INVALID_ARGUMENT when the
/// session is not empty, the prompt is empty, an id lies outside the
/// vocabulary, or the prompt does not fit the capacity (nothing is run).
attnc_status_t *attnc_generation_prefill(attnc_generation_t *session, const int64_t *ids,
                                         size_t count, int64_t *out_token);

/// Feeds the token last written to `out_token` (by the prefill or the step
/// before) and writes the next one. INVALID_ARGUMENT before a prefill, or
/// when the session is full (attnc_generation_length() equals
/// attnc_generation_capacity()).
attnc_status_t *attnc_generation_step(attnc_generation_t *session, int64_t *out_token);

/// After an error from attnc_generation_prefill() or attnc_generation_step()
/// the session is empty again: prefill it anew.

/// Tokens the model has read so far (0 for NULL).
size_t attnc_generation_length(const attnc_generation_t *session);

/// The most tokens a session holds, from the model's bounds (0 for NULL).
size_t attnc_generation_capacity(const attnc_generation_t *session);

/// Frees `session` and its caches, releasing its model reference. NULL is a
/// no-op.
void attnc_generation_free(attnc_generation_t *session);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_GENERATION_H */

/*===- fake_model.c - A hand-written "compiled model" for tests ----*- C -*-===*
 *
 * Implements the model ABI by hand: sum = a + b on f32 [2, 3], plus a bool
 * output "is positive" (sum > 0) whose name needs percent-encoding.
 * FAKE_MODEL_BAD_MANIFEST builds a variant whose manifest is malformed,
 * FAKE_MODEL_WITHOUT_RUN one that lacks the attnc_model_run symbol.
 *
 *===----------------------------------------------------------------------===*/

#include <stdbool.h>
#include <stddef.h>

#ifdef FAKE_MODEL_BAD_MANIFEST
static const char kManifest[] = "attnc-model 1\n"
                                "input a f32 2 2 3\n"
                                "input b f99 2 2 3\n"
                                "output sum f32 2 2 3\n";
#else
static const char kManifest[] = "attnc-model 1\n"
                                "input a f32 2 2 3\n"
                                "input b f32 2 2 3\n"
                                "output sum f32 2 2 3\n"
                                "output is%20positive i1 2 2 3\n";
#endif

const char *attnc_model_manifest(void) { return kManifest; }

#ifndef FAKE_MODEL_WITHOUT_RUN
void attnc_model_run(void **buffers) {
  const float *a = (const float *)buffers[0];
  const float *b = (const float *)buffers[1];
  float *sum = (float *)buffers[2];
  bool *positive = (bool *)buffers[3];
  for (size_t i = 0; i < 6; ++i) {
    sum[i] = a[i] + b[i];
    positive[i] = sum[i] > 0.0f;
  }
}
#endif

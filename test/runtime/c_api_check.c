/*===- c_api_check.c - The runtime API used from plain C11 ---------*- C -*-===*
 *
 * Compiled as C11 with -pedantic -Werror: proves the public headers are pure
 * C, and drives a load / query / invoke / release cycle from C.
 *
 *===----------------------------------------------------------------------===*/

#include "attnc/runtime.h"

#include <stdio.h>
#include <string.h>

int attnc_test_c_api(const char *library_path, char *message, size_t size);

/* Runs the fake model (sum = a + b) on ones and twos; 0 when the sum is
 * all threes, otherwise 1 with a reason in `message`. */
int attnc_test_c_api(const char *library_path, char *message, size_t size) {
  attnc_model_t *model = NULL;
  attnc_status_t *status = attnc_model_load(library_path, &model);
  if (!ATTNC_STATUS_IS_OK(status)) {
    snprintf(message, size, "%s", attnc_status_message(status));
    attnc_status_free(status);
    return 1;
  }
  float a[6], b[6], sum[6];
  unsigned char positive[6];
  for (int i = 0; i < 6; ++i) {
    a[i] = 1.0f;
    b[i] = 2.0f;
  }
  const int64_t dims[2] = {2, 3};
  attnc_tensor_t inputs[2] = {
      {a, ATTNC_DTYPE_F32, 2, dims, sizeof(a)},
      {b, ATTNC_DTYPE_F32, 2, dims, sizeof(b)},
  };
  attnc_tensor_t outputs[2] = {
      {sum, ATTNC_DTYPE_F32, 2, dims, sizeof(sum)},
      {positive, ATTNC_DTYPE_I1, 2, dims, sizeof(positive)},
  };
  status = attnc_model_invoke(model, inputs, 2, outputs, 2);
  attnc_model_release(model);
  if (!ATTNC_STATUS_IS_OK(status)) {
    snprintf(message, size, "%s", attnc_status_message(status));
    attnc_status_free(status);
    return 1;
  }
  for (int i = 0; i < 6; ++i) {
    if (sum[i] != 3.0f || positive[i] != 1) {
      snprintf(message, size, "wrong result at %d", i);
      return 1;
    }
  }
  message[0] = '\0';
  return 0;
}

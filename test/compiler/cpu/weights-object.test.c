/* Runs the static library of weights-object.test's model on x and
 * compares with numpy's y (raw f32 files). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "mlp.h"

static int readAll(const char *path, float *into, size_t count) {
  FILE *f = fopen(path, "rb");
  size_t read = f ? fread(into, sizeof(float), count, f) : 0;
  if (f)
    fclose(f);
  return read == count;
}

int main(int argc, char **argv) {
  static float x[MLP_X_ELEMENTS], want[MLP_Y_ELEMENTS], y[MLP_Y_ELEMENTS];
  if (argc != 3 || !readAll(argv[1], x, MLP_X_ELEMENTS) ||
      !readAll(argv[2], want, MLP_Y_ELEMENTS)) {
    fprintf(stderr, "usage: main X.f32 Y.f32\n");
    return 2;
  }
  void *workspace = aligned_alloc(64, (MLP_WORKSPACE_BYTES + 63) / 64 * 64 + 64);
  mlp_run(x, y, workspace);
  free(workspace);
  double worst = 0;
  for (unsigned i = 0; i < MLP_Y_ELEMENTS; ++i)
    worst = fmax(worst, fabs((double)y[i] - (double)want[i]));
  printf("max abs error %g: %s\n", worst, worst < 1e-4 ? "ok" : "WRONG");
  return worst < 1e-4 ? 0 : 1;
}

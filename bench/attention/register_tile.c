// The ceiling of the vector kernel's inner products on this machine: the
// same R x C register tile of 512-bit FMAs (6 x 4 by default) that
// attn-tile-sdpa emits for S = Q̂·Kᵀ and acc += P·V, on a 60 x 64 q-block
// sweeping one head's packed Kᵀ and V (T = 2048 keys, D = 64), with no
// softmax in between. Prints the best GFLOP/s of 5 trials; compare with
// fma_peak.c. AVX-512 only.
//
//   clang-22 -O3 -march=native -fopenmp register_tile.c -o rt && OMP_NUM_THREADS=2 ./rt
//   (-DR=5 -DC=4 for another tile)
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef R
#define R 6
#endif
#ifndef C
#define C 4
#endif
enum { D = 64, KV_BLOCK = 64, KEYS = 2048, ROWS = R * (60 / R), REPEATS = 100 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// out[ROWS x 64] (+)= lhs[ROWS x 64] · rhs[64 x 64], in R x (C·16) tiles.
static void product(const float *restrict lhs, const float *restrict rhs, float *restrict out,
                    int accumulate) {
  for (int i0 = 0; i0 < ROWS; i0 += R)
    for (int j0 = 0; j0 < 64; j0 += 16 * C) {
      __m512 acc[R][C];
      for (int r = 0; r < R; r++)
        for (int v = 0; v < C; v++)
          acc[r][v] = accumulate ? _mm512_load_ps(out + (i0 + r) * 64 + j0 + v * 16)
                                 : _mm512_setzero_ps();
      for (int k = 0; k < 64; k++) {
        __m512 b[C];
        for (int v = 0; v < C; v++)
          b[v] = _mm512_load_ps(rhs + k * 64 + j0 + v * 16);
        for (int r = 0; r < R; r++) {
          __m512 a = _mm512_set1_ps(lhs[(i0 + r) * 64 + k]);
          for (int v = 0; v < C; v++)
            acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
        }
      }
      for (int r = 0; r < R; r++)
        for (int v = 0; v < C; v++)
          _mm512_store_ps(out + (i0 + r) * 64 + j0 + v * 16, acc[r][v]);
    }
}

int main(void) {
  double best = 0;
  for (int trial = 0; trial < 5; trial++) {
    double start = now(), flops = 0;
#pragma omp parallel reduction(+ : flops)
    {
      float *q = aligned_alloc(64, 64 * D * 4), *s = aligned_alloc(64, 64 * 64 * 4);
      float *acc = aligned_alloc(64, 64 * D * 4);
      float *kt = aligned_alloc(64, (size_t)KEYS * D * 4);
      float *v = aligned_alloc(64, (size_t)KEYS * D * 4);
      for (long i = 0; i < (long)KEYS * D; i++) {
        kt[i] = 1e-3f * (i % 7);
        v[i] = 1e-3f * (i % 5);
      }
      for (int i = 0; i < 64 * D; i++)
        q[i] = 1e-3f, acc[i] = 0, s[i] = 0;
      for (int rep = 0; rep < REPEATS; rep++)
        for (long kb = 0; kb < KEYS / KV_BLOCK; kb++) {
          product(q, kt + kb * KV_BLOCK * D, s, 0);
          product(s, v + kb * KV_BLOCK * D, acc, 1);
          flops += 2.0 * 2 * ROWS * KV_BLOCK * D;
        }
      if (acc[5] == 12345)
        printf("unreachable\n");
      free(q), free(s), free(acc), free(kt), free(v);
    }
    double gflops = flops / (now() - start) * 1e-9;
    if (gflops > best)
      best = gflops;
  }
  printf("register tile %dx%d: %.1f GFLOP/s\n", R, C, best);
  return 0;
}

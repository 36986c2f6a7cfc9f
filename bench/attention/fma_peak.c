// Measured FMA peak of this machine: independent AVX2 FMA chains on every
// thread (OpenMP), reported in GFLOP/s (2 flops per lane per FMA).
//   clang-22 -O2 -mavx2 -mfma -fopenmp fma_peak.c -o fma_peak && ./fma_peak [threads]
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
  const long iterations = 200000000L / 8;
  double best = 0;
  for (int trial = 0; trial < 3; ++trial) {
    double start = omp_get_wtime();
    float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      // 10 independent accumulators hide the FMA latency.
      __m256 a = _mm256_set1_ps(1.0f), b = _mm256_set1_ps(0.999999f);
      __m256 acc[10];
      for (int i = 0; i < 10; ++i)
        acc[i] = _mm256_set1_ps((float)i);
      for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < 10; ++i)
          acc[i] = _mm256_fmadd_ps(acc[i], b, a);
      for (int i = 0; i < 10; ++i)
        sink += acc[i][0];
    }
    double seconds = omp_get_wtime() - start;
    double gflops = (double)threads * iterations * 10 * 8 * 2 / seconds / 1e9;
    if (gflops > best)
      best = gflops;
    if (sink == 12345.0f)
      printf(" ");
  }
  printf("FMA peak: %.1f GFLOP/s on %d thread(s)\n", best, threads);
  return 0;
}

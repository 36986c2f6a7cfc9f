// Measured f32 FMA peak of this machine: independent FMA chains on every
// thread (OpenMP), in GFLOP/s (2 flops per lane per FMA). Uses the widest FMA
// the compiler targets: AVX-512 (zmm) with -mavx512f (or -march=native on an
// AVX-512 CPU), AVX2 + FMA otherwise.
//   clang-22 -O2 -march=native -fopenmp -L/usr/lib/llvm-22/lib \
//     -Wl,-rpath,/usr/lib/llvm-22/lib fma_peak.c -o fma_peak && ./fma_peak [threads]
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __AVX512F__
typedef __m512 vec;
#define ISA "AVX-512"
#define LANES 16
// 32 zmm registers: 16 chains cover FMA latency x ports with room to spare.
#define CHAINS 16
#define SPLAT _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#elif defined(__AVX2__) && defined(__FMA__)
typedef __m256 vec;
#define ISA "AVX2"
#define LANES 8
// 16 ymm registers: 12 chains plus the two operands.
#define CHAINS 12
#define SPLAT _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#else
#error "fma_peak needs AVX2 + FMA or AVX-512 (compile with -march=native)"
#endif

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
  // About 1.6e10 flops per thread per trial: a fraction of a second.
  const long iterations = 16000000000L / (CHAINS * LANES * 2);
  double best = 0;
  for (int trial = 0; trial < 5; ++trial) {
    double start = omp_get_wtime();
    float sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      vec a = SPLAT(1.0f), b = SPLAT(0.999999f);
      vec acc[CHAINS];
      for (int i = 0; i < CHAINS; ++i)
        acc[i] = SPLAT((float)i);
      for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < CHAINS; ++i)
          acc[i] = FMA(acc[i], b, a);
      for (int i = 0; i < CHAINS; ++i)
        sink += acc[i][0];
    }
    double seconds = omp_get_wtime() - start;
    double gflops = (double)threads * iterations * CHAINS * LANES * 2 / seconds / 1e9;
    if (gflops > best)
      best = gflops;
    // Keeps the chains live without printing anything in practice.
    if (sink == 12345.0f)
      printf(" ");
  }
  printf("FMA peak: %.1f GFLOP/s on %d thread(s), %s (%d-bit, %d chains per thread)\n", best,
         threads, ISA, LANES * 32, CHAINS);
  return 0;
}

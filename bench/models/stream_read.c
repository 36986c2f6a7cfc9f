// Measured read bandwidth from DRAM: every thread (OpenMP) sums its share of
// a buffer far larger than the last-level cache, best of five passes, in
// GB/s (10^9 bytes). The M = 1 matmuls stream their weights at this rate at
// best, so bench_matmul.py reports them against it.
//   clang-22 -O2 -march=native -fopenmp -L/usr/lib/llvm-22/lib \
//     -Wl,-rpath,/usr/lib/llvm-22/lib stream_read.c -o stream_read && ./stream_read [threads] [MiB]
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : omp_get_max_threads();
  long mib = argc > 2 ? atol(argv[2]) : 1024;
  long count = mib * 1024 * 1024 / sizeof(float);
  float *data = aligned_alloc(64, count * sizeof(float));
  if (!data) {
    fprintf(stderr, "stream_read: cannot allocate %ld MiB\n", mib);
    return 1;
  }
  // First touch on the threads that read, as a run's weights would be placed.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long i = 0; i < count; ++i)
    data[i] = (float)(i & 1023);
  double best = 0;
  float sink = 0;
  for (int pass = 0; pass < 5; ++pass) {
    double start = omp_get_wtime();
    float sum = 0;
    // Four independent vector sums per thread: the adds never limit the
    // rate, the memory does (vector extensions, so any ISA compiles it).
#pragma omp parallel num_threads(threads) reduction(+ : sum)
    {
      typedef float vec __attribute__((vector_size(32)));
      vec acc[4] = {{0}, {0}, {0}, {0}};
      const vec *v = (const vec *)data;
      long vectors = count / 8;
#pragma omp for schedule(static)
      for (long i = 0; i < vectors; i += 4)
        for (int j = 0; j < 4; ++j)
          acc[j] += v[i + j];
      for (int j = 0; j < 4; ++j)
        for (int lane = 0; lane < 8; ++lane)
          sum += acc[j][lane];
    }
    double seconds = omp_get_wtime() - start;
    sink += sum;
    double rate = count * sizeof(float) / seconds / 1e9;
    if (rate > best)
      best = rate;
  }
  printf("read bandwidth: %.1f GB/s on %d thread(s), %ld MiB buffer (checksum %g)\n", best, threads, mib,
         (double)sink);
  free(data);
  return 0;
}

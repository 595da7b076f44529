/*
 * Single-thread FP32 peak: ACC independent vector FMA chains (enough to cover the FMA latency on
 * two pipes) for the widest vector ISA the compiler targets (-march=native). Prints
 * "ISA GFLOPS", the best of REPEATS timed passes; an FMA counts as two flops per lane.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#define ISA "AVX-512"
#define LANES 16
typedef __m512 vec;
#define SPLAT(x) _mm512_set1_ps(x)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define ADD(a, b) _mm512_add_ps(a, b)
#define FIRST(v) _mm512_cvtss_f32(v)
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ISA "AVX2+FMA"
#define LANES 8
typedef __m256 vec;
#define SPLAT(x) _mm256_set1_ps(x)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define ADD(a, b) _mm256_add_ps(a, b)
#define FIRST(v) _mm256_cvtss_f32(v)
#elif defined(__aarch64__)
#include <arm_neon.h>
#define ISA "NEON"
#define LANES 4
typedef float32x4_t vec;
#define SPLAT(x) vdupq_n_f32(x)
#define FMA(a, b, c) vfmaq_f32(c, a, b)
#define ADD(a, b) vaddq_f32(a, b)
#define FIRST(v) vgetq_lane_f32(v, 0)
#else
#include <emmintrin.h>
#define ISA "SSE2 (no FMA: mul+add)"
#define LANES 4
typedef __m128 vec;
#define SPLAT(x) _mm_set1_ps(x)
#define FMA(a, b, c) _mm_add_ps(_mm_mul_ps(a, b), c)
#define ADD(a, b) _mm_add_ps(a, b)
#define FIRST(v) _mm_cvtss_f32(v)
#endif

#define ACC 12
#define ITERATIONS 50000000L
#define REPEATS 5

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  (void)argv;
  volatile float seed = 1e-7f * argc;
  vec a = SPLAT(1.0f - seed), b = SPLAT(seed);
  vec acc[ACC];
  double best = 0;
  float sink = 0;
  for (int r = 0; r < REPEATS; r++) {
    for (int k = 0; k < ACC; k++) {
      acc[k] = SPLAT(seed * k);
    }
    double start = now();
    for (long i = 0; i < ITERATIONS; i++) {
#pragma GCC unroll 12
      for (int k = 0; k < ACC; k++) {
        acc[k] = FMA(acc[k], a, b);
      }
    }
    double seconds = now() - start;
    vec total = acc[0];
    for (int k = 1; k < ACC; k++) {
      total = ADD(total, acc[k]);
    }
    sink += FIRST(total);
    double gflops = 2.0 * LANES * ACC * (double)ITERATIONS / seconds * 1e-9;
    if (gflops > best) {
      best = gflops;
    }
  }
  printf("%s %.2f %g\n", ISA, best, (double)sink);
  return 0;
}

#include "harness.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int passed;
static int failed;

void test_check(bool ok, const char *fmt, ...) {
  if (ok) {
    passed++;
    return;
  }
  failed++;
  va_list ap;
  va_start(ap, fmt);
  fputs("FAIL ", stdout);
  vprintf(fmt, ap);
  fputc('\n', stdout);
  va_end(ap);
}

int test_summary(void) {
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

void test_rng_seed(test_rng_t *rng, uint64_t seed) {
  rng->state = seed * 0x9E3779B97F4A7C15ull + 1;
}

static uint64_t next(test_rng_t *rng) {
  uint64_t x = rng->state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  rng->state = x;
  return x;
}

float test_rng_float(test_rng_t *rng, float lo, float hi) {
  double u = (double)(next(rng) >> 11) / 9007199254740992.0;
  return (float)(lo + (hi - lo) * u);
}

int32_t test_rng_int(test_rng_t *rng, int32_t lo, int32_t hi) {
  uint64_t span = (uint64_t)((int64_t)hi - lo + 1);
  return (int32_t)(lo + (int64_t)(next(rng) % span));
}

float *test_random_floats(test_rng_t *rng, size_t n) {
  float *p = malloc((n == 0 ? 1 : n) * sizeof *p);
  if (p == NULL) {
    fputs("out of memory\n", stderr);
    exit(2);
  }
  for (size_t i = 0; i < n; i++) {
    p[i] = test_rng_float(rng, -1.0f, 1.0f);
  }
  return p;
}

bool test_close(float got, double want, double rtol, double atol) {
  if (isnan(want)) {
    return isnan(got);
  }
  if (isinf(want)) {
    return (double)got == want;
  }
  return fabs((double)got - want) <= atol + rtol * fabs(want);
}

int main(void) {
  test_runtime();
  test_gemm_f32();
  test_conv2d_f32();
  test_conv2d_winograd_f32();
  test_depthwise_conv2d_f32();
  test_pool2d_f32();
  test_gemm_s8();
  test_conv2d_s8();
  test_pool();
  return test_summary();
}

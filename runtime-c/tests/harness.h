/* A tiny test harness: every check counts as passed or failed; main prints the summary. */
#ifndef KILN_TEST_HARNESS_H
#define KILN_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Records one check; on failure prints "FAIL " and the formatted description. */
void test_check(bool ok, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Prints "N passed, N failed" and returns the process exit status (0 when nothing failed). */
int test_summary(void);

/* A seeded xorshift generator, so every run sees the same data. */
typedef struct test_rng {
  uint64_t state;
} test_rng_t;

void test_rng_seed(test_rng_t *rng, uint64_t seed);

/* Uniform in [lo, hi). */
float test_rng_float(test_rng_t *rng, float lo, float hi);

/* Uniform in [lo, hi]. */
int32_t test_rng_int(test_rng_t *rng, int32_t lo, int32_t hi);

/* A malloc'ed buffer of n floats (at least one) filled from rng in [-1, 1). */
float *test_random_floats(test_rng_t *rng, size_t n);

/*
 * Whether got matches want within |got - want| <= atol + rtol * |want|; NaNs match NaNs and
 * infinities match equal infinities.
 */
bool test_close(float got, double want, double rtol, double atol);

void test_runtime(void);
void test_gemm_f32(void);
void test_conv2d_f32(void);
void test_conv2d_winograd_f32(void);
void test_depthwise_conv2d_f32(void);
void test_pool2d_f32(void);
void test_gemm_s8(void);
void test_conv2d_s8(void);
void test_pool(void);

#endif

#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kiln/kernels.h"
#include "kiln/pool.h"

static void count_index(void *arg, int64_t index) {
  int *hits = (int *)arg;
  __atomic_fetch_add(&hits[index], 1, __ATOMIC_RELAXED);
}

static void gemm_on(const kiln_thread_pool_t *pool, const kiln_gemm_f32_params_t *p,
                    const float *a, const float *b, float *c) {
  const int32_t threads = pool != NULL ? pool->num_threads : 1;
  const int64_t stride = (kiln_gemm_f32_scratch_size(p) + 63) / 64 * 64;
  kiln_exec_t e = {pool, aligned_alloc(64, (size_t)(stride * threads + 64)), stride, NULL};
  kiln_gemm_f32(p, a, b, NULL, NULL, c, &e);
  free(e.scratch);
}

void test_pool(void) {
  test_check(kiln_pool_create(0) == NULL, "a pool of 0 threads is refused");
  for (int32_t threads = 1; threads <= 4; threads++) {
    kiln_thread_pool_t *pool = kiln_pool_create(threads);
    test_check(pool != NULL && pool->num_threads == threads, "pool of %d threads", threads);
    if (pool == NULL) {
      continue;
    }
    for (int round = 0; round < 50; round++) {
      int hits[97] = {0};
      const int64_t n = 1 + round % 97;
      kiln_parallel_for(pool, n, count_index, hits);
      int ok = 1;
      for (int64_t i = 0; i < 97; i++) {
        ok &= hits[i] == (i < n ? 1 : 0);
      }
      test_check(ok, "pool of %d threads runs each of %lld indices once", threads, (long long)n);
    }
    /* A GEMM large enough to be cut into chunks gives the same bits on every pool. */
    test_rng_t rng;
    test_rng_seed(&rng, 7);
    kiln_gemm_f32_params_t p = {0};
    p.m = 67;
    p.n = 301;
    p.k = 129;
    p.lda = p.k;
    p.ldb = p.n;
    p.ldc = p.n;
    p.alpha = 1.0f;
    p.beta = 1.0f;
    float *a = test_random_floats(&rng, (size_t)p.m * p.k);
    float *b = test_random_floats(&rng, (size_t)p.k * p.n);
    float *c1 = calloc((size_t)p.m * p.n, sizeof(float));
    float *cn = calloc((size_t)p.m * p.n, sizeof(float));
    gemm_on(NULL, &p, a, b, c1);
    gemm_on(pool, &p, a, b, cn);
    test_check(memcmp(c1, cn, (size_t)p.m * p.n * sizeof(float)) == 0,
               "gemm on a pool of %d threads equals the serial result", threads);
    free(a);
    free(b);
    free(c1);
    free(cn);
    kiln_pool_destroy(pool);
  }
}

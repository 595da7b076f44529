#include "epilogue.h"

/* Tile sizes: a KB x NB block of B (64 KiB) stays in L2 while MB rows of A and C pass over it. */
#define KILN_GEMM_MB 32
#define KILN_GEMM_NB 128
#define KILN_GEMM_KB 128

static void gemm_tile_epilogue(const kiln_gemm_f32_params_t *p, const float *KILN_RESTRICT bias,
                               const float *KILN_RESTRICT residual, float *KILN_RESTRICT c,
                               ptrdiff_t i0, ptrdiff_t i1, ptrdiff_t j0, ptrdiff_t j1) {
  const kiln_epilogue_t *e = &p->epilogue;
  for (ptrdiff_t i = i0; i < i1; i++) {
    float *ci = c + i * (ptrdiff_t)p->ldc;
    const float *ri = residual != NULL ? residual + i * (ptrdiff_t)p->ldr : NULL;
    for (ptrdiff_t j = j0; j < j1; j++) {
      float y = p->alpha * ci[j];
      if (bias != NULL) {
        y += p->beta * bias[i * (ptrdiff_t)p->bias_stride_m + j * (ptrdiff_t)p->bias_stride_n];
      }
      if (ri != NULL && !e->residual_after_activation) {
        y += ri[j];
      }
      y = kiln_activate(e, y);
      if (ri != NULL && e->residual_after_activation) {
        y += ri[j];
      }
      ci[j] = y;
    }
  }
}

void kiln_gemm_f32(const kiln_gemm_f32_params_t *p, const float *KILN_RESTRICT a,
                   const float *KILN_RESTRICT b, const float *KILN_RESTRICT bias,
                   const float *KILN_RESTRICT residual, float *KILN_RESTRICT c) {
  const ptrdiff_t m = p->m, n = p->n, k = p->k;
  const ptrdiff_t lda = p->lda, ldb = p->ldb, ldc = p->ldc;
  /* op(A)(i, q) is a[i * as_i + q * as_q]; op(B)(q, j) is b[q * bs_q + j * bs_j]. */
  const ptrdiff_t as_i = p->trans_a ? 1 : lda, as_q = p->trans_a ? lda : 1;
  const ptrdiff_t bs_q = p->trans_b ? 1 : ldb, bs_j = p->trans_b ? ldb : 1;
  for (ptrdiff_t i0 = 0; i0 < m; i0 += KILN_GEMM_MB) {
    const ptrdiff_t i1 = kiln_min_pd(m, i0 + KILN_GEMM_MB);
    for (ptrdiff_t j0 = 0; j0 < n; j0 += KILN_GEMM_NB) {
      const ptrdiff_t j1 = kiln_min_pd(n, j0 + KILN_GEMM_NB);
      if (k == 0) {
        for (ptrdiff_t i = i0; i < i1; i++) {
          for (ptrdiff_t j = j0; j < j1; j++) {
            c[i * ldc + j] = 0.0f;
          }
        }
      }
      for (ptrdiff_t q0 = 0; q0 < k; q0 += KILN_GEMM_KB) {
        const ptrdiff_t q1 = kiln_min_pd(k, q0 + KILN_GEMM_KB);
        for (ptrdiff_t i = i0; i < i1; i++) {
          float *KILN_RESTRICT ci = c + i * ldc;
          const float *ai = a + i * as_i;
          ptrdiff_t q = q0;
          if (q == 0) {
            const float av = ai[0];
            if (bs_j == 1) {
              for (ptrdiff_t j = j0; j < j1; j++) {
                ci[j] = av * b[j];
              }
            } else {
              for (ptrdiff_t j = j0; j < j1; j++) {
                ci[j] = av * b[j * bs_j];
              }
            }
            q++;
          }
          for (; q < q1; q++) {
            const float av = ai[q * as_q];
            const float *bq = b + q * bs_q;
            if (bs_j == 1) {
              for (ptrdiff_t j = j0; j < j1; j++) {
                ci[j] += av * bq[j];
              }
            } else {
              for (ptrdiff_t j = j0; j < j1; j++) {
                ci[j] += av * bq[j * bs_j];
              }
            }
          }
        }
      }
      gemm_tile_epilogue(p, bias, residual, c, i0, i1, j0, j1);
    }
  }
}

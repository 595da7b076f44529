#include "kiln/accel.h"
#include "dsp.h"
#include "epilogue.h"

/* Columns accumulated at once per row; the int32 accumulators live on the stack (256 bytes). */
#define KILN_GEMM_S8_TILE 64

int64_t kiln_requantize(int32_t x, int32_t multiplier, int32_t shift) {
  const int64_t prod = (int64_t)x * multiplier; /* |prod| <= 2^62 */
  const int32_t s = 31 + shift;
  if (s <= 0) {
    return prod;
  }
  const bool negative = prod < 0;
  const uint64_t mag = negative ? (uint64_t)(-prod) : (uint64_t)prod;
  uint64_t q = mag >> s;
  const uint64_t rem = mag & ((UINT64_C(1) << s) - 1);
  const uint64_t half = UINT64_C(1) << (s - 1);
  if (rem > half || (rem == half && (q & 1u) != 0)) {
    q++;
  }
  return negative ? -(int64_t)q : (int64_t)q;
}

static int32_t saturate_i32(int64_t v) {
  return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
}

/*
 * acc[t] = sum over q of (A(i, q) - za) * (B(q, j0 + t) - zb) for t in [0, width); two q at a time
 * with SMLAD on cores with the DSP extension.
 */
static void accumulate_row(const kiln_gemm_s8_params_t *p, const int8_t *KILN_RESTRICT a,
                           const int8_t *KILN_RESTRICT b, ptrdiff_t i, ptrdiff_t j0,
                           ptrdiff_t width, int32_t *KILN_RESTRICT acc) {
  const int32_t za = p->a_zero_point, zb = p->b_zero_point;
  for (ptrdiff_t t = 0; t < width; t++) {
    acc[t] = 0;
  }
  const int8_t *ai = a + i * (ptrdiff_t)p->lda;
  ptrdiff_t q = 0;
#if KILN_HAS_DSP
  for (; q + 1 < p->k; q += 2) {
    const int32_t ap = kiln_pack16x2((int32_t)ai[q] - za, (int32_t)ai[q + 1] - za);
    const int8_t *b0 = b + q * (ptrdiff_t)p->ldb + j0;
    const int8_t *b1 = b0 + p->ldb;
    for (ptrdiff_t t = 0; t < width; t++) {
      acc[t] = kiln_dot2(ap, kiln_pack16x2((int32_t)b0[t] - zb, (int32_t)b1[t] - zb), acc[t]);
    }
  }
#endif
  for (; q < p->k; q++) {
    const int32_t av = (int32_t)ai[q] - za;
    const int8_t *bq = b + q * (ptrdiff_t)p->ldb + j0;
    for (ptrdiff_t t = 0; t < width; t++) {
      acc[t] += av * ((int32_t)bq[t] - zb);
    }
  }
}

void kiln_gemm_s8s8s32(const kiln_gemm_s8_params_t *p, const int8_t *KILN_RESTRICT a,
                       const int8_t *KILN_RESTRICT b, const int32_t *KILN_RESTRICT bias,
                       int32_t *KILN_RESTRICT c) {
  int32_t acc[KILN_GEMM_S8_TILE];
  for (ptrdiff_t j0 = 0; j0 < p->n; j0 += KILN_GEMM_S8_TILE) {
    const ptrdiff_t width = kiln_min_pd(p->n - j0, KILN_GEMM_S8_TILE);
    for (ptrdiff_t i = 0; i < p->m; i++) {
      accumulate_row(p, a, b, i, j0, width, acc);
      int32_t *ci = c + i * (ptrdiff_t)p->ldc + j0;
      for (ptrdiff_t t = 0; t < width; t++) {
        ci[t] = saturate_i32((int64_t)acc[t] + (bias != NULL ? bias[j0 + t] : 0));
      }
    }
  }
}

void kiln_gemm_s8s8s8(const kiln_gemm_s8_params_t *p, const int8_t *KILN_RESTRICT a,
                      const int8_t *KILN_RESTRICT b, const int32_t *KILN_RESTRICT bias,
                      const int32_t *KILN_RESTRICT multipliers, const int32_t *KILN_RESTRICT shifts,
                      int8_t *KILN_RESTRICT c) {
  int32_t acc[KILN_GEMM_S8_TILE];
  for (ptrdiff_t j0 = 0; j0 < p->n; j0 += KILN_GEMM_S8_TILE) {
    const ptrdiff_t width = kiln_min_pd(p->n - j0, KILN_GEMM_S8_TILE);
    for (ptrdiff_t i = 0; i < p->m; i++) {
      accumulate_row(p, a, b, i, j0, width, acc);
      int8_t *ci = c + i * (ptrdiff_t)p->ldc + j0;
      for (ptrdiff_t t = 0; t < width; t++) {
        const ptrdiff_t j = j0 + t;
        const int32_t x = saturate_i32((int64_t)acc[t] + (bias != NULL ? bias[j] : 0));
        const int32_t mult = multipliers != NULL ? multipliers[j] : p->multiplier;
        const int32_t shift = shifts != NULL ? shifts[j] : p->shift;
        int64_t v = kiln_requantize(x, mult, shift) + p->c_zero_point;
        v = v < p->qmin ? p->qmin : (v > p->qmax ? p->qmax : v);
        ci[t] = (int8_t)v;
      }
    }
  }
}

int32_t kiln_accel_gemm_s8s8s32(const kiln_gemm_s8_params_t *p, const int8_t *KILN_RESTRICT a,
                                const int8_t *KILN_RESTRICT b, const int32_t *KILN_RESTRICT bias,
                                int32_t *KILN_RESTRICT c, const kiln_exec_t *exec) {
  KILN_ACCEL_TRY(gemm_s8s8s32, p, a, b, bias, c);
  kiln_gemm_s8s8s32(p, a, b, bias, c);
  return KILN_OK;
}

int32_t kiln_accel_gemm_s8s8s8(const kiln_gemm_s8_params_t *p, const int8_t *KILN_RESTRICT a,
                               const int8_t *KILN_RESTRICT b, const int32_t *KILN_RESTRICT bias,
                               const int32_t *KILN_RESTRICT multipliers,
                               const int32_t *KILN_RESTRICT shifts, int8_t *KILN_RESTRICT c,
                               const kiln_exec_t *exec) {
  KILN_ACCEL_TRY(gemm_s8s8s8, p, a, b, bias, multipliers, shifts, c);
  kiln_gemm_s8s8s8(p, a, b, bias, multipliers, shifts, c);
  return KILN_OK;
}

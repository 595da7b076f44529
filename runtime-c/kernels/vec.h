/*
 * Float vectors for the kernels, written with the compiler's vector extensions: KILN_VLEN lanes
 * (the target's widest float vector; 1 means plain floats), a splat, a lane-wise select, and the
 * epilogue activations on whole vectors with the same NaN behaviour as kiln_activate.
 */
#ifndef KILN_KERNELS_VEC_H
#define KILN_KERNELS_VEC_H

#include "epilogue.h"

#ifndef KILN_VLEN
#if defined(__AVX512F__)
#define KILN_VLEN 16
#elif defined(__AVX__)
#define KILN_VLEN 8
#elif defined(__SSE2__) || defined(__ARM_NEON) || defined(__ARM_NEON__)
#define KILN_VLEN 4
#else
#define KILN_VLEN 1
#endif
#endif

/* Fully unrolls the loop that follows (register blocks, window taps), so its values stay in registers. */
#define KILN_UNROLL _Pragma("GCC unroll 32")

#if KILN_VLEN > 1
typedef float kiln_vf __attribute__((vector_size(KILN_VLEN * 4)));
typedef float kiln_vf_u __attribute__((vector_size(KILN_VLEN * 4), aligned(4)));
typedef int32_t kiln_vi __attribute__((vector_size(KILN_VLEN * 4)));

/* Every lane s (an initializer list, not 0 + s, which is not s for -0.0 and costs an add). */
static inline kiln_vf kiln_splat(float s) {
#if KILN_VLEN == 4
  return (kiln_vf){s, s, s, s};
#elif KILN_VLEN == 8
  return (kiln_vf){s, s, s, s, s, s, s, s};
#elif KILN_VLEN == 16
  return (kiln_vf){s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s};
#else
#error "KILN_VLEN must be 1, 4, 8 or 16"
#endif
}
#define KILN_SPLAT(s) kiln_splat(s)

/* Lanes of a where mask (all ones or zero per lane, as comparisons give) is set, else of b. */
static inline kiln_vf kiln_vsel(kiln_vi mask, kiln_vf a, kiln_vf b) {
  return (kiln_vf)(((kiln_vi)a & mask) | ((kiln_vi)b & ~mask));
}
#else
typedef float kiln_vf;
typedef float kiln_vf_u;
typedef int kiln_vi;
#define KILN_SPLAT(s) (s)

static inline kiln_vf kiln_vsel(kiln_vi mask, kiln_vf a, kiln_vf b) {
  return mask ? a : b;
}
#endif

/* kiln_activate on every lane. */
static inline kiln_vf kiln_vactivate(const kiln_epilogue_t *e, kiln_vf y) {
  const kiln_vf zero = KILN_SPLAT(0.0f);
  switch (e->activation) {
  case KILN_ACT_RELU:
    return kiln_vsel(y < zero, zero, y);
  case KILN_ACT_CLIP: {
    const kiln_vf lo = KILN_SPLAT(e->min), hi = KILN_SPLAT(e->max);
    return kiln_vsel(y < lo, lo, kiln_vsel(y > hi, hi, y));
  }
  case KILN_ACT_LEAKY_RELU:
    return kiln_vsel(y < zero, KILN_SPLAT(e->alpha) * y, y);
  case KILN_ACT_LEAKY_RELU_MAX: {
    const kiln_vf l = kiln_vsel(y < zero, KILN_SPLAT(e->alpha) * y, y);
    const kiln_vf floor = KILN_SPLAT(e->min);
    return kiln_vsel(l < floor, floor, l);
  }
  case KILN_ACT_HARD_SWISH: {
    const kiln_vf one = KILN_SPLAT(1.0f);
    const kiln_vf t = y / KILN_SPLAT(6.0f) + KILN_SPLAT(0.5f);
    return y * kiln_vsel(t < zero, zero, kiln_vsel(t > one, one, t));
  }
  default:
    return y;
  }
}

/* Lanes o, o + 2, o + 4, ... of two vectors a then b: their even (o = 0) or odd (o = 1) floats. */
#define KILN_LANES4_BY2(o) (o), (o) + 2, (o) + 4, (o) + 6
#define KILN_LANES8_BY2(o) KILN_LANES4_BY2(o), (o) + 8, (o) + 10, (o) + 12, (o) + 14
#define KILN_LANES16_BY2(o) KILN_LANES8_BY2(o), KILN_LANES8_BY2((o) + 16)
#if KILN_VLEN == 4
#define KILN_LANES_BY2(o) KILN_LANES4_BY2(o)
#elif KILN_VLEN == 8
#define KILN_LANES_BY2(o) KILN_LANES8_BY2(o)
#elif KILN_VLEN == 16
#define KILN_LANES_BY2(o) KILN_LANES16_BY2(o)
#endif

/* Lanes o, o + 1, ... of two vectors a then b: a moved down by o lanes, then b's first o. */
#define KILN_LANES4_FROM(o) (o), (o) + 1, (o) + 2, (o) + 3
#define KILN_LANES8_FROM(o) KILN_LANES4_FROM(o), KILN_LANES4_FROM((o) + 4)
#define KILN_LANES16_FROM(o) KILN_LANES8_FROM(o), KILN_LANES8_FROM((o) + 8)
#if KILN_VLEN == 4
#define KILN_LANES_FROM(o) KILN_LANES4_FROM(o)
#elif KILN_VLEN == 8
#define KILN_LANES_FROM(o) KILN_LANES8_FROM(o)
#elif KILN_VLEN == 16
#define KILN_LANES_FROM(o) KILN_LANES16_FROM(o)
#endif

/*
 * Keeps the loop that follows scalar and not unrolled: vectorized or unrolled into straight-line
 * stores (which the SLP vectorizer merges), a strided read becomes a gather, which costs more than
 * scalar loads on several CPUs.
 */
#if defined(__clang__)
#define KILN_SCALAR_LOOP _Pragma("clang loop vectorize(disable) unroll(disable)")
#else
#define KILN_SCALAR_LOOP
#endif

/*
 * dst[i] = src[i * stride] for i in [0, n), reading no float outside src[0 .. (n - 1) * stride].
 * Stride 1 copies whole vectors and stride 2 takes the even lanes of vector pairs; the last vector
 * of either overlaps the one before instead of leaving a scalar tail.
 */
static inline void kiln_copy_strided(float *KILN_RESTRICT dst, const float *KILN_RESTRICT src,
                                     ptrdiff_t n, ptrdiff_t stride) {
#if KILN_VLEN > 1
  if (stride == 1 && n >= KILN_VLEN) {
    for (ptrdiff_t i = 0; i < n; i += KILN_VLEN) {
      const ptrdiff_t j = kiln_min_pd(i, n - KILN_VLEN);
      *(kiln_vf_u *)(dst + j) = *(const kiln_vf_u *)(src + j);
    }
    return;
  }
  if (stride == 2 && n > KILN_VLEN) {
    /* Even lanes from src + 2j, or odd lanes from src + 2j - 1 for the last vector. */
    for (ptrdiff_t i = 0; i < n; i += KILN_VLEN) {
      if (i + KILN_VLEN < n) {
        const kiln_vf a = *(const kiln_vf_u *)(src + 2 * i);
        const kiln_vf b = *(const kiln_vf_u *)(src + 2 * i + KILN_VLEN);
        *(kiln_vf_u *)(dst + i) = __builtin_shufflevector(a, b, KILN_LANES_BY2(0));
      } else {
        const ptrdiff_t j = n - KILN_VLEN;
        const kiln_vf a = *(const kiln_vf_u *)(src + 2 * j - 1);
        const kiln_vf b = *(const kiln_vf_u *)(src + 2 * j - 1 + KILN_VLEN);
        *(kiln_vf_u *)(dst + j) = __builtin_shufflevector(a, b, KILN_LANES_BY2(1));
      }
    }
    return;
  }
#endif
  KILN_SCALAR_LOOP
  for (ptrdiff_t i = 0; i < n; i++) {
    dst[i] = src[i * stride];
  }
}

/* max(m, v) lane-wise where a NaN in v wins (as the pooling kernels' max does). */
static inline kiln_vf kiln_vmax_nan(kiln_vf m, kiln_vf v) {
  return kiln_vsel((v != v) | (v > m), v, m);
}

#endif

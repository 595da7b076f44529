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

/* max(m, v) lane-wise where a NaN in v wins (as the pooling kernels' max does). */
static inline kiln_vf kiln_vmax_nan(kiln_vf m, kiln_vf v) {
  return kiln_vsel((v != v) | (v > m), v, m);
}

#endif

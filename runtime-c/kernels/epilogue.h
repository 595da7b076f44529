/* Shared by the float kernels: the fused epilogue of kiln/kernels.h, applied to one row. */
#ifndef KILN_KERNELS_EPILOGUE_H
#define KILN_KERNELS_EPILOGUE_H

#include "kiln/kernels.h"

static inline float kiln_activate(const kiln_epilogue_t *e, float y) {
  switch (e->activation) {
  case KILN_ACT_RELU:
    return y < 0.0f ? 0.0f : y;
  case KILN_ACT_CLIP:
    return y < e->min ? e->min : (y > e->max ? e->max : y);
  case KILN_ACT_LEAKY_RELU:
    return y < 0.0f ? e->alpha * y : y;
  case KILN_ACT_LEAKY_RELU_MAX: {
    const float l = y < 0.0f ? e->alpha * y : y;
    return l < e->min ? e->min : l;
  }
  case KILN_ACT_HARD_SWISH: {
    const float t = y / 6.0f + 0.5f;
    return y * (t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t));
  }
  default:
    return y;
  }
}

/*
 * out[j] = epilogue(acc[j] + bias) for j in [0, n), with residual[j] added before or after the
 * activation when residual is not NULL. acc may be out itself, so it is not restrict-qualified.
 */
static inline void kiln_epilogue_row(const kiln_epilogue_t *e, const float *acc, float bias,
                                     const float *KILN_RESTRICT residual, float *out, ptrdiff_t n) {
  /* One loop per case with the activation chosen outside it, so each loop vectorizes. */
  kiln_epilogue_t one = *e;
  const int32_t act = e->activation;
#define KILN_EPILOGUE_LOOPS(ACT)                                                                   \
  do {                                                                                             \
    one.activation = ACT;                                                                          \
    if (residual == NULL) {                                                                        \
      for (ptrdiff_t j = 0; j < n; j++) {                                                          \
        out[j] = kiln_activate(&one, acc[j] + bias);                                               \
      }                                                                                            \
    } else if (e->residual_after_activation) {                                                     \
      for (ptrdiff_t j = 0; j < n; j++) {                                                          \
        out[j] = kiln_activate(&one, acc[j] + bias) + residual[j];                                 \
      }                                                                                            \
    } else {                                                                                       \
      for (ptrdiff_t j = 0; j < n; j++) {                                                          \
        out[j] = kiln_activate(&one, acc[j] + bias + residual[j]);                                 \
      }                                                                                            \
    }                                                                                              \
  } while (0)
  switch (act) {
  case KILN_ACT_RELU:
    KILN_EPILOGUE_LOOPS(KILN_ACT_RELU);
    break;
  case KILN_ACT_CLIP:
    KILN_EPILOGUE_LOOPS(KILN_ACT_CLIP);
    break;
  case KILN_ACT_LEAKY_RELU:
    KILN_EPILOGUE_LOOPS(KILN_ACT_LEAKY_RELU);
    break;
  case KILN_ACT_LEAKY_RELU_MAX:
    KILN_EPILOGUE_LOOPS(KILN_ACT_LEAKY_RELU_MAX);
    break;
  case KILN_ACT_HARD_SWISH:
    KILN_EPILOGUE_LOOPS(KILN_ACT_HARD_SWISH);
    break;
  default:
    KILN_EPILOGUE_LOOPS(KILN_ACT_NONE);
    break;
  }
#undef KILN_EPILOGUE_LOOPS
}

static inline ptrdiff_t kiln_min_pd(ptrdiff_t a, ptrdiff_t b) {
  return a < b ? a : b;
}

static inline ptrdiff_t kiln_max_pd(ptrdiff_t a, ptrdiff_t b) {
  return a > b ? a : b;
}

/* floor(a / b) for b > 0. */
static inline ptrdiff_t kiln_floor_div(ptrdiff_t a, ptrdiff_t b) {
  ptrdiff_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* ceil(a / b) for b > 0. */
static inline ptrdiff_t kiln_ceil_div(ptrdiff_t a, ptrdiff_t b) {
  return -kiln_floor_div(-a, b);
}

/*
 * The output columns [lo, hi) of a window row whose tap at offset `tap` (tap * dilation - pad)
 * lands inside an input row of `width` elements: lo * stride + tap >= 0 and
 * (hi - 1) * stride + tap < width, clamped to [0, out_w].
 */
static inline void kiln_valid_range(ptrdiff_t tap, ptrdiff_t stride, ptrdiff_t width,
                                    ptrdiff_t out_w, ptrdiff_t *lo, ptrdiff_t *hi) {
  ptrdiff_t l = kiln_max_pd(0, kiln_ceil_div(-tap, stride));
  ptrdiff_t h = kiln_min_pd(out_w, kiln_floor_div(width - 1 - tap, stride) + 1);
  *lo = l;
  *hi = h < l ? l : h;
}

#endif

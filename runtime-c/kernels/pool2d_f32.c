#include "epilogue.h"

#define KILN_POOL_TILE 64

typedef union kiln_f32_bits {
  uint32_t u;
  float f;
} kiln_f32_bits_t;

/* How many of the taps start + t * step, t in [0, taps), fall in [lo, hi). */
static ptrdiff_t count_inside(ptrdiff_t start, ptrdiff_t step, ptrdiff_t taps, ptrdiff_t lo,
                              ptrdiff_t hi) {
  ptrdiff_t n = 0;
  for (ptrdiff_t t = 0; t < taps; t++) {
    const ptrdiff_t pos = start + t * step;
    n += (pos >= lo && pos < hi) ? 1 : 0;
  }
  return n;
}

static void pool2d(const kiln_pool2d_f32_params_t *p, bool is_max, const float *KILN_RESTRICT x,
                   const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                   float *KILN_RESTRICT y) {
  const ptrdiff_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
  const ptrdiff_t kernel_h = p->kernel_h, kernel_w = p->kernel_w;
  const ptrdiff_t stride_h = p->stride_h, stride_w = p->stride_w;
  const ptrdiff_t dilation_h = p->dilation_h, dilation_w = p->dilation_w;
  const ptrdiff_t pad_top = p->pad_top, pad_left = p->pad_left;
  const ptrdiff_t in_plane = in_h * in_w, out_plane = out_h * out_w;
  const ptrdiff_t planes = (ptrdiff_t)p->batch * p->channels;
  /* Average pooling counts positions in [lo, hi) of each axis: the input, or input plus padding. */
  const bool include_pad = !is_max && p->count_include_pad;
  const ptrdiff_t lo_h = include_pad ? -pad_top : 0,
                  hi_h = include_pad ? in_h + p->pad_bottom : in_h;
  const ptrdiff_t lo_w = include_pad ? -pad_left : 0,
                  hi_w = include_pad ? in_w + p->pad_right : in_w;
  const kiln_f32_bits_t neg_inf = {0xFF800000u};
  for (ptrdiff_t pl = 0; pl < planes; pl++) {
    const float *xp = x + pl * in_plane;
    const float b = bias != NULL ? bias[pl % p->channels] : 0.0f;
    for (ptrdiff_t oh = 0; oh < out_h; oh++) {
      const ptrdiff_t h0 = oh * stride_h - pad_top;
      const ptrdiff_t rows = is_max ? 0 : count_inside(h0, dilation_h, kernel_h, lo_h, hi_h);
      for (ptrdiff_t ow0 = 0; ow0 < out_w; ow0 += KILN_POOL_TILE) {
        const ptrdiff_t ow1 = kiln_min_pd(out_w, ow0 + KILN_POOL_TILE);
        float acc[KILN_POOL_TILE];
        for (ptrdiff_t t = 0; t < ow1 - ow0; t++) {
          acc[t] = is_max ? neg_inf.f : 0.0f;
        }
        for (ptrdiff_t kh = 0; kh < kernel_h; kh++) {
          const ptrdiff_t ih = h0 + kh * dilation_h;
          if (ih < 0 || ih >= in_h) {
            continue;
          }
          for (ptrdiff_t kw = 0; kw < kernel_w; kw++) {
            const ptrdiff_t tap = kw * dilation_w - pad_left;
            ptrdiff_t lo, hi;
            kiln_valid_range(tap, stride_w, in_w, out_w, &lo, &hi);
            lo = kiln_max_pd(lo, ow0);
            hi = kiln_min_pd(hi, ow1);
            if (lo >= hi) {
              continue;
            }
            const float *xs = xp + ih * in_w + (lo * stride_w + tap);
            float *as = acc + (lo - ow0);
            const ptrdiff_t count = hi - lo;
            if (is_max) {
              for (ptrdiff_t t = 0; t < count; t++) {
                const float v = xs[t * stride_w];
                as[t] = (v != v || v > as[t]) ? v : as[t];
              }
            } else {
              for (ptrdiff_t t = 0; t < count; t++) {
                as[t] += xs[t * stride_w];
              }
            }
          }
        }
        if (!is_max) {
          for (ptrdiff_t ow = ow0; ow < ow1; ow++) {
            const ptrdiff_t cols =
                count_inside(ow * stride_w - pad_left, dilation_w, kernel_w, lo_w, hi_w);
            acc[ow - ow0] /= (float)(rows * cols);
          }
        }
        const ptrdiff_t row = pl * out_plane + oh * out_w + ow0;
        kiln_epilogue_row(&p->epilogue, acc, b, residual != NULL ? residual + row : NULL, y + row,
                          ow1 - ow0);
      }
    }
  }
}

void kiln_maxpool2d_f32(const kiln_pool2d_f32_params_t *p, const float *KILN_RESTRICT x,
                        const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                        float *KILN_RESTRICT y) {
  pool2d(p, true, x, bias, residual, y);
}

void kiln_avgpool2d_f32(const kiln_pool2d_f32_params_t *p, const float *KILN_RESTRICT x,
                        const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                        float *KILN_RESTRICT y) {
  pool2d(p, false, x, bias, residual, y);
}

/* Shared by the convolution kernels: one output plane of a direct convolution. */
#ifndef KILN_KERNELS_CONV_PLANE_H
#define KILN_KERNELS_CONV_PLANE_H

#include "epilogue.h"

/* Output columns accumulated at once; the accumulator row lives on the stack (256 bytes). */
#define KILN_CONV_TILE 64
/* Widest kernel whose tap ranges are computed once per plane. */
#define KILN_CONV_MAX_TAPS 32

typedef struct kiln_conv_geometry {
  ptrdiff_t in_h, in_w, out_h, out_w;
  ptrdiff_t kernel_h, kernel_w;
  ptrdiff_t stride_h, stride_w;
  ptrdiff_t pad_top, pad_left;
  ptrdiff_t dilation_h, dilation_w;
} kiln_conv_geometry_t;

/*
 * y[oh][ow] = epilogue(sum over c < channels, kh, kw of w[c][kh][kw] * x[c][ih][iw] + bias) for
 * one output plane, where x holds `channels` consecutive input planes and w their kernels.
 */
static inline void kiln_conv_plane(const kiln_conv_geometry_t *g, const kiln_epilogue_t *e,
                                   ptrdiff_t channels, const float *KILN_RESTRICT x,
                                   const float *KILN_RESTRICT w, float bias,
                                   const float *KILN_RESTRICT residual, float *KILN_RESTRICT y) {
  const ptrdiff_t in_plane = g->in_h * g->in_w;
  const ptrdiff_t k_plane = g->kernel_h * g->kernel_w;
  /* The output columns each kernel column reaches inside the input, computed once. */
  const int hoisted = g->kernel_w <= KILN_CONV_MAX_TAPS;
  ptrdiff_t tap_lo[KILN_CONV_MAX_TAPS], tap_hi[KILN_CONV_MAX_TAPS];
  for (ptrdiff_t kw = 0; hoisted && kw < g->kernel_w; kw++) {
    kiln_valid_range(kw * g->dilation_w - g->pad_left, g->stride_w, g->in_w, g->out_w,
                     &tap_lo[kw], &tap_hi[kw]);
  }
  for (ptrdiff_t oh = 0; oh < g->out_h; oh++) {
    for (ptrdiff_t ow0 = 0; ow0 < g->out_w; ow0 += KILN_CONV_TILE) {
      const ptrdiff_t ow1 = kiln_min_pd(g->out_w, ow0 + KILN_CONV_TILE);
      float acc[KILN_CONV_TILE];
      for (ptrdiff_t t = 0; t < ow1 - ow0; t++) {
        acc[t] = 0.0f;
      }
      for (ptrdiff_t kh = 0; kh < g->kernel_h; kh++) {
        const ptrdiff_t ih = oh * g->stride_h - g->pad_top + kh * g->dilation_h;
        if (ih < 0 || ih >= g->in_h) {
          continue;
        }
        for (ptrdiff_t kw = 0; kw < g->kernel_w; kw++) {
          const ptrdiff_t tap = kw * g->dilation_w - g->pad_left;
          ptrdiff_t lo, hi;
          if (hoisted) {
            lo = tap_lo[kw];
            hi = tap_hi[kw];
          } else {
            kiln_valid_range(tap, g->stride_w, g->in_w, g->out_w, &lo, &hi);
          }
          lo = kiln_max_pd(lo, ow0);
          hi = kiln_min_pd(hi, ow1);
          if (lo >= hi) {
            continue;
          }
          for (ptrdiff_t c = 0; c < channels; c++) {
            const float wv = w[c * k_plane + kh * g->kernel_w + kw];
            /* xs[t * stride_w] is input column (lo + t) * stride_w + tap, inside the row. */
            const float *xs = x + c * in_plane + ih * g->in_w + (lo * g->stride_w + tap);
            float *as = acc + (lo - ow0);
            const ptrdiff_t count = hi - lo;
            if (g->stride_w == 1) {
              for (ptrdiff_t t = 0; t < count; t++) {
                as[t] += wv * xs[t];
              }
            } else {
              for (ptrdiff_t t = 0; t < count; t++) {
                as[t] += wv * xs[t * g->stride_w];
              }
            }
          }
        }
      }
      const ptrdiff_t row = oh * g->out_w + ow0;
      kiln_epilogue_row(e, acc, bias, residual != NULL ? residual + row : NULL, y + row, ow1 - ow0);
    }
  }
}

#endif

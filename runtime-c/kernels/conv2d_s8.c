#include "kiln/accel.h"
#include "dsp.h"
#include "epilogue.h"

/* Output columns accumulated at once; the int32 accumulator row lives on the stack (256 bytes). */
#define KILN_CONV_S8_TILE 64

static void conv_s8_plane(const kiln_conv2d_s8_params_t *p, ptrdiff_t channels,
                          const int8_t *KILN_RESTRICT x, const int8_t *KILN_RESTRICT w,
                          int32_t bias, int32_t multiplier, int32_t shift,
                          int8_t *KILN_RESTRICT y) {
  const ptrdiff_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
  const ptrdiff_t kernel_h = p->kernel_h, kernel_w = p->kernel_w, stride_w = p->stride_w;
  const ptrdiff_t in_plane = in_h * in_w, k_plane = kernel_h * kernel_w;
  const int32_t zx = p->x_zero_point, zw = p->w_zero_point;
  for (ptrdiff_t oh = 0; oh < out_h; oh++) {
    for (ptrdiff_t ow0 = 0; ow0 < out_w; ow0 += KILN_CONV_S8_TILE) {
      const ptrdiff_t ow1 = kiln_min_pd(out_w, ow0 + KILN_CONV_S8_TILE);
      int32_t acc[KILN_CONV_S8_TILE];
      for (ptrdiff_t t = 0; t < ow1 - ow0; t++) {
        acc[t] = 0;
      }
      for (ptrdiff_t kh = 0; kh < kernel_h; kh++) {
        const ptrdiff_t ih = oh * p->stride_h - p->pad_top + kh * p->dilation_h;
        if (ih < 0 || ih >= in_h) {
          continue;
        }
        for (ptrdiff_t kw = 0; kw < kernel_w; kw++) {
          const ptrdiff_t tap = kw * p->dilation_w - p->pad_left;
          ptrdiff_t lo, hi;
          kiln_valid_range(tap, stride_w, in_w, out_w, &lo, &hi);
          lo = kiln_max_pd(lo, ow0);
          hi = kiln_min_pd(hi, ow1);
          if (lo >= hi) {
            continue;
          }
          int32_t *as = acc + (lo - ow0);
          const ptrdiff_t count = hi - lo;
          ptrdiff_t c = 0;
#if KILN_HAS_DSP
          for (; c + 1 < channels; c += 2) {
            const int8_t *w0 = w + c * k_plane + kh * kernel_w + kw;
            const int32_t wp = kiln_pack16x2((int32_t)w0[0] - zw, (int32_t)w0[k_plane] - zw);
            const int8_t *x0 = x + c * in_plane + ih * in_w + (lo * stride_w + tap);
            const int8_t *x1 = x0 + in_plane;
            for (ptrdiff_t t = 0; t < count; t++) {
              const ptrdiff_t at = t * stride_w;
              const int32_t xp = kiln_pack16x2((int32_t)x0[at] - zx, (int32_t)x1[at] - zx);
              as[t] = kiln_dot2(wp, xp, as[t]);
            }
          }
#endif
          for (; c < channels; c++) {
            const int32_t wv = (int32_t)w[c * k_plane + kh * kernel_w + kw] - zw;
            const int8_t *xs = x + c * in_plane + ih * in_w + (lo * stride_w + tap);
            for (ptrdiff_t t = 0; t < count; t++) {
              as[t] += wv * ((int32_t)xs[t * stride_w] - zx);
            }
          }
        }
      }
      int8_t *yr = y + oh * out_w + ow0;
      for (ptrdiff_t t = 0; t < ow1 - ow0; t++) {
        const int64_t sum = (int64_t)acc[t] + bias;
        const int32_t s =
            sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum);
        int64_t v = kiln_requantize(s, multiplier, shift) + p->y_zero_point;
        v = v < p->qmin ? p->qmin : (v > p->qmax ? p->qmax : v);
        yr[t] = (int8_t)v;
      }
    }
  }
}

void kiln_conv2d_s8(const kiln_conv2d_s8_params_t *p, const int8_t *KILN_RESTRICT x,
                    const int8_t *KILN_RESTRICT w, const int32_t *KILN_RESTRICT bias,
                    const int32_t *KILN_RESTRICT multipliers, const int32_t *KILN_RESTRICT shifts,
                    int8_t *KILN_RESTRICT y) {
  if (p->groups <= 0) {
    return;
  }
  const ptrdiff_t in_channels = p->in_channels, out_channels = p->out_channels;
  const ptrdiff_t group_in = in_channels / p->groups, group_out = out_channels / p->groups;
  const ptrdiff_t in_plane = (ptrdiff_t)p->in_h * p->in_w;
  const ptrdiff_t out_plane = (ptrdiff_t)p->out_h * p->out_w;
  const ptrdiff_t w_size = group_in * p->kernel_h * p->kernel_w;
  for (ptrdiff_t n = 0; n < p->batch; n++) {
    for (ptrdiff_t oc = 0; oc < out_channels; oc++) {
      const ptrdiff_t first_in = (oc / group_out) * group_in;
      conv_s8_plane(
          p, group_in, x + (n * in_channels + first_in) * in_plane, w + oc * w_size,
          bias != NULL ? bias[oc] : 0, multipliers != NULL ? multipliers[oc] : p->multiplier,
          shifts != NULL ? shifts[oc] : p->shift, y + (n * out_channels + oc) * out_plane);
    }
  }
}

int32_t kiln_accel_conv2d_s8(const kiln_conv2d_s8_params_t *p, const int8_t *KILN_RESTRICT x,
                             const int8_t *KILN_RESTRICT w, const int32_t *KILN_RESTRICT bias,
                             const int32_t *KILN_RESTRICT multipliers,
                             const int32_t *KILN_RESTRICT shifts, int8_t *KILN_RESTRICT y,
                             const kiln_exec_t *exec) {
  KILN_ACCEL_TRY(conv2d_s8, p, x, w, bias, multipliers, shifts, y);
  kiln_conv2d_s8(p, x, w, bias, multipliers, shifts, y);
  return KILN_OK;
}

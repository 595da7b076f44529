#include "conv_plane.h"

void kiln_depthwise_conv2d_f32(const kiln_depthwise_conv2d_f32_params_t *p,
                               const float *KILN_RESTRICT x, const float *KILN_RESTRICT w,
                               const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                               float *KILN_RESTRICT y) {
  const kiln_conv_geometry_t g = {p->in_h,     p->in_w,     p->out_h,      p->out_w,
                                  p->kernel_h, p->kernel_w, p->stride_h,   p->stride_w,
                                  p->pad_top,  p->pad_left, p->dilation_h, p->dilation_w};
  const ptrdiff_t channels = p->channels, multiplier = p->multiplier;
  const ptrdiff_t out_channels = channels * multiplier;
  const ptrdiff_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  const ptrdiff_t k_plane = g.kernel_h * g.kernel_w;
  for (ptrdiff_t n = 0; n < p->batch; n++) {
    for (ptrdiff_t c = 0; c < channels; c++) {
      const float *xc = x + (n * channels + c) * in_plane;
      for (ptrdiff_t j = 0; j < multiplier; j++) {
        const ptrdiff_t oc = c * multiplier + j;
        const ptrdiff_t out_off = (n * out_channels + oc) * out_plane;
        kiln_conv_plane(&g, &p->epilogue, 1, xc, w + oc * k_plane, bias != NULL ? bias[oc] : 0.0f,
                        residual != NULL ? residual + out_off : NULL, y + out_off);
      }
    }
  }
}

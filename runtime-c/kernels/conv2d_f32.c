#include "conv_plane.h"

void kiln_conv2d_f32(const kiln_conv2d_f32_params_t *p, const float *KILN_RESTRICT x,
                     const float *KILN_RESTRICT w, const float *KILN_RESTRICT bias,
                     const float *KILN_RESTRICT residual, float *KILN_RESTRICT y) {
  const kiln_conv_geometry_t g = {p->in_h,     p->in_w,     p->out_h,      p->out_w,
                                  p->kernel_h, p->kernel_w, p->stride_h,   p->stride_w,
                                  p->pad_top,  p->pad_left, p->dilation_h, p->dilation_w};
  const ptrdiff_t in_channels = p->in_channels, out_channels = p->out_channels;
  if (p->groups <= 0) {
    return;
  }
  const ptrdiff_t group_in = in_channels / p->groups, group_out = out_channels / p->groups;
  const ptrdiff_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  const ptrdiff_t w_size = group_in * g.kernel_h * g.kernel_w;
  for (ptrdiff_t n = 0; n < p->batch; n++) {
    for (ptrdiff_t oc = 0; oc < out_channels; oc++) {
      const ptrdiff_t first_in = (oc / group_out) * group_in;
      const ptrdiff_t out_off = (n * out_channels + oc) * out_plane;
      kiln_conv_plane(&g, &p->epilogue, group_in, x + (n * in_channels + first_in) * in_plane,
                      w + oc * w_size, bias != NULL ? bias[oc] : 0.0f,
                      residual != NULL ? residual + out_off : NULL, y + out_off);
    }
  }
}

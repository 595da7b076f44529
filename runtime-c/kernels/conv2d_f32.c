#include "sgemm.h"

static kiln_sgemm_t conv_problem(const kiln_conv2d_f32_params_t *p, const kiln_conv_geometry_t *g,
                                 const kiln_exec_t *exec) {
  const ptrdiff_t groups = p->groups > 0 ? p->groups : 1;
  kiln_sgemm_t s;
  s.m = p->out_channels / groups;
  s.n = (ptrdiff_t)p->out_h * p->out_w;
  s.k = (p->in_channels / groups) * (ptrdiff_t)p->kernel_h * p->kernel_w;
  kiln_sgemm_blocks(&s, p->mc, p->nc, p->kc);
  s.a.a = NULL;
  s.a.s_i = s.k;
  s.a.s_q = 1;
  s.a.prepacked = (p->packed & KILN_PACKED_A) != 0;
  s.b.b = NULL;
  s.b.s_q = s.n;
  s.b.s_j = 1;
  s.b.prepacked = 0;
  /* A 1x1 convolution without stride or padding reads the image as its B matrix. */
  const int pointwise = g->kernel_h == 1 && g->kernel_w == 1 && g->stride_h == 1 &&
                        g->stride_w == 1 && g->pad_top == 0 && g->pad_left == 0 &&
                        g->in_h == g->out_h && g->in_w == g->out_w;
  s.b.conv = pointwise ? NULL : g;
  s.c = NULL;
  s.ldc = s.n;
  s.fin.alpha = 1.0f;
  s.fin.beta = 1.0f;
  s.fin.bias = NULL;
  s.fin.bias_s_m = 1;
  s.fin.bias_s_n = 0;
  s.fin.residual = NULL;
  s.fin.ldr = s.n;
  s.fin.epilogue = &p->epilogue;
  s.exec = exec;
  return s;
}

static kiln_conv_geometry_t conv_geometry(const kiln_conv2d_f32_params_t *p) {
  const kiln_conv_geometry_t g = {p->in_h,     p->in_w,     p->out_h,      p->out_w,
                                  p->kernel_h, p->kernel_w, p->stride_h,   p->stride_w,
                                  p->pad_top,  p->pad_left, p->dilation_h, p->dilation_w};
  return g;
}

int64_t kiln_conv2d_f32_scratch_size(const kiln_conv2d_f32_params_t *p) {
  const kiln_conv_geometry_t g = conv_geometry(p);
  const kiln_sgemm_t s = conv_problem(p, &g, NULL);
  return (int64_t)kiln_sgemm_scratch(&s) * (int64_t)sizeof(float);
}

void kiln_conv2d_f32(const kiln_conv2d_f32_params_t *p, const float *KILN_RESTRICT x,
                     const float *KILN_RESTRICT w, const float *KILN_RESTRICT bias,
                     const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                     const kiln_exec_t *exec) {
  if (p->groups <= 0) {
    return;
  }
  const kiln_conv_geometry_t g = conv_geometry(p);
  kiln_sgemm_t s = conv_problem(p, &g, exec);
  if (s.m <= 0 || s.n <= 0) {
    return;
  }
  const ptrdiff_t groups = p->groups;
  const ptrdiff_t group_in = p->in_channels / groups;
  const ptrdiff_t in_plane = (ptrdiff_t)p->in_h * p->in_w, out_plane = s.n;
  const ptrdiff_t w_group = s.a.prepacked ? kiln_round_up(s.m, KILN_GEMM_MR) * s.k : s.m * s.k;
  for (ptrdiff_t n = 0; n < p->batch; n++) {
    for (ptrdiff_t gi = 0; gi < groups; gi++) {
      const ptrdiff_t out_off = (n * p->out_channels + gi * s.m) * out_plane;
      s.a.a = w + gi * w_group;
      s.b.b = x + (n * p->in_channels + gi * group_in) * in_plane;
      s.c = y + out_off;
      s.fin.bias = bias != NULL ? bias + gi * s.m : NULL;
      s.fin.residual = residual != NULL ? residual + out_off : NULL;
      kiln_sgemm_run(&s);
    }
  }
}

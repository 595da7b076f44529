#include "kiln/accel.h"
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

/*
 * The in-place ("linear") path: the image of one group is copied once, zero-padded and split by
 * stride phase, into xp so that every row of the im2col matrix is a shifted window of it. Phase
 * plane (c, ph, pw) holds xp[r][col] = x[c][r * s + ph - pad_top][col * s + pw - pad_left] (zero
 * outside) for r < hq, col < wq, where s is the stride and hq, wq cover the padded rows and
 * columns the windows reach. The GEMM's columns then run over the raster j = oh * wq + ow (ow <
 * wq; the columns ow >= out_w are computed and dropped) and B(q, j) = xp[off[q] + j] for the
 * reduction index q = (c, kh, kw), off[q] = plane(c, kh % s, kw % s) + (kh / s) * wq + kw / s: the
 * micro-kernel reads it in place, with no im2col packing.
 */
typedef struct conv_linear {
  ptrdiff_t s, nph, npw; /* stride; phases of rows and columns the kernel reaches */
  ptrdiff_t hq, wq;      /* rows and columns of a phase plane */
  ptrdiff_t image;       /* floats of xp, its tail included */
  ptrdiff_t scratch;     /* bytes: xp, then the k offsets (int32) */
} conv_linear_t;

/* At most this share (in quarters) of the raster's columns may be dropped. */
#define KILN_CONV_LINEAR_WASTE 1

/*
 * Whether p's convolution takes the linear path, and its layout: stride 1 or 2 in both axes, no
 * dilation, weights packed by the compiler, not a plain 1x1 (which reads the image as it is), and
 * at most a quarter of the raster's columns dropped.
 */
static int conv_linear_layout(const kiln_conv2d_f32_params_t *p, conv_linear_t *l) {
  const ptrdiff_t s = p->stride_h;
  if (p->stride_w != s || (s != 1 && s != 2) || p->dilation_h != 1 || p->dilation_w != 1 ||
      (p->packed & KILN_PACKED_A) == 0 || p->groups <= 0 || KILN_GEMM_VLEN == 1) {
    return 0;
  }
  if (p->kernel_h == 1 && p->kernel_w == 1 && s == 1 && p->pad_top == 0 && p->pad_left == 0 &&
      p->in_h == p->out_h && p->in_w == p->out_w) {
    return 0;
  }
  const ptrdiff_t hp = (ptrdiff_t)(p->out_h - 1) * s + p->kernel_h;
  const ptrdiff_t wp = (ptrdiff_t)(p->out_w - 1) * s + p->kernel_w;
  l->s = s;
  l->nph = kiln_min_pd(s, p->kernel_h);
  l->npw = kiln_min_pd(s, p->kernel_w);
  l->hq = (hp + s - 1) / s;
  l->wq = (wp + s - 1) / s;
  if ((l->wq - p->out_w) * 4 > KILN_CONV_LINEAR_WASTE * l->wq || p->out_h <= 0 || p->out_w <= 0) {
    return 0;
  }
  const ptrdiff_t planes = (ptrdiff_t)(p->in_channels / p->groups) * l->nph * l->npw;
  const ptrdiff_t k = (ptrdiff_t)(p->in_channels / p->groups) * p->kernel_h * p->kernel_w;
  l->image = planes * l->hq * l->wq + KILN_GEMM_NR + p->kernel_w;
  if ((uint64_t)l->image > (uint64_t)INT32_MAX) {
    return 0;
  }
  l->scratch = kiln_round_up(l->image * (ptrdiff_t)sizeof(float), 64) + k * (ptrdiff_t)sizeof(int32_t);
  return 1;
}

/* Fills xp (see conv_linear_t) from the channels of x and the offsets off[q] of every q. */
static void conv_linear_image(const kiln_conv2d_f32_params_t *p, const conv_linear_t *l,
                              ptrdiff_t channels, const float *KILN_RESTRICT x,
                              float *KILN_RESTRICT xp, int32_t *KILN_RESTRICT off) {
  const ptrdiff_t s = l->s, hq = l->hq, wq = l->wq, plane = hq * wq;
  const ptrdiff_t in_h = p->in_h, in_w = p->in_w;
  float *dst = xp;
  for (ptrdiff_t c = 0; c < channels; c++) {
    for (ptrdiff_t ph = 0; ph < l->nph; ph++) {
      for (ptrdiff_t pw = 0; pw < l->npw; pw++) {
        ptrdiff_t lo, hi;
        kiln_valid_range(pw - p->pad_left, s, in_w, wq, &lo, &hi);
        for (ptrdiff_t r = 0; r < hq; r++, dst += wq) {
          const ptrdiff_t ih = r * s + ph - p->pad_top;
          if (ih < 0 || ih >= in_h) {
            for (ptrdiff_t t = 0; t < wq; t++) {
              dst[t] = 0.0f;
            }
            continue;
          }
          for (ptrdiff_t t = 0; t < lo; t++) {
            dst[t] = 0.0f;
          }
          kiln_copy_strided(dst + lo, x + (c * in_h + ih) * in_w + lo * s + pw - p->pad_left,
                            hi - lo, s);
          for (ptrdiff_t t = hi; t < wq; t++) {
            dst[t] = 0.0f;
          }
        }
      }
    }
  }
  for (float *end = xp + l->image; dst < end; dst++) {
    *dst = 0.0f;
  }
  ptrdiff_t q = 0;
  for (ptrdiff_t c = 0; c < channels; c++) {
    for (ptrdiff_t kh = 0; kh < p->kernel_h; kh++) {
      for (ptrdiff_t kw = 0; kw < p->kernel_w; kw++, q++) {
        off[q] = (int32_t)(((c * l->nph + kh % s) * l->npw + kw % s) * plane + (kh / s) * wq + kw / s);
      }
    }
  }
}

/* One call's operands on the linear path and the panels a chunk of it computes. */
typedef struct conv_linear_task {
  const kiln_conv2d_f32_params_t *p;
  const conv_linear_t *l;
  const float *xp;
  const int32_t *off;
  const float *w, *bias, *residual;
  float *y;
  ptrdiff_t m, k, panels, chunks;
} conv_linear_task_t;

/*
 * The micro-kernel reading B through the offsets, kept out of line so that its accumulators are
 * allocated on their own (inlined into the panel loop, LLVM spilled them).
 */
static __attribute__((noinline)) void conv_linear_micro(ptrdiff_t k, const float *KILN_RESTRICT a,
                                                        const float *KILN_RESTRICT b,
                                                        const int32_t *KILN_RESTRICT off,
                                                        float *KILN_RESTRICT c, ptrdiff_t ldc,
                                                        ptrdiff_t rows, ptrdiff_t cols,
                                                        const kiln_tile_finish_t *fin) {
  kiln_sgemm_micro_offs(1, k, a, b, 0, off, c, ldc, 1, rows, cols, fin);
}

/*
 * Raster panels [j0, j0 + NR) for [pn0, pn1) times every block of MR output channels, the whole
 * reduction at once. A tile inside one output row is stored and finished in place; the others
 * go through a tile on the stack whose kept columns are finished run by run.
 */
static void conv_linear_panels(const conv_linear_task_t *t, ptrdiff_t pn0, ptrdiff_t pn1) {
  const kiln_conv2d_f32_params_t *p = t->p;
  const ptrdiff_t wq = t->l->wq, out_w = p->out_w, out_plane = (ptrdiff_t)p->out_h * out_w;
  const ptrdiff_t raster = (ptrdiff_t)p->out_h * wq;
  for (ptrdiff_t ir = 0; ir < t->m; ir += KILN_GEMM_MR) {
    const ptrdiff_t rows = kiln_min_pd(KILN_GEMM_MR, t->m - ir);
    const float *ap = t->w + (ir / KILN_GEMM_MR) * t->k * KILN_GEMM_MR;
    for (ptrdiff_t pn = pn0; pn < pn1; pn++) {
      const ptrdiff_t j0 = pn * KILN_GEMM_NR;
      const ptrdiff_t cols = kiln_min_pd(KILN_GEMM_NR, raster - j0);
      const ptrdiff_t oh = j0 / wq, ow = j0 % wq;
      if (ow + KILN_GEMM_NR <= out_w) {
        const ptrdiff_t at = ir * out_plane + oh * out_w + ow;
        kiln_tile_finish_t fin = {t->bias != NULL ? t->bias + ir : NULL, 1, NULL, 1.0f,
                                  t->residual != NULL ? t->residual + at : NULL, out_plane,
                                  &p->epilogue};
        conv_linear_micro(t->k, ap, t->xp + j0, t->off, t->y + at, out_plane, rows, KILN_GEMM_NR,
                          &fin);
        continue;
      }
      float tile[KILN_GEMM_MR * KILN_GEMM_NR];
      conv_linear_micro(t->k, ap, t->xp + j0, t->off, tile, KILN_GEMM_NR, rows, cols, NULL);
      for (ptrdiff_t j = j0; j < j0 + cols;) {
        const ptrdiff_t jh = j / wq, jw = j % wq;
        const ptrdiff_t run = kiln_min_pd(wq - jw, j0 + cols - j);
        const ptrdiff_t keep = kiln_min_pd(run, out_w - jw);
        for (ptrdiff_t r = 0; keep > 0 && r < rows; r++) {
          const ptrdiff_t at = (ir + r) * out_plane + jh * out_w + jw;
          kiln_epilogue_row(&p->epilogue, tile + r * KILN_GEMM_NR + (j - j0),
                            t->bias != NULL ? t->bias[ir + r] : 0.0f,
                            t->residual != NULL ? t->residual + at : NULL, t->y + at, keep);
        }
        j += run;
      }
    }
  }
}

static void conv_linear_chunk(void *arg, int64_t index) {
  const conv_linear_task_t *t = (const conv_linear_task_t *)arg;
  conv_linear_panels(t, t->panels * (ptrdiff_t)index / t->chunks,
                     t->panels * ((ptrdiff_t)index + 1) / t->chunks);
}

/* One image and group of a convolution on the linear path (see conv_linear_t). */
static void conv_linear_run(const kiln_conv2d_f32_params_t *p, const conv_linear_t *l,
                            ptrdiff_t channels, ptrdiff_t m, const float *KILN_RESTRICT x,
                            const float *KILN_RESTRICT w, const float *KILN_RESTRICT bias,
                            const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                            const kiln_exec_t *exec) {
  float *xp = (float *)exec->scratch;
  int32_t *off =
      (int32_t *)((char *)exec->scratch + kiln_round_up(l->image * (ptrdiff_t)sizeof(float), 64));
  conv_linear_image(p, l, channels, x, xp, off);
  const ptrdiff_t raster = (ptrdiff_t)p->out_h * l->wq;
  conv_linear_task_t task = {p, l, xp, off, w, bias, residual, y, m,
                             channels * p->kernel_h * p->kernel_w,
                             (raster + KILN_GEMM_NR - 1) / KILN_GEMM_NR, 1};
  const kiln_thread_pool_t *pool = exec->pool;
  if (pool != NULL && pool->parallel_for != NULL && m * raster * task.k >= ((ptrdiff_t)1 << 20)) {
    task.chunks = kiln_max_pd(1, kiln_min_pd(pool->num_threads, task.panels));
  }
  if (task.chunks == 1) {
    conv_linear_chunk(&task, 0);
    return;
  }
  pool->parallel_for(pool->ctx, task.chunks, conv_linear_chunk, &task);
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
  const int64_t gemm = (int64_t)kiln_sgemm_scratch(&s) * (int64_t)sizeof(float);
  conv_linear_t l;
  return conv_linear_layout(p, &l) && l.scratch > gemm ? (int64_t)l.scratch : gemm;
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
  /* The linear path needs its image and offsets in this thread's scratch slot. */
  conv_linear_t l;
  const int linear = conv_linear_layout(p, &l) && exec != NULL && exec->scratch != NULL &&
                     exec->scratch_stride >= l.scratch;
  for (ptrdiff_t n = 0; n < p->batch; n++) {
    for (ptrdiff_t gi = 0; gi < groups; gi++) {
      const ptrdiff_t out_off = (n * p->out_channels + gi * s.m) * out_plane;
      if (linear) {
        conv_linear_run(p, &l, group_in, s.m, x + (n * p->in_channels + gi * group_in) * in_plane,
                        w + gi * w_group, bias != NULL ? bias + gi * s.m : NULL,
                        residual != NULL ? residual + out_off : NULL, y + out_off, exec);
        continue;
      }
      s.a.a = w + gi * w_group;
      s.b.b = x + (n * p->in_channels + gi * group_in) * in_plane;
      s.c = y + out_off;
      s.fin.bias = bias != NULL ? bias + gi * s.m : NULL;
      s.fin.residual = residual != NULL ? residual + out_off : NULL;
      kiln_sgemm_run(&s);
    }
  }
}

int32_t kiln_accel_conv2d_f32(const kiln_conv2d_f32_params_t *p, const float *KILN_RESTRICT x,
                              const float *KILN_RESTRICT w, const float *KILN_RESTRICT bias,
                              const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                              const kiln_exec_t *exec) {
  KILN_ACCEL_TRY(conv2d_f32, p, x, w, bias, residual, y);
  kiln_conv2d_f32(p, x, w, bias, residual, y, exec);
  return KILN_OK;
}

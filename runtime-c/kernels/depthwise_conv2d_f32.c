/*
 * Depthwise convolution, one output row at a time. Rows whose window lies inside the input
 * vertically, for a square 3x3 or 5x5 kernel with stride_w 1 or 2 and no dilation (MobileNet's
 * shapes), take the vector path: the kernel's weights splatted into registers, the interior
 * columns (no padding) computed kiln_vf at a time with loads along the width (stride 2
 * deinterleaves two vectors into the even and odd columns), the border columns one at a time, and
 * the epilogue applied at the store. Every other row goes through kiln_conv_plane. Which path a row
 * takes depends only on the params, so cutting the rows into chunks changes no bits.
 */
#include "kiln/accel.h"
#include "conv_plane.h"

#include "vec.h"

/* Below this many multiply-adds a second thread costs more than it saves. */
#define KILN_DW_MIN_PARALLEL_MACS ((ptrdiff_t)1 << 16)

/* Forces inlining, so the kernel size and stride are constants and the tap loops unroll. */
#define KILN_DW_INLINE static inline __attribute__((always_inline))
#define KILN_DW_UNROLL _Pragma("GCC unroll 25")

/* One output plane and where it reads from. */
typedef struct kiln_dw_plane {
  const kiln_conv_geometry_t *g;
  const kiln_epilogue_t *e;
  const float *KILN_RESTRICT x;
  const float *KILN_RESTRICT w;
  float bias;
  const float *KILN_RESTRICT residual;
  float *KILN_RESTRICT y;
} kiln_dw_plane_t;

#if KILN_VLEN > 1

/*
 * Defines NAME(rows, wv, c, kh0, kh1, K, S): the sums of the VL output columns whose window starts
 * at input column c, over window rows [kh0, kh1), with wv the splatted weights. Stride 2 loads the
 * 2 * VL floats from each tap pair's first column and takes their even and odd lanes, so it reads
 * one column past the window of the last output column.
 */
#define KILN_DW_DEFINE_TAPS(NAME, VT, VTU, VL, LANES)                                             \
  KILN_DW_INLINE VT NAME(const float *const *rows, const VT *wv, ptrdiff_t c, ptrdiff_t kh0,      \
                         ptrdiff_t kh1, const int K, const int S) {                               \
    VT acc = {0.0f};                                                                              \
    KILN_DW_UNROLL                                                                                \
    for (int kh = 0; kh < K; kh++) {                                                              \
      if (kh < kh0 || kh >= kh1) {                                                                \
        continue;                                                                                 \
      }                                                                                           \
      KILN_DW_UNROLL                                                                              \
      for (int kw = 0; kw < K; kw += S) {                                                         \
        const VT a = *(const VTU *)(rows[kh] + c + kw);                                           \
        if (S == 1) {                                                                             \
          acc += wv[kh * K + kw] * a;                                                             \
          continue;                                                                               \
        }                                                                                         \
        const VT b = *(const VTU *)(rows[kh] + c + kw + VL);                                      \
        acc += wv[kh * K + kw] * __builtin_shufflevector(a, b, LANES(0));                         \
        if (kw + 1 < K) {                                                                         \
          acc += wv[kh * K + kw + 1] * __builtin_shufflevector(a, b, LANES(1));                   \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
    return acc;                                                                                   \
  }

KILN_DW_DEFINE_TAPS(kiln_dw_taps, kiln_vf, kiln_vf_u, KILN_VLEN, KILN_LANES_BY2)

/* y[0 .. KILN_VLEN) = epilogue(acc + bias) with the residual at residual (NULL: none). */
KILN_DW_INLINE void kiln_dw_store(const kiln_epilogue_t *e, kiln_vf acc, kiln_vf bias,
                                  const float *KILN_RESTRICT residual, float *KILN_RESTRICT y) {
  kiln_vf v = acc + bias;
  if (residual != NULL && !e->residual_after_activation) {
    v += *(const kiln_vf_u *)residual;
  }
  v = kiln_vactivate(e, v);
  if (residual != NULL && e->residual_after_activation) {
    v += *(const kiln_vf_u *)residual;
  }
  *(kiln_vf_u *)y = v;
}
#endif

#if KILN_VLEN > 4
/* Four lanes, for the interior columns of rows narrower than kiln_vf. */
typedef float kiln_dw_v4 __attribute__((vector_size(16)));
typedef float kiln_dw_v4_u __attribute__((vector_size(16), aligned(4)));

KILN_DW_DEFINE_TAPS(kiln_dw_taps4, kiln_dw_v4, kiln_dw_v4_u, 4, KILN_LANES4_BY2)
#endif

/*
 * Output columns [ow0, ow1) of row oh from its input rows rows[kh], kh in [kh0, kh1), one column
 * at a time with the taps outside the row skipped.
 */
KILN_DW_INLINE void kiln_dw_columns(const kiln_dw_plane_t *pp, const float *const *rows,
                                    ptrdiff_t oh, ptrdiff_t ow0, ptrdiff_t ow1, ptrdiff_t kh0,
                                    ptrdiff_t kh1, const int K, const int S) {
  const kiln_conv_geometry_t *g = pp->g;
  for (ptrdiff_t ow = ow0; ow < ow1; ow++) {
    const ptrdiff_t c = ow * S - g->pad_left;
    float acc = 0.0f;
    for (ptrdiff_t kh = kh0; kh < kh1; kh++) {
      for (int kw = 0; kw < K; kw++) {
        if (c + kw >= 0 && c + kw < g->in_w) {
          acc += pp->w[kh * K + kw] * rows[kh][c + kw];
        }
      }
    }
    const ptrdiff_t o = oh * g->out_w + ow;
    kiln_epilogue_row(pp->e, &acc, pp->bias, pp->residual != NULL ? pp->residual + o : NULL,
                      pp->y + o, 1);
  }
}

/*
 * Rows [oh0, oh1) of a K x K plane with column stride S. A row reads input rows kh in [kh0, kh1)
 * of its window: all K when `inside` (a constant where inlined, so the checks fold away), else
 * those inside the input.
 */
KILN_DW_INLINE void kiln_dw_rows(const kiln_dw_plane_t *pp, ptrdiff_t oh0, ptrdiff_t oh1,
                                 const bool inside, const int K, const int S) {
  const kiln_conv_geometry_t *g = pp->g;
  /* Interior columns [lo, hi): every tap inside the row. The vector loads of stride 2 read one
   * column past the last tap, so its vector columns end at vhi. */
  ptrdiff_t lo, unused, hi, vhi;
  kiln_valid_range(-g->pad_left, S, g->in_w, g->out_w, &lo, &unused);
  kiln_valid_range(K - 1 - g->pad_left, S, g->in_w, g->out_w, &unused, &hi);
  kiln_valid_range(K - 1 + (S - 1) - g->pad_left, S, g->in_w, g->out_w, &unused, &vhi);
  lo = kiln_min_pd(lo, g->out_w);
  hi = kiln_max_pd(lo, hi);
  vhi = kiln_max_pd(lo, vhi);
#if KILN_VLEN > 1
  kiln_vf wv[25];
  KILN_DW_UNROLL
  for (int t = 0; t < K * K; t++) {
    wv[t] = KILN_SPLAT(pp->w[t]);
  }
  const kiln_vf bias = KILN_SPLAT(pp->bias);
#endif
#if KILN_VLEN > 4
  kiln_dw_v4 wv4[25];
  KILN_DW_UNROLL
  for (int t = 0; t < K * K; t++) {
    wv4[t] = (kiln_dw_v4){pp->w[t], pp->w[t], pp->w[t], pp->w[t]};
  }
#endif
  for (ptrdiff_t oh = oh0; oh < oh1; oh++) {
    const ptrdiff_t ih = oh * g->stride_h - g->pad_top;
    const ptrdiff_t kh0 = inside ? 0 : kiln_max_pd(0, -ih);
    const ptrdiff_t kh1 = inside ? K : kiln_min_pd(K, g->in_h - ih);
    const float *rows[5];
    for (int kh = 0; kh < K; kh++) {
      rows[kh] = kh >= kh0 && kh < kh1 ? pp->x + (ih + kh) * g->in_w : pp->x;
    }
    kiln_dw_columns(pp, rows, oh, 0, lo, kh0, kh1, K, S);
    ptrdiff_t done = lo;
    const ptrdiff_t o = oh * g->out_w;
#if KILN_VLEN > 1
    /* The last vector overlaps the one before when the count is not a multiple of the width:
     * both compute the same values for the shared columns. */
    for (ptrdiff_t ow = lo; vhi - lo >= KILN_VLEN && ow < vhi; ow += KILN_VLEN) {
      const ptrdiff_t at = kiln_min_pd(ow, vhi - KILN_VLEN);
      const ptrdiff_t c = at * S - g->pad_left;
      const kiln_vf acc = kiln_dw_taps(rows, wv, c, kh0, kh1, K, S);
      kiln_dw_store(pp->e, acc, bias, pp->residual != NULL ? pp->residual + o + at : NULL,
                    pp->y + o + at);
      done = vhi;
    }
#endif
#if KILN_VLEN > 4
    /* Rows narrower than kiln_vf: four columns at a time, the epilogue on the four sums. */
    for (ptrdiff_t ow = lo; done == lo && vhi - lo >= 4 && ow < vhi; ow += 4) {
      const ptrdiff_t at = kiln_min_pd(ow, vhi - 4);
      const ptrdiff_t c = at * S - g->pad_left;
      const kiln_dw_v4 acc = kiln_dw_taps4(rows, wv4, c, kh0, kh1, K, S);
      float sums[4];
      *(kiln_dw_v4_u *)sums = acc;
      kiln_epilogue_row(pp->e, sums, pp->bias,
                        pp->residual != NULL ? pp->residual + o + at : NULL, pp->y + o + at, 4);
    }
    done = vhi - lo >= 4 ? vhi : done;
#endif
    (void)o;
    kiln_dw_columns(pp, rows, oh, done, hi, kh0, kh1, K, S);
    kiln_dw_columns(pp, rows, oh, hi, g->out_w, kh0, kh1, K, S);
  }
}

/* Rows [oh0, oh1) of a plane with a K x K kernel and column stride S. */
KILN_DW_INLINE void kiln_dw_fast(const kiln_dw_plane_t *pp, ptrdiff_t oh0, ptrdiff_t oh1,
                                 const int K, const int S) {
  const kiln_conv_geometry_t *g = pp->g;
  /* Rows whose K input rows are all inside: oh * stride_h - pad_top in [0, in_h - K]. */
  ptrdiff_t in_lo, in_hi;
  kiln_valid_range(-g->pad_top, g->stride_h, g->in_h - K + 1, g->out_h, &in_lo, &in_hi);
  const ptrdiff_t lo = kiln_min_pd(kiln_max_pd(oh0, in_lo), oh1);
  const ptrdiff_t hi = kiln_max_pd(lo, kiln_min_pd(oh1, in_hi));
  kiln_dw_rows(pp, oh0, lo, false, K, S);
  kiln_dw_rows(pp, lo, hi, true, K, S);
  kiln_dw_rows(pp, hi, oh1, false, K, S);
}

/* Rows [oh0, oh1) of one plane through the direct convolution of conv_plane.h. */
static void kiln_dw_general(const kiln_dw_plane_t *pp, ptrdiff_t oh0, ptrdiff_t oh1) {
  if (oh0 >= oh1) {
    return;
  }
  kiln_conv_geometry_t g = *pp->g;
  g.pad_top -= oh0 * g.stride_h;
  g.out_h = oh1 - oh0;
  const ptrdiff_t o = oh0 * g.out_w;
  kiln_conv_plane(&g, pp->e, 1, pp->x, pp->w, pp->bias,
                  pp->residual != NULL ? pp->residual + o : NULL, pp->y + o);
}

/* Rows [oh0, oh1) of one plane: the rows inside the input vertically on the fast path if any. */
static void kiln_dw_plane_rows(const kiln_dw_plane_t *pp, ptrdiff_t oh0, ptrdiff_t oh1) {
  const kiln_conv_geometry_t *g = pp->g;
  const ptrdiff_t k = g->kernel_h;
  const bool fast = (k == 3 || k == 5) && g->kernel_w == k && g->dilation_h == 1 &&
                    g->dilation_w == 1 && (g->stride_w == 1 || g->stride_w == 2);
  if (!fast) {
    kiln_dw_general(pp, oh0, oh1);
    return;
  }
  if (k == 3) {
    if (g->stride_w == 1) {
      kiln_dw_fast(pp, oh0, oh1, 3, 1);
    } else {
      kiln_dw_fast(pp, oh0, oh1, 3, 2);
    }
  } else {
    if (g->stride_w == 1) {
      kiln_dw_fast(pp, oh0, oh1, 5, 1);
    } else {
      kiln_dw_fast(pp, oh0, oh1, 5, 2);
    }
  }
}

typedef struct kiln_dw_task {
  const kiln_depthwise_conv2d_f32_params_t *p;
  const kiln_conv_geometry_t *g;
  const float *KILN_RESTRICT x;
  const float *KILN_RESTRICT w;
  const float *KILN_RESTRICT bias;
  const float *KILN_RESTRICT residual;
  float *KILN_RESTRICT y;
  ptrdiff_t rows; /* batch * channels * multiplier * out_h */
  ptrdiff_t chunks;
} kiln_dw_task_t;

/* Chunk `index` of the task: its share of the output rows of all planes, in order. */
static void kiln_dw_chunk(void *arg, int64_t index) {
  const kiln_dw_task_t *t = (const kiln_dw_task_t *)arg;
  const kiln_depthwise_conv2d_f32_params_t *p = t->p;
  const ptrdiff_t r0 = t->rows * (ptrdiff_t)index / t->chunks;
  const ptrdiff_t r1 = t->rows * ((ptrdiff_t)index + 1) / t->chunks;
  const ptrdiff_t out_h = t->g->out_h;
  const ptrdiff_t out_channels = (ptrdiff_t)p->channels * p->multiplier;
  const ptrdiff_t in_plane = t->g->in_h * t->g->in_w, out_plane = out_h * t->g->out_w;
  const ptrdiff_t k_plane = t->g->kernel_h * t->g->kernel_w;
  for (ptrdiff_t pl = r0 / out_h; pl * out_h < r1; pl++) {
    const ptrdiff_t n = pl / out_channels, oc = pl % out_channels;
    const ptrdiff_t c = oc / p->multiplier;
    const kiln_dw_plane_t pp = {t->g,
                                &p->epilogue,
                                t->x + (n * p->channels + c) * in_plane,
                                t->w + oc * k_plane,
                                t->bias != NULL ? t->bias[oc] : 0.0f,
                                t->residual != NULL ? t->residual + pl * out_plane : NULL,
                                t->y + pl * out_plane};
    kiln_dw_plane_rows(&pp, kiln_max_pd(0, r0 - pl * out_h), kiln_min_pd(out_h, r1 - pl * out_h));
  }
}

void kiln_depthwise_conv2d_f32(const kiln_depthwise_conv2d_f32_params_t *p,
                               const float *KILN_RESTRICT x, const float *KILN_RESTRICT w,
                               const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                               float *KILN_RESTRICT y, const kiln_exec_t *exec) {
  const kiln_conv_geometry_t g = {p->in_h,     p->in_w,     p->out_h,      p->out_w,
                                  p->kernel_h, p->kernel_w, p->stride_h,   p->stride_w,
                                  p->pad_top,  p->pad_left, p->dilation_h, p->dilation_w};
  const ptrdiff_t rows = (ptrdiff_t)p->batch * p->channels * p->multiplier * p->out_h;
  if (rows == 0 || p->out_w == 0) {
    return;
  }
  const kiln_thread_pool_t *pool = exec != NULL ? exec->pool : NULL;
  ptrdiff_t chunks = pool != NULL && pool->parallel_for != NULL ? pool->num_threads : 1;
  if (rows * g.out_w * g.kernel_h * g.kernel_w < KILN_DW_MIN_PARALLEL_MACS) {
    chunks = 1;
  }
  kiln_dw_task_t task = {p, &g, x, w, bias, residual, y, rows, kiln_max_pd(1, kiln_min_pd(chunks, rows))};
  if (task.chunks == 1) {
    kiln_dw_chunk(&task, 0);
    return;
  }
  pool->parallel_for(pool->ctx, task.chunks, kiln_dw_chunk, &task);
}

int32_t kiln_accel_depthwise_conv2d_f32(const kiln_depthwise_conv2d_f32_params_t *p,
                                        const float *KILN_RESTRICT x, const float *KILN_RESTRICT w,
                                        const float *KILN_RESTRICT bias,
                                        const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                                        const kiln_exec_t *exec) {
  KILN_ACCEL_TRY(depthwise_conv2d_f32, p, x, w, bias, residual, y);
  kiln_depthwise_conv2d_f32(p, x, w, bias, residual, y, exec);
  return KILN_OK;
}

#include "kiln/accel.h"
#include "vec.h"

#define KILN_POOL_TILE 64
/* Widest kernel whose tap ranges are computed once per call; wider ones compute them per row. */
#define KILN_POOL_MAX_TAPS 64
/* Input columns of one output tile the row-max path holds on the stack. */
#define KILN_POOL_SPAN 512
/* Below this many input reads a second thread costs more than it saves. */
#define KILN_POOL_MIN_PARALLEL_READS ((ptrdiff_t)1 << 16)

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

static float max_nan(float m, float v) {
  return (v != v || v > m) ? v : m;
}

/* The maximum (a NaN wins) or the sum of the n floats at x. */
static float reduce_plane(const float *KILN_RESTRICT x, ptrdiff_t n, bool is_max, float init) {
  kiln_vf acc[4];
  for (int i = 0; i < 4; i++) {
    acc[i] = KILN_SPLAT(init);
  }
  ptrdiff_t i = 0;
  for (; i + 4 * KILN_VLEN <= n; i += 4 * KILN_VLEN) {
    for (int u = 0; u < 4; u++) {
      const kiln_vf v = *(const kiln_vf_u *)(x + i + u * KILN_VLEN);
      acc[u] = is_max ? kiln_vmax_nan(acc[u], v) : acc[u] + v;
    }
  }
  float lanes[4 * KILN_VLEN];
  for (int u = 0; u < 4; u++) {
    *(kiln_vf_u *)(lanes + u * KILN_VLEN) = acc[u];
  }
  float r = init;
  for (int l = 0; l < 4 * KILN_VLEN; l++) {
    r = is_max ? max_nan(r, lanes[l]) : r + lanes[l];
  }
  for (; i < n; i++) {
    r = is_max ? max_nan(r, x[i]) : r + x[i];
  }
  return r;
}

/* One call's operands and the planes or output rows a chunk of it pools. */
typedef struct pool_task {
  const kiln_pool2d_f32_params_t *p;
  bool is_max, global;
  const float *KILN_RESTRICT x;
  const float *KILN_RESTRICT bias;
  const float *KILN_RESTRICT residual;
  float *KILN_RESTRICT y;
  ptrdiff_t units, chunks; /* planes (global pooling) or output rows, and their chunks */
} pool_task_t;

/* Pooling over whole planes (global pooling): one reduction per plane of [pl0, pl1). */
static void pool_global(const pool_task_t *t, ptrdiff_t pl0, ptrdiff_t pl1) {
  const kiln_pool2d_f32_params_t *p = t->p;
  const bool is_max = t->is_max;
  const float *KILN_RESTRICT bias = t->bias;
  const float *KILN_RESTRICT residual = t->residual;
  const kiln_f32_bits_t neg_inf = {0xFF800000u};
  const ptrdiff_t in_plane = (ptrdiff_t)p->in_h * p->in_w;
  for (ptrdiff_t pl = pl0; pl < pl1; pl++) {
    float v = reduce_plane(t->x + pl * in_plane, in_plane, is_max, is_max ? neg_inf.f : 0.0f);
    if (!is_max) {
      v /= (float)in_plane;
    }
    kiln_epilogue_row(&p->epilogue, &v, bias != NULL ? bias[pl % p->channels] : 0.0f,
                      residual != NULL ? residual + pl : NULL, t->y + pl, 1);
  }
}

/*
 * acc[t - ow0] = max(acc[t - ow0], the window's columns of rowmax) for the output columns t in
 * [ow0, ow1), where rowmax[c - c0] is input column c's maximum over the window's rows. The columns
 * whose every tap is inside the input first take the maximum over the kernel's columns at every
 * input column (contiguous, so it vectorizes) and then pick one value each; the others take their
 * taps one by one.
 */
static void max_across_columns(const float *KILN_RESTRICT rowmax, ptrdiff_t c0, ptrdiff_t ow0,
                               ptrdiff_t ow1, ptrdiff_t kernel_w, ptrdiff_t stride_w,
                               ptrdiff_t dilation_w, ptrdiff_t pad_left, const ptrdiff_t *tap_lo,
                               const ptrdiff_t *tap_hi, float *KILN_RESTRICT acc) {
  ptrdiff_t ilo = ow0, ihi = ow1;
  for (ptrdiff_t kw = 0; kw < kernel_w; kw++) {
    ilo = kiln_max_pd(ilo, tap_lo[kw]);
    ihi = kiln_min_pd(ihi, tap_hi[kw]);
  }
  if (ilo < ihi) {
    float hmax[KILN_POOL_SPAN];
    const ptrdiff_t j0 = ilo * stride_w - pad_left - c0;
    const ptrdiff_t j1 = (ihi - 1) * stride_w - pad_left - c0 + 1;
    for (ptrdiff_t j = j0; j < j1; j++) {
      hmax[j] = rowmax[j];
    }
    for (ptrdiff_t kw = 1; kw < kernel_w; kw++) {
      const float *shifted = rowmax + kw * dilation_w;
      for (ptrdiff_t j = j0; j < j1; j++) {
        hmax[j] = max_nan(hmax[j], shifted[j]);
      }
    }
    for (ptrdiff_t t = ilo; t < ihi; t++) {
      acc[t - ow0] = max_nan(acc[t - ow0], hmax[j0 + (t - ilo) * stride_w]);
    }
  } else {
    ilo = ihi = ow0;
  }
  for (ptrdiff_t kw = 0; kw < kernel_w; kw++) {
    const ptrdiff_t tap = kw * dilation_w - pad_left;
    const ptrdiff_t lo = kiln_max_pd(tap_lo[kw], ow0), hi = kiln_min_pd(tap_hi[kw], ow1);
    for (ptrdiff_t t = lo; t < kiln_min_pd(hi, ilo); t++) {
      acc[t - ow0] = max_nan(acc[t - ow0], rowmax[t * stride_w + tap - c0]);
    }
    for (ptrdiff_t t = kiln_max_pd(lo, ihi); t < hi; t++) {
      acc[t - ow0] = max_nan(acc[t - ow0], rowmax[t * stride_w + tap - c0]);
    }
  }
}

/* Widest window the separable path pools. */
#define KILN_POOL_SEP_TAPS 5

#if KILN_VLEN > 1
static const kiln_f32_bits_t kiln_nan = {0x7FC00000u};

/*
 * Input columns [c, c + KILN_VLEN) each reduced over the window's nrows input rows rows[r], init
 * outside [0, in_w): loaded whole where that stays inside [x_begin, x_end), else column by column.
 */
static inline __attribute__((always_inline)) kiln_vf
pool_columns(const float *const *rows, ptrdiff_t nrows, ptrdiff_t c, ptrdiff_t in_w,
             const float *x_begin, const float *x_end, bool is_max, float init) {
  const bool inside = c >= 0 && c + KILN_VLEN <= in_w;
  if (nrows == 0 || c + KILN_VLEN <= 0 || c >= in_w) {
    return KILN_SPLAT(init);
  }
  if (!inside && (rows[0] + c < x_begin || rows[nrows - 1] + c + KILN_VLEN > x_end)) {
    float lanes[KILN_VLEN];
    for (ptrdiff_t l = 0; l < KILN_VLEN; l++) {
      const ptrdiff_t col = c + l;
      float v = init;
      for (ptrdiff_t r = 0; col >= 0 && col < in_w && r < nrows; r++) {
        v = is_max ? max_nan(v, rows[r][col]) : v + rows[r][col];
      }
      lanes[l] = v;
    }
    return *(const kiln_vf_u *)lanes;
  }
  kiln_vf v = *(const kiln_vf_u *)(rows[0] + c);
  kiln_vi nan = v != v;
  for (ptrdiff_t r = 1; r < nrows; r++) {
    const kiln_vf u = *(const kiln_vf_u *)(rows[r] + c);
    if (is_max) {
      v = kiln_vsel(u > v, u, v);
      nan |= u != u;
    } else {
      v += u;
    }
  }
  if (is_max) {
    v = kiln_vsel(nan, KILN_SPLAT(kiln_nan.f), v);
  }
  if (!inside) {
    kiln_vi col;
    for (int l = 0; l < KILN_VLEN; l++) {
      col[l] = (int32_t)(c + l);
    }
    v = kiln_vsel((col >= 0) & (col < (int32_t)in_w), v, KILN_SPLAT(init));
  }
  return v;
}

/* Lanes o, o + 1, ... of a then b, o < 5. */
static inline __attribute__((always_inline)) kiln_vf pool_shift(kiln_vf a, kiln_vf b,
                                                                const int o) {
  switch (o) {
  case 0:
    return a;
  case 1:
    return __builtin_shufflevector(a, b, KILN_LANES_FROM(1));
  case 2:
    return __builtin_shufflevector(a, b, KILN_LANES_FROM(2));
  case 3:
    return __builtin_shufflevector(a, b, KILN_LANES_FROM(3));
  default:
    return __builtin_shufflevector(a, b, KILN_LANES_FROM(4));
  }
}

/*
 * Separable pooling, K (at most KILN_POOL_SEP_TAPS) taps with stride S (1 or 2) along the row and
 * no dilation along it: acc[t - ow0], for the output columns t in [ow0, ow1), is the maximum (a NaN
 * wins) or the sum of the window. Each vector of outputs first reduces the input columns it needs
 * over the window's rows (pool_columns, two vectors of them, three with stride 2), then picks each
 * tap's columns out of those registers: lanes moved down by the tap (stride 1), or the even or odd
 * lanes moved down by half the tap (stride 2). acc holds KILN_VLEN floats of slack.
 */
static inline __attribute__((always_inline)) void
pool_separable(const float *const *rows, ptrdiff_t nrows, const float *x_begin,
               const float *x_end, ptrdiff_t in_w, ptrdiff_t ow0, ptrdiff_t ow1, const int S,
               const int K, ptrdiff_t pad_left, bool is_max, float init, float *KILN_RESTRICT acc) {
  for (ptrdiff_t t = ow0; t < ow1; t += KILN_VLEN) {
    const ptrdiff_t c = t * S - pad_left;
    const kiln_vf v0 = pool_columns(rows, nrows, c, in_w, x_begin, x_end, is_max, init);
    const kiln_vf v1 =
        pool_columns(rows, nrows, c + KILN_VLEN, in_w, x_begin, x_end, is_max, init);
    kiln_vf lo = v0, hi = v1, odd_lo = v0, odd_hi = v1;
    if (S == 2) {
      const kiln_vf v2 =
          pool_columns(rows, nrows, c + 2 * KILN_VLEN, in_w, x_begin, x_end, is_max, init);
      lo = __builtin_shufflevector(v0, v1, KILN_LANES_BY2(0));
      odd_lo = __builtin_shufflevector(v0, v1, KILN_LANES_BY2(1));
      hi = __builtin_shufflevector(v2, v2, KILN_LANES_BY2(0));
      odd_hi = __builtin_shufflevector(v2, v2, KILN_LANES_BY2(1));
    }
    kiln_vf v = lo;
    kiln_vi nan = lo != lo;
    KILN_UNROLL
    for (int kw = 1; kw < K; kw++) {
      const kiln_vf tap = S == 1 ? pool_shift(lo, hi, kw)
                          : kw % 2 == 0 ? pool_shift(lo, hi, kw / 2)
                                        : pool_shift(odd_lo, odd_hi, kw / 2);
      if (is_max) {
        v = kiln_vsel(tap > v, tap, v);
        nan |= tap != tap;
      } else {
        v += tap;
      }
    }
    *(kiln_vf_u *)(acc + (t - ow0)) = is_max ? kiln_vsel(nan, KILN_SPLAT(kiln_nan.f), v) : v;
  }
}
#endif


#if KILN_VLEN > 1
/* pool_separable for the stride, the window width and the reduction at hand. */
static void pool_separable_any(const float *const *rows, ptrdiff_t nrows, const float *x_begin,
                               const float *x_end, ptrdiff_t in_w, ptrdiff_t ow0, ptrdiff_t ow1,
                               ptrdiff_t stride_w, ptrdiff_t kernel_w, ptrdiff_t pad_left,
                               bool is_max, float *KILN_RESTRICT acc) {
  const kiln_f32_bits_t neg_inf = {0xFF800000u};
#define KILN_POOL_K(S, K)                                                                          \
  (is_max ? pool_separable(rows, nrows, x_begin, x_end, in_w, ow0, ow1, S, K, pad_left, true,      \
                           neg_inf.f, acc)                                                         \
          : pool_separable(rows, nrows, x_begin, x_end, in_w, ow0, ow1, S, K, pad_left, false,     \
                           0.0f, acc))
#define KILN_POOL_S(S)                                                                             \
  switch (kernel_w) {                                                                              \
  case 1:                                                                                          \
    KILN_POOL_K(S, 1);                                                                             \
    break;                                                                                         \
  case 2:                                                                                          \
    KILN_POOL_K(S, 2);                                                                             \
    break;                                                                                         \
  case 3:                                                                                          \
    KILN_POOL_K(S, 3);                                                                             \
    break;                                                                                         \
  case 4:                                                                                          \
    KILN_POOL_K(S, 4);                                                                             \
    break;                                                                                         \
  default:                                                                                         \
    KILN_POOL_K(S, 5);                                                                             \
    break;                                                                                         \
  }
  if (stride_w == 1) {
    KILN_POOL_S(1)
  } else {
    KILN_POOL_S(2)
  }
#undef KILN_POOL_S
#undef KILN_POOL_K
}
#endif

/*
 * Output columns [ow0, ow1) of row oh of plane pl from their window maxima or sums acc: averages
 * divide by the positions counted (rows of them in the window's rows, those of [lo_w, hi_w) in its
 * columns), then the epilogue.
 */
static void pool_finish(const pool_task_t *task, float *KILN_RESTRICT acc, float b, ptrdiff_t pl,
                        ptrdiff_t oh, ptrdiff_t ow0, ptrdiff_t ow1, ptrdiff_t rows, ptrdiff_t lo_w,
                        ptrdiff_t hi_w) {
  const kiln_pool2d_f32_params_t *p = task->p;
  if (!task->is_max) {
    for (ptrdiff_t ow = ow0; ow < ow1; ow++) {
      const ptrdiff_t cols =
          count_inside(ow * p->stride_w - p->pad_left, p->dilation_w, p->kernel_w, lo_w, hi_w);
      acc[ow - ow0] /= (float)(rows * cols);
    }
  }
  const ptrdiff_t row = pl * (ptrdiff_t)p->out_h * p->out_w + oh * p->out_w + ow0;
  if (p->epilogue.activation == KILN_ACT_NONE && task->bias == NULL && task->residual == NULL) {
    for (ptrdiff_t t = 0; t < ow1 - ow0; t++) {
      task->y[row + t] = acc[t];
    }
    return;
  }
  kiln_epilogue_row(&p->epilogue, acc, b, task->residual != NULL ? task->residual + row : NULL,
                    task->y + row, ow1 - ow0);
}

/* Windowed pooling of the output rows [r0, r1), row pl * out_h + oh being row oh of plane pl. */
static void pool_windows(const pool_task_t *task, ptrdiff_t r0, ptrdiff_t r1) {
  const kiln_pool2d_f32_params_t *p = task->p;
  const bool is_max = task->is_max;
  const float *KILN_RESTRICT x = task->x;
  const float *KILN_RESTRICT bias = task->bias;
  const ptrdiff_t in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
  const ptrdiff_t kernel_h = p->kernel_h, kernel_w = p->kernel_w;
  const ptrdiff_t stride_h = p->stride_h, stride_w = p->stride_w;
  const ptrdiff_t dilation_h = p->dilation_h, dilation_w = p->dilation_w;
  const ptrdiff_t pad_top = p->pad_top, pad_left = p->pad_left;
  const ptrdiff_t in_plane = in_h * in_w;
  const kiln_f32_bits_t neg_inf = {0xFF800000u};
  /* Average pooling counts positions in [lo, hi) of each axis: the input, or input plus padding. */
  const bool include_pad = !is_max && p->count_include_pad;
  const ptrdiff_t lo_h = include_pad ? -pad_top : 0,
                  hi_h = include_pad ? in_h + p->pad_bottom : in_h;
  const ptrdiff_t lo_w = include_pad ? -pad_left : 0,
                  hi_w = include_pad ? in_w + p->pad_right : in_w;
  /* The output columns each kernel column reaches inside the input, computed once. */
  const bool hoisted = kernel_w <= KILN_POOL_MAX_TAPS;
  ptrdiff_t tap_lo[KILN_POOL_MAX_TAPS], tap_hi[KILN_POOL_MAX_TAPS];
  for (ptrdiff_t kw = 0; hoisted && kw < kernel_w; kw++) {
    kiln_valid_range(kw * dilation_w - pad_left, stride_w, in_w, out_w, &tap_lo[kw], &tap_hi[kw]);
  }
  /* Windows at most KILN_POOL_SEP_TAPS wide with stride 1 or 2 along the row pool separably. */
  const bool separable = KILN_VLEN > 1 && dilation_w == 1 && (stride_w == 1 || stride_w == 2) &&
                         kernel_w <= KILN_POOL_SEP_TAPS && kernel_h <= KILN_POOL_MAX_TAPS;
  const float *x_end = x + (ptrdiff_t)p->batch * p->channels * in_plane;
  const float *row_at[KILN_POOL_MAX_TAPS];
  for (ptrdiff_t pl = r0 / out_h; pl * out_h < r1; pl++) {
    const float *xp = x + pl * in_plane;
    const float b = bias != NULL ? bias[pl % p->channels] : 0.0f;
    const ptrdiff_t oh1 = kiln_min_pd(out_h, r1 - pl * out_h);
    for (ptrdiff_t oh = kiln_max_pd(0, r0 - pl * out_h); oh < oh1; oh++) {
      const ptrdiff_t h0 = oh * stride_h - pad_top;
      const ptrdiff_t rows = is_max ? 0 : count_inside(h0, dilation_h, kernel_h, lo_h, hi_h);
      ptrdiff_t nrows = 0;
      for (ptrdiff_t kh = 0; separable && kh < kernel_h; kh++) {
        const ptrdiff_t ih = h0 + kh * dilation_h;
        if (ih >= 0 && ih < in_h) {
          row_at[nrows++] = xp + ih * in_w;
        }
      }
      for (ptrdiff_t ow0 = 0; ow0 < out_w; ow0 += KILN_POOL_TILE) {
        const ptrdiff_t ow1 = kiln_min_pd(out_w, ow0 + KILN_POOL_TILE);
        float acc[KILN_POOL_TILE + KILN_VLEN];
#if KILN_VLEN > 1
        if (separable) {
          pool_separable_any(row_at, nrows, x, x_end, in_w, ow0, ow1, stride_w, kernel_w, pad_left,
                             is_max, acc);
          pool_finish(task, acc, b, pl, oh, ow0, ow1, rows, lo_w, hi_w);
          continue;
        }
#else
        (void)row_at;
        (void)x_end;
#endif
        for (ptrdiff_t t = 0; t < ow1 - ow0; t++) {
          acc[t] = is_max ? neg_inf.f : 0.0f;
        }
        /* Max pooling: the column-wise maximum of the window's rows first, then across columns. */
        const ptrdiff_t c0 = kiln_max_pd(0, ow0 * stride_w - pad_left);
        const ptrdiff_t c1 =
            kiln_min_pd(in_w, (ow1 - 1) * stride_w - pad_left + (kernel_w - 1) * dilation_w + 1);
        const bool by_rows = is_max && hoisted && c1 - c0 <= KILN_POOL_SPAN && kernel_h > 1;
        float rowmax[KILN_POOL_SPAN];
        bool any_row = false;
        for (ptrdiff_t kh = 0; kh < kernel_h; kh++) {
          const ptrdiff_t ih = h0 + kh * dilation_h;
          if (ih < 0 || ih >= in_h) {
            continue;
          }
          if (by_rows) {
            const float *row = xp + ih * in_w;
            if (!any_row) {
              for (ptrdiff_t c = c0; c < c1; c++) {
                rowmax[c - c0] = row[c];
              }
            } else {
              for (ptrdiff_t c = c0; c < c1; c++) {
                rowmax[c - c0] = max_nan(rowmax[c - c0], row[c]);
              }
            }
            any_row = true;
            continue;
          }
          for (ptrdiff_t kw = 0; kw < kernel_w; kw++) {
            const ptrdiff_t tap = kw * dilation_w - pad_left;
            ptrdiff_t lo, hi;
            if (hoisted) {
              lo = tap_lo[kw];
              hi = tap_hi[kw];
            } else {
              kiln_valid_range(tap, stride_w, in_w, out_w, &lo, &hi);
            }
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
                as[t] = max_nan(as[t], xs[t * stride_w]);
              }
            } else {
              for (ptrdiff_t t = 0; t < count; t++) {
                as[t] += xs[t * stride_w];
              }
            }
          }
        }
        if (any_row) {
          max_across_columns(rowmax, c0, ow0, ow1, kernel_w, stride_w, dilation_w, pad_left,
                             tap_lo, tap_hi, acc);
        }
        pool_finish(task, acc, b, pl, oh, ow0, ow1, rows, lo_w, hi_w);
      }
    }
  }
}

static void pool_chunk(void *arg, int64_t index) {
  const pool_task_t *t = (const pool_task_t *)arg;
  const ptrdiff_t u0 = t->units * (ptrdiff_t)index / t->chunks;
  const ptrdiff_t u1 = t->units * ((ptrdiff_t)index + 1) / t->chunks;
  if (t->global) {
    pool_global(t, u0, u1);
  } else {
    pool_windows(t, u0, u1);
  }
}

/* Pools every plane, in one chunk of planes (global) or output rows per thread when the work is
 * large enough. */
static void pool2d(const kiln_pool2d_f32_params_t *p, bool is_max, const float *KILN_RESTRICT x,
                   const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                   float *KILN_RESTRICT y, const kiln_exec_t *exec) {
  const ptrdiff_t planes = (ptrdiff_t)p->batch * p->channels;
  const ptrdiff_t in_plane = (ptrdiff_t)p->in_h * p->in_w;
  const ptrdiff_t out_plane = (ptrdiff_t)p->out_h * p->out_w;
  const bool global = p->out_h == 1 && p->out_w == 1 && in_plane > 0 && p->pad_top == 0 &&
                      p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0 &&
                      p->kernel_h == p->in_h && p->kernel_w == p->in_w && p->dilation_h == 1 &&
                      p->dilation_w == 1;
  if (planes == 0 || out_plane == 0) {
    return;
  }
  const kiln_thread_pool_t *pool = exec != NULL ? exec->pool : NULL;
  ptrdiff_t chunks = pool != NULL && pool->parallel_for != NULL ? pool->num_threads : 1;
  const ptrdiff_t work = planes * (global ? in_plane : out_plane * p->kernel_h * p->kernel_w);
  if (work < KILN_POOL_MIN_PARALLEL_READS) {
    chunks = 1;
  }
  /* Global pooling is cut by planes, windowed pooling by output rows (a plane may be all). */
  const ptrdiff_t units = global ? planes : planes * p->out_h;
  pool_task_t task = {p,        is_max, global, x, bias, residual, y, units,
                      kiln_max_pd(1, kiln_min_pd(chunks, units))};
  if (task.chunks == 1) {
    pool_chunk(&task, 0);
    return;
  }
  pool->parallel_for(pool->ctx, task.chunks, pool_chunk, &task);
}

void kiln_maxpool2d_f32(const kiln_pool2d_f32_params_t *p, const float *KILN_RESTRICT x,
                        const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                        float *KILN_RESTRICT y, const kiln_exec_t *exec) {
  pool2d(p, true, x, bias, residual, y, exec);
}

void kiln_avgpool2d_f32(const kiln_pool2d_f32_params_t *p, const float *KILN_RESTRICT x,
                        const float *KILN_RESTRICT bias, const float *KILN_RESTRICT residual,
                        float *KILN_RESTRICT y, const kiln_exec_t *exec) {
  pool2d(p, false, x, bias, residual, y, exec);
}

int32_t kiln_accel_maxpool2d_f32(const kiln_pool2d_f32_params_t *p, const float *KILN_RESTRICT x,
                                 const float *KILN_RESTRICT bias,
                                 const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                                 const kiln_exec_t *exec) {
  KILN_ACCEL_TRY(maxpool2d_f32, p, x, bias, residual, y);
  kiln_maxpool2d_f32(p, x, bias, residual, y, exec);
  return KILN_OK;
}

int32_t kiln_accel_avgpool2d_f32(const kiln_pool2d_f32_params_t *p, const float *KILN_RESTRICT x,
                                 const float *KILN_RESTRICT bias,
                                 const float *KILN_RESTRICT residual, float *KILN_RESTRICT y,
                                 const kiln_exec_t *exec) {
  KILN_ACCEL_TRY(avgpool2d_f32, p, x, bias, residual, y);
  kiln_avgpool2d_f32(p, x, bias, residual, y, exec);
  return KILN_OK;
}

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "kiln/kernels.h"

#define RTOL 1e-4
#define ATOL 1e-5
#define SENTINEL 12345.0f

/* Every activation with every residual placement (none, before, after) and bias on and off. */
#define EPILOGUE_VARIANTS 36

typedef struct variant {
  kiln_epilogue_t e;
  int residual; /* 0 none, 1 before the activation, 2 after */
  bool bias;
} variant_t;

static variant_t variant(int i) {
  variant_t v;
  v.e.activation = i % 6;
  v.e.alpha = 0.125f;
  v.e.min = -0.25f;
  v.e.max = 0.5f;
  v.residual = (i / 6) % 3;
  v.e.residual_after_activation = v.residual == 2;
  v.bias = (i / 18) % 2 == 1;
  return v;
}

static const char *act_name(int32_t a) {
  static const char *names[] = {"none",           "relu",      "clip", "leaky_relu",
                                "leaky_relu_max", "hard_swish"};
  return a >= 0 && a < 6 ? names[a] : "?";
}

static double ref_epilogue(const variant_t *v, double acc, double bias, double residual) {
  double y = acc + bias;
  if (v->residual == 1) {
    y += residual;
  }
  switch (v->e.activation) {
  case KILN_ACT_RELU:
    y = y < 0 ? 0 : y;
    break;
  case KILN_ACT_CLIP:
    y = y < v->e.min ? v->e.min : (y > v->e.max ? v->e.max : y);
    break;
  case KILN_ACT_LEAKY_RELU:
    y = y < 0 ? v->e.alpha * y : y;
    break;
  case KILN_ACT_LEAKY_RELU_MAX:
    y = y < 0 ? v->e.alpha * y : y;
    y = y < v->e.min ? v->e.min : y;
    break;
  case KILN_ACT_HARD_SWISH: {
    const double t = y / 6 + 0.5;
    y *= t < 0 ? 0 : (t > 1 ? 1 : t);
    break;
  }
  default:
    break;
  }
  if (v->residual == 2) {
    y += residual;
  }
  return y;
}

static float *alloc_floats(size_t n, float fill) {
  float *p = malloc((n == 0 ? 1 : n) * sizeof *p);
  if (p == NULL) {
    fputs("out of memory\n", stderr);
    exit(2);
  }
  for (size_t i = 0; i < n; i++) {
    p[i] = fill;
  }
  return p;
}

/* Compares n outputs with want; reports the first mismatch only. */
static bool compare(const float *got, const double *want, size_t n, size_t *bad) {
  for (size_t i = 0; i < n; i++) {
    if (!test_close(got[i], want[i], RTOL, ATOL)) {
      *bad = i;
      return false;
    }
  }
  return true;
}

static double *alloc_doubles(size_t n) {
  double *p = malloc((n == 0 ? 1 : n) * sizeof *p);
  if (p == NULL) {
    fputs("out of memory\n", stderr);
    exit(2);
  }
  return p;
}

/* ---- GEMM ---- */

/* A pool that runs the chunks of a parallel_for one after another, last first. */
static void reverse_parallel_for(void *ctx, int64_t n, kiln_task_fn_t fn, void *arg) {
  (void)ctx;
  for (int64_t i = n - 1; i >= 0; i--) {
    fn(arg, i);
  }
}

/* An execution context for `threads` chunks with `bytes` of scratch each (free exec->scratch). */
static kiln_exec_t test_exec(const kiln_thread_pool_t *pool, int64_t bytes) {
  const int64_t stride = (bytes + 63) / 64 * 64;
  const int32_t threads = pool != NULL ? pool->num_threads : 1;
  kiln_exec_t e = {pool, aligned_alloc(64, (size_t)(stride * threads + 64)), stride, NULL};
  return e;
}

/* Copies rows x k of a (row i at a + i * ld) into zero-padded panels of `block` rows: [p][k][block]. */
static float *pack_panels(const float *a, int32_t rows, int32_t k, int32_t ld, int32_t block) {
  const int32_t panels = (rows + block - 1) / block;
  float *out = alloc_floats((size_t)panels * (size_t)k * (size_t)block, 0.0f);
  for (int32_t i = 0; i < rows; i++) {
    for (int32_t q = 0; q < k; q++) {
      out[((size_t)(i / block) * k + q) * block + i % block] = a[(size_t)i * ld + q];
    }
  }
  return out;
}

/* The transpose of the rows x cols matrix a (row i at a + i * ld), dense. */
static float *transposed(const float *a, int32_t rows, int32_t cols, int32_t ld) {
  float *t = alloc_floats((size_t)rows * (size_t)cols, 0.0f);
  for (int32_t i = 0; i < rows; i++) {
    for (int32_t j = 0; j < cols; j++) {
      t[(size_t)j * rows + i] = a[(size_t)i * ld + j];
    }
  }
  return t;
}

/* kiln_gemm_f32 with scratch from kiln_gemm_f32_scratch_size and the given pool. */
static void call_gemm(const kiln_gemm_f32_params_t *p, const float *a, const float *b,
                      const float *bias, const float *res, float *c,
                      const kiln_thread_pool_t *pool) {
  kiln_exec_t e = test_exec(pool, kiln_gemm_f32_scratch_size(p));
  kiln_gemm_f32(p, a, b, bias, res, c, &e);
  free(e.scratch);
}

typedef struct gemm_case {
  int32_t m, n, k;
  int32_t pad;   /* extra elements at the end of every row of A, B, C and the residual */
  int bias_mode; /* 0 per column, 1 per row, 2 scalar, 3 full matrix */
  float alpha, beta;
} gemm_case_t;

static void run_gemm(test_rng_t *rng, const gemm_case_t *gc, int trans_a, int trans_b,
                     const variant_t *v) {
  const int32_t m = gc->m, n = gc->n, k = gc->k;
  kiln_gemm_f32_params_t p = {0};
  p.m = m;
  p.n = n;
  p.k = k;
  p.trans_a = trans_a;
  p.trans_b = trans_b;
  p.lda = (trans_a ? m : k) + gc->pad;
  p.ldb = (trans_b ? k : n) + gc->pad;
  p.ldc = n + gc->pad;
  p.ldr = n + gc->pad + 1;
  p.alpha = gc->alpha;
  p.beta = gc->beta;
  p.epilogue = v->e;
  static const int32_t stride_m[] = {0, 1, 0, -1};
  static const int32_t stride_n[] = {1, 0, 0, 1};
  p.bias_stride_m = gc->bias_mode == 3 ? n : stride_m[gc->bias_mode];
  p.bias_stride_n = stride_n[gc->bias_mode];
  const size_t a_size = (size_t)(trans_a ? k : m) * (size_t)p.lda;
  const size_t b_size = (size_t)(trans_b ? n : k) * (size_t)p.ldb;
  const size_t c_size = (size_t)m * (size_t)p.ldc;
  const size_t r_size = (size_t)m * (size_t)p.ldr;
  const size_t bias_size = gc->bias_mode == 0   ? (size_t)n
                           : gc->bias_mode == 1 ? (size_t)m
                           : gc->bias_mode == 2 ? 1
                                                : (size_t)m * (size_t)n;
  float *a = test_random_floats(rng, a_size);
  float *b = test_random_floats(rng, b_size);
  float *bias = test_random_floats(rng, bias_size);
  float *res = test_random_floats(rng, r_size);
  float *c = alloc_floats(c_size, SENTINEL);
  double *want = alloc_doubles(c_size);
  for (int32_t i = 0; i < m; i++) {
    for (int32_t j = 0; j < p.ldc; j++) {
      if (j >= n) {
        want[(size_t)i * p.ldc + j] = SENTINEL;
        continue;
      }
      double acc = 0;
      for (int32_t q = 0; q < k; q++) {
        double av = trans_a ? a[(size_t)q * p.lda + i] : a[(size_t)i * p.lda + q];
        double bv = trans_b ? b[(size_t)j * p.ldb + q] : b[(size_t)q * p.ldb + j];
        acc += av * bv;
      }
      double bv = 0;
      if (v->bias) {
        bv = (double)gc->beta *
             bias[(size_t)i * (size_t)p.bias_stride_m + (size_t)j * (size_t)p.bias_stride_n];
      }
      want[(size_t)i * p.ldc + j] =
          ref_epilogue(v, (double)gc->alpha * acc, bv, res[(size_t)i * p.ldr + j]);
    }
  }
  const float *bp = v->bias ? bias : NULL, *rp = v->residual ? res : NULL;
  call_gemm(&p, a, b, bp, rp, c, NULL);
  size_t bad = 0;
  bool ok = compare(c, want, c_size, &bad);
  /* Three threads, small cache blocks, and operands packed ahead of time give the same bits. */
  const kiln_thread_pool_t pool = {NULL, reverse_parallel_for, 3};
  int32_t mr, nr;
  kiln_gemm_f32_block(&mr, &nr);
  for (int form = 0; form < 3 && m > 0 && n > 0; form++) {
    kiln_gemm_f32_params_t q = p;
    float *pa = NULL, *pb = NULL;
    if (form == 1) {
      q.mc = mr;
      q.nc = nr;
    } else if (form == 2) {
      float *at = trans_a ? transposed(a, k, m, p.lda) : NULL;
      float *bt = trans_b ? NULL : transposed(b, k, n, p.ldb);
      pa = pack_panels(at != NULL ? at : a, m, k, at != NULL ? k : p.lda, mr);
      pb = pack_panels(bt != NULL ? bt : b, n, k, bt != NULL ? k : p.ldb, nr);
      q.packed = KILN_PACKED_A | KILN_PACKED_B;
      free(at);
      free(bt);
    }
    float *c3 = alloc_floats(c_size, SENTINEL);
    call_gemm(&q, pa != NULL ? pa : a, pb != NULL ? pb : b, bp, rp, c3, &pool);
    test_check(memcmp(c, c3, c_size * sizeof(float)) == 0,
               "gemm m=%d n=%d k=%d trans_a=%d trans_b=%d: 3 threads, form %d differ from 1", m, n,
               k, trans_a, trans_b, form);
    free(c3);
    free(pa);
    free(pb);
  }
  test_check(ok,
             "gemm m=%d n=%d k=%d pad=%d trans_a=%d trans_b=%d bias=%d(mode %d) act=%s residual=%d:"
             " element %zu is %g, want %g",
             m, n, k, gc->pad, trans_a, trans_b, v->bias, gc->bias_mode, act_name(v->e.activation),
             v->residual, bad, ok ? 0.0 : (double)c[bad], ok ? 0.0 : want[bad]);
  free(a);
  free(b);
  free(bias);
  free(res);
  free(c);
  free(want);
}

void test_gemm_f32(void) {
  test_rng_t rng;
  test_rng_seed(&rng, 1);
  static const gemm_case_t cases[] = {
      {1, 1, 1, 0, 0, 1.0f, 1.0f},      {3, 5, 7, 0, 0, 1.0f, 1.0f},
      {17, 33, 9, 3, 1, 1.0f, 1.0f},    {2, 1, 300, 0, 2, 0.5f, 2.0f},
      {64, 130, 129, 1, 3, 1.0f, 1.0f}, {40, 257, 31, 0, 0, -1.5f, 0.25f},
      {33, 129, 257, 2, 1, 1.0f, 1.0f}, {5, 4, 0, 0, 0, 1.0f, 1.0f},
      {0, 4, 3, 0, 0, 1.0f, 1.0f},      {4, 0, 3, 0, 0, 1.0f, 1.0f},
  };
  int vi = 0;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    for (int t = 0; t < 4; t++) {
      variant_t v = variant(vi++ % EPILOGUE_VARIANTS);
      run_gemm(&rng, &cases[c], t & 1, t >> 1, &v);
    }
  }
  const gemm_case_t mid = {7, 19, 13, 1, 0, 1.0f, 1.0f};
  for (int i = 0; i < EPILOGUE_VARIANTS; i++) {
    variant_t v = variant(i);
    for (int mode = 0; mode < 4; mode++) {
      gemm_case_t gc = mid;
      gc.bias_mode = mode;
      run_gemm(&rng, &gc, i % 2, (i / 2) % 2, &v);
    }
  }
}

/* ---- convolution ---- */

typedef struct conv_case {
  int32_t batch, in_channels, in_h, in_w, out_channels;
  int32_t kernel_h, kernel_w, stride_h, stride_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t dilation_h, dilation_w, groups;
} conv_case_t;

static int32_t out_dim(int32_t in, int32_t pad_begin, int32_t pad_end, int32_t dilation,
                       int32_t kernel, int32_t stride, bool ceil_mode) {
  int32_t span = in + pad_begin + pad_end - dilation * (kernel - 1) - 1;
  return (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
}

/* Reference convolution in double; groups == in_channels with multiplier covers depthwise. */
static void ref_conv(const conv_case_t *cc, int32_t out_h, int32_t out_w, const float *x,
                     const float *w, const float *bias, const float *res, const variant_t *v,
                     double *want) {
  const int32_t gi = cc->in_channels / cc->groups, go = cc->out_channels / cc->groups;
  for (int32_t n = 0; n < cc->batch; n++) {
    for (int32_t oc = 0; oc < cc->out_channels; oc++) {
      for (int32_t oh = 0; oh < out_h; oh++) {
        for (int32_t ow = 0; ow < out_w; ow++) {
          double acc = 0;
          for (int32_t ic = 0; ic < gi; ic++) {
            const int32_t c = (oc / go) * gi + ic;
            for (int32_t kh = 0; kh < cc->kernel_h; kh++) {
              for (int32_t kw = 0; kw < cc->kernel_w; kw++) {
                int32_t ih = oh * cc->stride_h - cc->pad_top + kh * cc->dilation_h;
                int32_t iw = ow * cc->stride_w - cc->pad_left + kw * cc->dilation_w;
                if (ih < 0 || ih >= cc->in_h || iw < 0 || iw >= cc->in_w) {
                  continue;
                }
                acc +=
                    (double)x[(((size_t)n * cc->in_channels + c) * cc->in_h + ih) * cc->in_w + iw] *
                    w[(((size_t)oc * gi + ic) * cc->kernel_h + kh) * cc->kernel_w + kw];
              }
            }
          }
          size_t o = (((size_t)n * cc->out_channels + oc) * out_h + oh) * out_w + ow;
          want[o] = ref_epilogue(v, acc, v->bias ? bias[oc] : 0.0, res[o]);
        }
      }
    }
  }
}

static void run_conv(test_rng_t *rng, const conv_case_t *cc, const variant_t *v, bool depthwise) {
  const int32_t out_h = out_dim(cc->in_h, cc->pad_top, cc->pad_bottom, cc->dilation_h, cc->kernel_h,
                                cc->stride_h, false);
  const int32_t out_w = out_dim(cc->in_w, cc->pad_left, cc->pad_right, cc->dilation_w, cc->kernel_w,
                                cc->stride_w, false);
  const size_t x_size = (size_t)cc->batch * cc->in_channels * cc->in_h * cc->in_w;
  const size_t w_size =
      (size_t)cc->out_channels * (cc->in_channels / cc->groups) * cc->kernel_h * cc->kernel_w;
  const size_t y_size = (size_t)cc->batch * cc->out_channels * out_h * out_w;
  float *x = test_random_floats(rng, x_size);
  float *w = test_random_floats(rng, w_size);
  float *bias = test_random_floats(rng, (size_t)cc->out_channels);
  float *res = test_random_floats(rng, y_size);
  float *y = alloc_floats(y_size, SENTINEL);
  double *want = alloc_doubles(y_size);
  if (depthwise && x_size > 3) {
    x[x_size / 3] = NAN;
  }
  ref_conv(cc, out_h, out_w, x, w, bias, res, v, want);
  const float *b = v->bias ? bias : NULL;
  const float *r = v->residual ? res : NULL;
  if (depthwise) {
    kiln_depthwise_conv2d_f32_params_t p = {cc->batch,
                                            cc->in_channels,
                                            cc->in_h,
                                            cc->in_w,
                                            cc->out_channels / cc->in_channels,
                                            out_h,
                                            out_w,
                                            cc->kernel_h,
                                            cc->kernel_w,
                                            cc->stride_h,
                                            cc->stride_w,
                                            cc->pad_top,
                                            cc->pad_left,
                                            cc->dilation_h,
                                            cc->dilation_w,
                                            v->e};
    kiln_depthwise_conv2d_f32(&p, x, w, b, r, y, NULL);
    /* Any number of chunks, run in any order, gives the same bits. */
    for (int32_t threads = 2; threads <= 7; threads += 5) {
      const kiln_thread_pool_t pool = {NULL, reverse_parallel_for, threads};
      kiln_exec_t e = test_exec(&pool, 0);
      float *yt = alloc_floats(y_size, SENTINEL);
      kiln_depthwise_conv2d_f32(&p, x, w, b, r, yt, &e);
      test_check(memcmp(y, yt, y_size * sizeof(float)) == 0,
                 "depthwise_conv2d: %d threads differ from 1 thread", threads);
      free(yt);
      free(e.scratch);
    }
  } else {
    kiln_conv2d_f32_params_t p = {cc->batch,
                                  cc->in_channels,
                                  cc->in_h,
                                  cc->in_w,
                                  cc->out_channels,
                                  out_h,
                                  out_w,
                                  cc->kernel_h,
                                  cc->kernel_w,
                                  cc->stride_h,
                                  cc->stride_w,
                                  cc->pad_top,
                                  cc->pad_left,
                                  cc->dilation_h,
                                  cc->dilation_w,
                                  cc->groups,
                                  0,
                                  0,
                                  0,
                                  0,
                                  v->e};
    kiln_exec_t e = test_exec(NULL, kiln_conv2d_f32_scratch_size(&p));
    kiln_conv2d_f32(&p, x, w, b, r, y, &e);
    free(e.scratch);
    /*
     * Weights packed ahead of time give the same bits on one and two threads, and the reference
     * result (packed weights may take the in-place path, whose sums are not split at kc).
     */
    int32_t mr, nr;
    kiln_gemm_f32_block(&mr, &nr);
    const int32_t go = cc->out_channels / cc->groups;
    const int32_t kk = (cc->in_channels / cc->groups) * cc->kernel_h * cc->kernel_w;
    const size_t wg = (size_t)((go + mr - 1) / mr) * (size_t)mr * (size_t)kk;
    float *wp = alloc_floats(wg * (size_t)cc->groups + 1, 0.0f);
    for (int32_t g = 0; g < cc->groups; g++) {
      float *one = pack_panels(w + (size_t)g * go * kk, go, kk, kk, mr);
      memcpy(wp + (size_t)g * wg, one, wg * sizeof(float));
      free(one);
    }
    kiln_conv2d_f32_params_t q = p;
    q.packed = KILN_PACKED_A;
    q.kc = 7;
    const kiln_thread_pool_t pool = {NULL, reverse_parallel_for, 2};
    float *y1 = alloc_floats(y_size, SENTINEL), *y2 = alloc_floats(y_size, SENTINEL);
    e = test_exec(NULL, kiln_conv2d_f32_scratch_size(&q));
    kiln_conv2d_f32(&q, x, wp, b, r, y1, &e);
    free(e.scratch);
    e = test_exec(&pool, kiln_conv2d_f32_scratch_size(&q));
    kiln_conv2d_f32(&q, x, wp, b, r, y2, &e);
    free(e.scratch);
    test_check(memcmp(y1, y2, y_size * sizeof(float)) == 0,
               "conv2d: packed weights on 2 threads differ from 1 thread");
    size_t bad1 = 0;
    test_check(compare(y1, want, y_size, &bad1),
               "conv2d with packed weights: element %zu is %g, want %g", bad1, (double)y1[bad1],
               want[bad1]);
    free(wp);
    free(y1);
    free(y2);
  }
  size_t bad = 0;
  bool ok = compare(y, want, y_size, &bad);
  test_check(ok,
             "%s n=%d c=%d %dx%d -> oc=%d %dx%d kernel %dx%d strides %d,%d pads %d,%d,%d,%d "
             "dilations %d,%d groups %d bias=%d act=%s residual=%d: element %zu is %g, want %g",
             depthwise ? "depthwise_conv2d" : "conv2d", cc->batch, cc->in_channels, cc->in_h,
             cc->in_w, cc->out_channels, out_h, out_w, cc->kernel_h, cc->kernel_w, cc->stride_h,
             cc->stride_w, cc->pad_top, cc->pad_left, cc->pad_bottom, cc->pad_right, cc->dilation_h,
             cc->dilation_w, cc->groups, v->bias, act_name(v->e.activation), v->residual, bad,
             ok ? 0.0 : (double)y[bad], ok ? 0.0 : want[bad]);
  free(x);
  free(w);
  free(bias);
  free(res);
  free(y);
  free(want);
}

/* Runs each of n cases with `reps` epilogue variants, taking the next ones from *vi. */
static void run_conv_cases(test_rng_t *rng, const conv_case_t *cases, size_t n, int reps, int *vi,
                           bool depthwise) {
  for (size_t c = 0; c < n; c++) {
    for (int rep = 0; rep < reps; rep++) {
      variant_t v = variant((*vi)++ % EPILOGUE_VARIANTS);
      run_conv(rng, &cases[c], &v, depthwise);
    }
  }
}

/* Runs one case with every epilogue variant. */
static void run_conv_variants(test_rng_t *rng, const conv_case_t *cc, bool depthwise) {
  for (int i = 0; i < EPILOGUE_VARIANTS; i++) {
    variant_t v = variant(i);
    run_conv(rng, cc, &v, depthwise);
  }
}

void test_conv2d_f32(void) {
  test_rng_t rng;
  test_rng_seed(&rng, 2);
  static const conv_case_t cases[] = {
      {1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1},
      {2, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {1, 4, 10, 11, 6, 3, 2, 2, 3, 1, 0, 2, 1, 1, 1, 2},
      {1, 6, 9, 8, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 3},
      {1, 3, 20, 75, 2, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1},
      {1, 8, 12, 12, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8},
      {1, 2, 4, 4, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1},
      {1, 2, 3, 3, 2, 5, 5, 1, 1, 3, 3, 3, 3, 1, 1, 1},
      {2, 5, 13, 140, 4, 3, 4, 3, 2, 0, 1, 0, 2, 1, 2, 1},
      {1, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {1, 4, 9, 10, 4, 2, 3, 2, 1, 0, 2, 1, 0, 3, 1, 4},
      {1, 3, 6, 6, 3, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1},
      {1, 3, 23, 77, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},
  };
  int vi = 0;
  run_conv_cases(&rng, cases, sizeof cases / sizeof cases[0], 2, &vi, false);
  const conv_case_t mid = {1, 4, 6, 7, 6, 3, 3, 1, 2, 1, 1, 0, 1, 1, 1, 2};
  run_conv_variants(&rng, &mid, false);
}

/*
 * U = G g G^T of every 3x3 kernel in double, rounded to float, packed as kiln_conv2d_winograd_f32
 * takes it: per position, the out_channels x in_channels matrix in panels of mr rows.
 */
static float *winograd_weights(const float *w, int32_t oc, int32_t ic, int32_t mr) {
  static const double gm[6][3] = {{0.25, 0, 0},
                                  {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                  {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                  {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                  {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                  {0, 0, 1}};
  const size_t plane = (size_t)oc * ic;
  float *u = alloc_floats(KILN_WINOGRAD_POSITIONS * plane, 0.0f);
  for (size_t f = 0; f < plane; f++) {
    const float *g = w + f * 9;
    for (int a = 0; a < 6; a++) {
      for (int b = 0; b < 6; b++) {
        double s = 0;
        for (int i = 0; i < 3; i++) {
          for (int j = 0; j < 3; j++) {
            s += gm[a][i] * g[i * 3 + j] * gm[b][j];
          }
        }
        u[(size_t)(a * 6 + b) * plane + f] = (float)s;
      }
    }
  }
  const size_t packed = (size_t)((oc + mr - 1) / mr) * (size_t)mr * (size_t)ic;
  float *out = alloc_floats(KILN_WINOGRAD_POSITIONS * packed, 0.0f);
  for (int xi = 0; xi < KILN_WINOGRAD_POSITIONS; xi++) {
    float *one = pack_panels(u + xi * plane, oc, ic, ic, mr);
    memcpy(out + xi * packed, one, packed * sizeof(float));
    free(one);
  }
  free(u);
  return out;
}

/*
 * Winograd's transforms add and subtract terms up to 10x larger than the products of a direct sum
 * (B^T has 4s and 5s, A^T 8s, G's 1/6 and 1/24 are inexact in float), so the error is compared with
 * the sum of |x * w| over the window rather than with the result: 2e-5 of it plus 1e-5, which an
 * F(4x4, 3x3) in f32 meets with about 10x margin on data in [-1, 1].
 */
#define WINOGRAD_RTOL 2e-5
#define WINOGRAD_ATOL 1e-5

static void run_winograd(test_rng_t *rng, const conv_case_t *cc, const variant_t *v) {
  const int32_t out_h = out_dim(cc->in_h, cc->pad_top, cc->pad_bottom, 1, 3, 1, false);
  const int32_t out_w = out_dim(cc->in_w, cc->pad_left, cc->pad_right, 1, 3, 1, false);
  const size_t x_size = (size_t)cc->batch * cc->in_channels * cc->in_h * cc->in_w;
  const size_t y_size = (size_t)cc->batch * cc->out_channels * out_h * out_w;
  float *x = test_random_floats(rng, x_size);
  float *w = test_random_floats(rng, (size_t)cc->out_channels * cc->in_channels * 9);
  float *bias = test_random_floats(rng, (size_t)cc->out_channels);
  float *res = test_random_floats(rng, y_size);
  double *want = alloc_doubles(y_size);
  ref_conv(cc, out_h, out_w, x, w, bias, res, v, want);
  /* The scale of each element's rounding error: the direct sum of |x * w|. */
  const size_t w_size = (size_t)cc->out_channels * cc->in_channels * 9;
  float *ax = alloc_floats(x_size, 0.0f), *aw = alloc_floats(w_size, 0.0f);
  for (size_t i = 0; i < x_size; i++) {
    ax[i] = fabsf(x[i]);
  }
  for (size_t i = 0; i < w_size; i++) {
    aw[i] = fabsf(w[i]);
  }
  double *scale = alloc_doubles(y_size);
  const variant_t plain = {{KILN_ACT_NONE, 0, 0.0f, 0.0f, 0.0f}, 0, false};
  ref_conv(cc, out_h, out_w, ax, aw, bias, res, &plain, scale);
  int32_t mr, nr;
  kiln_gemm_f32_block(&mr, &nr);
  float *u = winograd_weights(w, cc->out_channels, cc->in_channels, mr);
  kiln_conv2d_winograd_f32_params_t p = {
      cc->batch, cc->in_channels, cc->in_h,     cc->in_w, cc->out_channels, out_h,
      out_w,     cc->pad_top,     cc->pad_left, 0,        0,                v->e};
  /* Wide reductions in several blocks. */
  p.kc = cc->in_channels > 16 ? 7 : 0;
  const float *b = v->bias ? bias : NULL;
  const float *r = v->residual ? res : NULL;
  float *y = alloc_floats(y_size, SENTINEL);
  kiln_exec_t e = test_exec(NULL, kiln_conv2d_winograd_f32_scratch_size(&p));
  kiln_conv2d_winograd_f32(&p, x, u, b, r, y, &e);
  free(e.scratch);
  /* Three threads (chunks run last first) give the same bits. */
  const kiln_thread_pool_t pool = {NULL, reverse_parallel_for, 3};
  float *y3 = alloc_floats(y_size, SENTINEL);
  e = test_exec(&pool, kiln_conv2d_winograd_f32_scratch_size(&p));
  kiln_conv2d_winograd_f32(&p, x, u, b, r, y3, &e);
  free(e.scratch);
  test_check(memcmp(y, y3, y_size * sizeof(float)) == 0,
             "conv2d_winograd: 3 threads differ from 1 thread");
  size_t bad = 0;
  bool ok = true;
  double worst = 0;
  for (size_t i = 0; i < y_size; i++) {
    const double err = fabs((double)y[i] - want[i]);
    const double tol = WINOGRAD_ATOL + WINOGRAD_RTOL * scale[i];
    if (!(err <= tol)) {
      if (ok) {
        bad = i;
      }
      ok = false;
    }
    if (err / tol > worst) {
      worst = err / tol;
    }
  }
  test_check(ok,
             "conv2d_winograd n=%d c=%d %dx%d -> oc=%d %dx%d pads %d,%d,%d,%d bias=%d act=%s "
             "residual=%d: element %zu is %g, want %g (scale %g)",
             cc->batch, cc->in_channels, cc->in_h, cc->in_w, cc->out_channels, out_h, out_w,
             cc->pad_top, cc->pad_left, cc->pad_bottom, cc->pad_right, v->bias,
             act_name(v->e.activation), v->residual, bad, ok ? 0.0 : (double)y[bad],
             ok ? 0.0 : want[bad], ok ? 0.0 : scale[bad]);
  if (getenv("KILN_TEST_VERBOSE") != NULL) {
    printf("winograd c=%d oc=%d %dx%d: worst error %.3f of tolerance\n", cc->in_channels,
           cc->out_channels, out_h, out_w, worst);
  }
  free(x);
  free(w);
  free(ax);
  free(aw);
  free(bias);
  free(res);
  free(want);
  free(scale);
  free(u);
  free(y);
  free(y3);
}

void test_conv2d_winograd_f32(void) {
  test_rng_t rng;
  test_rng_seed(&rng, 5);
  /* batch, c, h, w, oc, (kernel, stride), pads top, left, bottom, right; padding 0 to 2 per side. */
  static const conv_case_t cases[] = {
      {1, 1, 6, 6, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1},
      {1, 3, 5, 7, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {2, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {1, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {1, 8, 13, 30, 13, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1},
      {1, 4, 10, 12, 5, 3, 3, 1, 1, 2, 0, 1, 2, 1, 1, 1},
      {3, 6, 23, 9, 4, 3, 3, 1, 1, 0, 1, 2, 0, 1, 1, 1},
      {1, 64, 18, 18, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {1, 300, 7, 7, 19, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {1, 2, 3, 3, 3, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1},
      {1, 2, 1, 2, 3, 3, 3, 1, 1, 2, 2, 2, 1, 1, 1, 1},
  };
  int vi = 0;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    for (int rep = 0; rep < 3; rep++) {
      variant_t v = variant(vi++ % EPILOGUE_VARIANTS);
      run_winograd(&rng, &cases[c], &v);
    }
  }
  const conv_case_t mid = {1, 5, 9, 10, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  for (int i = 0; i < EPILOGUE_VARIANTS; i++) {
    variant_t v = variant(i);
    run_winograd(&rng, &mid, &v);
  }
}

void test_depthwise_conv2d_f32(void) {
  test_rng_t rng;
  test_rng_seed(&rng, 3);
  static const conv_case_t cases[] = {
      {1, 1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {2, 8, 12, 12, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8},
      {1, 3, 9, 10, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},
      {1, 4, 11, 70, 12, 5, 3, 2, 1, 2, 1, 2, 1, 1, 2, 4},
      {1, 5, 8, 9, 5, 3, 3, 1, 3, 2, 2, 2, 2, 2, 2, 5},
      {1, 2, 3, 3, 4, 5, 5, 1, 1, 3, 3, 3, 3, 1, 1, 2},
      {1, 6, 7, 7, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 6},
  };
  int vi = 0;
  run_conv_cases(&rng, cases, sizeof cases / sizeof cases[0], 2, &vi, true);
  const conv_case_t mid = {1, 3, 6, 7, 6, 3, 3, 2, 1, 1, 1, 1, 0, 1, 1, 3};
  run_conv_variants(&rng, &mid, true);
  /* The vector paths (3x3 and 5x5, stride_w 1 and 2): widths around the vector widths, pads on
   * any side, rows narrower than the kernel, stride_h apart from stride_w, and shapes large enough
   * to be cut into chunks. */
  static const conv_case_t fast[] = {
      {1, 2, 9, 15, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},
      {1, 2, 7, 16, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},
      {1, 2, 6, 17, 2, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 2},
      {1, 3, 8, 33, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3},
      {1, 2, 9, 47, 2, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1, 2},
      {1, 2, 8, 40, 2, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 2},
      {1, 2, 10, 35, 2, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 2},
      {1, 2, 11, 70, 2, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 2},
      {1, 2, 9, 66, 2, 5, 5, 2, 2, 1, 2, 2, 1, 1, 1, 2},
      {1, 2, 7, 21, 2, 3, 3, 3, 1, 1, 0, 1, 2, 1, 1, 2},
      {1, 2, 12, 38, 2, 5, 5, 1, 2, 0, 3, 4, 0, 1, 1, 2},
      {1, 2, 4, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},
      {1, 2, 6, 3, 2, 5, 5, 1, 2, 2, 2, 2, 2, 1, 1, 2},
      {1, 1, 3, 40, 1, 3, 3, 1, 1, 0, 1, 0, 1, 1, 1, 1},
      {2, 3, 8, 26, 6, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 3},
      {1, 2, 5, 20, 2, 3, 3, 1, 1, 6, 5, 6, 5, 1, 1, 2},
      {2, 16, 30, 37, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16},
      {1, 24, 24, 96, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 24},
      {1, 12, 29, 70, 12, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 12},
      {1, 9, 21, 50, 18, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 9},
  };
  run_conv_cases(&rng, fast, sizeof fast / sizeof fast[0], 3, &vi, true);
  for (size_t c = 0; c < 4; c++) {
    run_conv_variants(&rng, &fast[c * 3 + 1], true);
  }
}

/* ---- pooling ---- */

typedef struct pool_case {
  int32_t batch, channels, in_h, in_w;
  int32_t kernel_h, kernel_w, stride_h, stride_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t dilation_h, dilation_w;
  bool ceil_mode;
} pool_case_t;

static void run_pool(test_rng_t *rng, const pool_case_t *pc, bool is_max, bool include_pad,
                     const variant_t *v) {
  kiln_pool2d_f32_params_t p = {0};
  p.batch = pc->batch;
  p.channels = pc->channels;
  p.in_h = pc->in_h;
  p.in_w = pc->in_w;
  p.out_h = out_dim(pc->in_h, pc->pad_top, pc->pad_bottom, pc->dilation_h, pc->kernel_h,
                    pc->stride_h, pc->ceil_mode);
  p.out_w = out_dim(pc->in_w, pc->pad_left, pc->pad_right, pc->dilation_w, pc->kernel_w,
                    pc->stride_w, pc->ceil_mode);
  p.kernel_h = pc->kernel_h;
  p.kernel_w = pc->kernel_w;
  p.stride_h = pc->stride_h;
  p.stride_w = pc->stride_w;
  p.pad_top = pc->pad_top;
  p.pad_left = pc->pad_left;
  p.pad_bottom = pc->pad_bottom;
  p.pad_right = pc->pad_right;
  p.dilation_h = pc->dilation_h;
  p.dilation_w = pc->dilation_w;
  p.count_include_pad = include_pad;
  p.epilogue = v->e;
  const size_t x_size = (size_t)p.batch * p.channels * p.in_h * p.in_w;
  const size_t y_size = (size_t)p.batch * p.channels * p.out_h * p.out_w;
  float *x = test_random_floats(rng, x_size);
  float *bias = test_random_floats(rng, (size_t)p.channels);
  float *res = test_random_floats(rng, y_size);
  float *y = alloc_floats(y_size, SENTINEL);
  double *want = alloc_doubles(y_size);
  if (x_size > 3) {
    x[x_size / 3] = NAN;
  }
  for (int32_t pl = 0; pl < p.batch * p.channels; pl++) {
    for (int32_t oh = 0; oh < p.out_h; oh++) {
      for (int32_t ow = 0; ow < p.out_w; ow++) {
        double acc = is_max ? -INFINITY : 0.0;
        int32_t count = 0;
        for (int32_t kh = 0; kh < p.kernel_h; kh++) {
          for (int32_t kw = 0; kw < p.kernel_w; kw++) {
            int32_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
            int32_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
            bool inside = ih >= 0 && ih < p.in_h && iw >= 0 && iw < p.in_w;
            bool in_pads = ih >= -p.pad_top && ih < p.in_h + p.pad_bottom && iw >= -p.pad_left &&
                           iw < p.in_w + p.pad_right;
            if (inside) {
              double xv = x[((size_t)pl * p.in_h + ih) * p.in_w + iw];
              if (is_max) {
                acc = (xv != xv || xv > acc) ? xv : acc;
              } else {
                acc += xv;
              }
            }
            count += (include_pad ? in_pads : inside) ? 1 : 0;
          }
        }
        if (!is_max) {
          acc /= count;
        }
        size_t o = ((size_t)pl * p.out_h + oh) * p.out_w + ow;
        want[o] = ref_epilogue(v, acc, v->bias ? bias[pl % p.channels] : 0.0, res[o]);
      }
    }
  }
  void (*pool2d)(const kiln_pool2d_f32_params_t *, const float *, const float *, const float *,
                 float *, const kiln_exec_t *) = is_max ? kiln_maxpool2d_f32 : kiln_avgpool2d_f32;
  pool2d(&p, x, v->bias ? bias : NULL, v->residual ? res : NULL, y, NULL);
  size_t bad = 0;
  bool ok = compare(y, want, y_size, &bad);
  for (int32_t threads = 2; threads <= 5; threads += 3) {
    const kiln_thread_pool_t pool = {NULL, reverse_parallel_for, threads};
    kiln_exec_t e = test_exec(&pool, 0);
    float *yt = alloc_floats(y_size, SENTINEL);
    pool2d(&p, x, v->bias ? bias : NULL, v->residual ? res : NULL, yt, &e);
    test_check(memcmp(y, yt, y_size * sizeof(float)) == 0, "%s: %d threads differ from 1 thread",
               is_max ? "maxpool2d" : "avgpool2d", threads);
    free(yt);
    free(e.scratch);
  }
  test_check(ok,
             "%s n=%d c=%d %dx%d -> %dx%d kernel %dx%d strides %d,%d pads %d,%d,%d,%d dilations "
             "%d,%d ceil=%d include_pad=%d bias=%d act=%s residual=%d: element %zu is %g, want %g",
             is_max ? "maxpool2d" : "avgpool2d", p.batch, p.channels, p.in_h, p.in_w, p.out_h,
             p.out_w, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_top, p.pad_left,
             p.pad_bottom, p.pad_right, p.dilation_h, p.dilation_w, pc->ceil_mode, include_pad,
             v->bias, act_name(v->e.activation), v->residual, bad, ok ? 0.0 : (double)y[bad],
             ok ? 0.0 : want[bad]);
  free(x);
  free(bias);
  free(res);
  free(y);
  free(want);
}

void test_pool2d_f32(void) {
  test_rng_t rng;
  test_rng_seed(&rng, 4);
  static const pool_case_t cases[] = {
      {1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false},
      {2, 3, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false},
      {1, 2, 8, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true},
      {1, 2, 9, 10, 3, 2, 2, 3, 0, 1, 2, 0, 2, 1, false},
      {1, 3, 5, 130, 2, 3, 1, 1, 0, 1, 0, 1, 1, 1, false},
      {1, 2, 11, 11, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, true},
      {1, 1, 6, 6, 6, 6, 1, 1, 0, 0, 0, 0, 1, 1, false},
      {1, 4, 7, 8, 2, 2, 2, 2, 0, 0, 0, 0, 2, 2, true},
      {2, 3, 13, 17, 13, 17, 1, 1, 0, 0, 0, 0, 1, 1, false},
      {1, 2, 4, 700, 2, 3, 1, 9, 0, 1, 0, 1, 1, 1, false},
      {2, 8, 40, 61, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true},
      {1, 33, 48, 45, 48, 45, 1, 1, 0, 0, 0, 0, 1, 1, false},
      {1, 5, 8, 8, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false},
      {2, 3, 6, 16, 1, 2, 1, 2, 0, 0, 0, 0, 1, 1, false},
      {1, 2, 20, 37, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, false},
      {1, 3, 9, 21, 4, 4, 1, 1, 1, 2, 2, 1, 1, 1, false},
      {1, 4, 12, 70, 5, 1, 1, 1, 2, 0, 2, 0, 1, 1, false},
      {1, 2, 15, 300, 3, 3, 2, 2, 0, 0, 0, 0, 2, 1, true},
      {1, 3, 3, 3, 3, 3, 1, 1, 4, 4, 4, 4, 1, 1, false},
  };
  int vi = 0;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    for (int kind = 0; kind < 3; kind++) {
      variant_t v = variant(vi++ % EPILOGUE_VARIANTS);
      run_pool(&rng, &cases[c], kind == 0, kind == 2, &v);
    }
  }
  const pool_case_t mid = {1, 3, 6, 7, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, true};
  for (int i = 0; i < EPILOGUE_VARIANTS; i++) {
    variant_t v = variant(i);
    run_pool(&rng, &mid, i % 2 == 0, i % 4 == 1, &v);
  }
}

#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "kiln/kernels.h"

/* Reference rounding: floor division and an explicit comparison of twice the remainder. */
static int64_t ref_requantize(int32_t x, int32_t multiplier, int32_t shift) {
  const int64_t prod = (int64_t)x * multiplier;
  const int s = 31 + shift;
  if (s <= 0) {
    return prod;
  }
  const int64_t d = INT64_C(1) << s;
  int64_t q = prod / d;
  int64_t r = prod % d;
  if (r < 0) {
    q -= 1;
    r += d;
  }
  /* prod = q * d + r with 0 <= r < d; compare r with d / 2 without overflow. */
  if (r > d - r || (r == d - r && (q % 2 != 0))) {
    q += 1;
  }
  return q;
}

static void *checked_malloc(size_t n) {
  void *p = malloc(n == 0 ? 1 : n);
  if (p == NULL) {
    fputs("out of memory\n", stderr);
    exit(2);
  }
  return p;
}

static void requantize_cases(void) {
  const int32_t half = INT32_C(1) << 30; /* multiplier 2^30, shift 0: x / 2 */
  static const int32_t xs[] = {0, 1, 2, 3, 5, 7, -1, -2, -3, -5, -7};
  static const int64_t halves[] = {0, 0, 1, 2, 2, 4, 0, -1, -2, -2, -4};
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    int64_t got = kiln_requantize(xs[i], half, 0);
    test_check(got == halves[i], "requantize %d / 2 is %lld, want %lld (half to even)", xs[i],
               (long long)got, (long long)halves[i]);
  }
  test_check(kiln_requantize(INT32_MAX, INT32_MAX, 31) == 1,
             "requantize the largest product by 2^62");
  test_check(kiln_requantize(INT32_MIN, INT32_MAX, -31) == (int64_t)INT32_MIN * INT32_MAX,
             "requantize with no shift");
  test_check(kiln_requantize(6, half, 1) == 2 && kiln_requantize(10, half, 1) == 2 &&
                 kiln_requantize(-10, half, 1) == -2,
             "requantize x / 4: 1.5 -> 2, 2.5 -> 2, -2.5 -> -2");
  test_rng_t rng;
  test_rng_seed(&rng, 6);
  bool ok = true;
  int32_t bad_x = 0, bad_m = 0, bad_s = 0;
  for (int i = 0; i < 20000 && ok; i++) {
    int32_t x = (int32_t)test_rng_int(&rng, INT32_MIN, INT32_MAX);
    if (i % 3 == 0) {
      x = test_rng_int(&rng, -70000, 70000);
    }
    int32_t m = test_rng_int(&rng, 0, INT32_MAX);
    int32_t s = test_rng_int(&rng, -31, 31);
    if (kiln_requantize(x, m, s) != ref_requantize(x, m, s)) {
      ok = false;
      bad_x = x;
      bad_m = m;
      bad_s = s;
    }
  }
  test_check(ok, "requantize random: x=%d multiplier=%d shift=%d", bad_x, bad_m, bad_s);
}

typedef struct s8_case {
  int32_t m, n, k, pad;
  int32_t za, zb, zc, qmin, qmax;
  bool bias, per_channel;
} s8_case_t;

static void run_s8(test_rng_t *rng, const s8_case_t *sc) {
  kiln_gemm_s8_params_t p = {0};
  p.m = sc->m;
  p.n = sc->n;
  p.k = sc->k;
  p.lda = sc->k + sc->pad;
  p.ldb = sc->n + sc->pad;
  p.ldc = sc->n + sc->pad;
  p.a_zero_point = sc->za;
  p.b_zero_point = sc->zb;
  p.c_zero_point = sc->zc;
  p.multiplier = test_rng_int(rng, INT32_C(1) << 30, INT32_MAX);
  p.shift = test_rng_int(rng, 5, 12);
  p.qmin = sc->qmin;
  p.qmax = sc->qmax;
  const size_t a_size = (size_t)p.m * p.lda, b_size = (size_t)p.k * p.ldb;
  const size_t c_size = (size_t)p.m * p.ldc;
  int8_t *a = checked_malloc(a_size);
  int8_t *b = checked_malloc(b_size);
  int32_t *bias = checked_malloc((size_t)p.n * sizeof *bias);
  int32_t *mults = checked_malloc((size_t)p.n * sizeof *mults);
  int32_t *shifts = checked_malloc((size_t)p.n * sizeof *shifts);
  int32_t *c32 = checked_malloc(c_size * sizeof *c32);
  int8_t *c8 = checked_malloc(c_size);
  for (size_t i = 0; i < a_size; i++) {
    a[i] = (int8_t)test_rng_int(rng, -128, 127);
  }
  for (size_t i = 0; i < b_size; i++) {
    b[i] = (int8_t)test_rng_int(rng, -128, 127);
  }
  for (int32_t j = 0; j < p.n; j++) {
    bias[j] = test_rng_int(rng, -100000, 100000);
    mults[j] = test_rng_int(rng, INT32_C(1) << 30, INT32_MAX);
    shifts[j] = test_rng_int(rng, 5, 12);
  }
  for (size_t i = 0; i < c_size; i++) {
    c32[i] = 77;
    c8[i] = 77;
  }
  const int32_t *bp = sc->bias ? bias : NULL;
  kiln_gemm_s8s8s32(&p, a, b, bp, c32);
  kiln_gemm_s8s8s8(&p, a, b, bp, sc->per_channel ? mults : NULL, sc->per_channel ? shifts : NULL,
                   c8);
  bool ok32 = true, ok8 = true;
  size_t bad32 = 0, bad8 = 0;
  long long got32 = 0, want32 = 0, got8 = 0, want8 = 0;
  for (int32_t i = 0; i < p.m; i++) {
    for (int32_t j = 0; j < p.ldc; j++) {
      const size_t o = (size_t)i * p.ldc + j;
      int64_t w32 = 77, w8 = 77;
      if (j < p.n) {
        int64_t acc = bp != NULL ? bp[j] : 0;
        for (int32_t q = 0; q < p.k; q++) {
          acc += ((int64_t)a[(size_t)i * p.lda + q] - sc->za) *
                 ((int64_t)b[(size_t)q * p.ldb + j] - sc->zb);
        }
        w32 = acc;
        int32_t mult = sc->per_channel ? mults[j] : p.multiplier;
        int32_t shift = sc->per_channel ? shifts[j] : p.shift;
        w8 = ref_requantize((int32_t)acc, mult, shift) + sc->zc;
        w8 = w8 < sc->qmin ? sc->qmin : (w8 > sc->qmax ? sc->qmax : w8);
      }
      if (ok32 && c32[o] != w32) {
        ok32 = false;
        bad32 = o;
        got32 = c32[o];
        want32 = w32;
      }
      if (ok8 && c8[o] != w8) {
        ok8 = false;
        bad8 = o;
        got8 = c8[o];
        want8 = w8;
      }
    }
  }
  test_check(
      ok32,
      "gemm_s8s8s32 m=%d n=%d k=%d pad=%d za=%d zb=%d bias=%d: element %zu is %lld, want %lld", p.m,
      p.n, p.k, sc->pad, sc->za, sc->zb, sc->bias, bad32, got32, want32);
  test_check(ok8,
             "gemm_s8s8s8 m=%d n=%d k=%d pad=%d za=%d zb=%d zc=%d clamp [%d, %d] bias=%d "
             "per_channel=%d: element %zu is %lld, want %lld",
             p.m, p.n, p.k, sc->pad, sc->za, sc->zb, sc->zc, sc->qmin, sc->qmax, sc->bias,
             sc->per_channel, bad8, got8, want8);
  free(a);
  free(b);
  free(bias);
  free(mults);
  free(shifts);
  free(c32);
  free(c8);
}

void test_gemm_s8(void) {
  requantize_cases();
  test_rng_t rng;
  test_rng_seed(&rng, 5);
  static const s8_case_t cases[] = {
      {1, 1, 1, 0, 0, 0, 0, -128, 127, false, false},
      {3, 5, 7, 0, 3, -2, 1, -128, 127, true, false},
      {17, 70, 33, 2, -128, 127, -5, -128, 127, true, true},
      {8, 130, 300, 1, 10, 0, 0, 0, 127, true, false},
      {5, 64, 65, 0, -3, 4, -20, -20, 40, false, true},
      {4, 3, 0, 0, 1, 1, 3, -128, 127, true, false},
      {0, 3, 4, 0, 0, 0, 0, -128, 127, true, false},
      {2, 9, 2000, 0, 127, -128, 0, -128, 127, false, false},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    run_s8(&rng, &cases[c]);
  }
}

typedef struct conv_s8_case {
  int32_t batch, in_channels, in_h, in_w, out_channels;
  int32_t kernel_h, kernel_w, stride_h, stride_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t dilation_h, dilation_w, groups;
  int32_t zx, zw, zy, qmin, qmax;
  bool bias, per_channel;
} conv_s8_case_t;

static void run_conv_s8(test_rng_t *rng, const conv_s8_case_t *cc) {
  kiln_conv2d_s8_params_t p = {0};
  p.batch = cc->batch;
  p.in_channels = cc->in_channels;
  p.in_h = cc->in_h;
  p.in_w = cc->in_w;
  p.out_channels = cc->out_channels;
  p.out_h = (cc->in_h + cc->pad_top + cc->pad_bottom - cc->dilation_h * (cc->kernel_h - 1) - 1) /
                cc->stride_h +
            1;
  p.out_w = (cc->in_w + cc->pad_left + cc->pad_right - cc->dilation_w * (cc->kernel_w - 1) - 1) /
                cc->stride_w +
            1;
  p.kernel_h = cc->kernel_h;
  p.kernel_w = cc->kernel_w;
  p.stride_h = cc->stride_h;
  p.stride_w = cc->stride_w;
  p.pad_top = cc->pad_top;
  p.pad_left = cc->pad_left;
  p.dilation_h = cc->dilation_h;
  p.dilation_w = cc->dilation_w;
  p.groups = cc->groups;
  p.x_zero_point = cc->zx;
  p.w_zero_point = cc->zw;
  p.y_zero_point = cc->zy;
  p.multiplier = test_rng_int(rng, INT32_C(1) << 30, INT32_MAX);
  p.shift = test_rng_int(rng, 6, 10);
  p.qmin = cc->qmin;
  p.qmax = cc->qmax;
  const int32_t gi = p.in_channels / p.groups, go = p.out_channels / p.groups;
  const size_t x_size = (size_t)p.batch * p.in_channels * p.in_h * p.in_w;
  const size_t w_size = (size_t)p.out_channels * gi * p.kernel_h * p.kernel_w;
  const size_t y_size = (size_t)p.batch * p.out_channels * p.out_h * p.out_w;
  int8_t *x = checked_malloc(x_size);
  int8_t *w = checked_malloc(w_size);
  int32_t *bias = checked_malloc((size_t)p.out_channels * sizeof *bias);
  int32_t *mults = checked_malloc((size_t)p.out_channels * sizeof *mults);
  int32_t *shifts = checked_malloc((size_t)p.out_channels * sizeof *shifts);
  int8_t *y = checked_malloc(y_size);
  for (size_t i = 0; i < x_size; i++) {
    x[i] = (int8_t)test_rng_int(rng, -128, 127);
  }
  for (size_t i = 0; i < w_size; i++) {
    w[i] = (int8_t)test_rng_int(rng, -128, 127);
  }
  for (int32_t oc = 0; oc < p.out_channels; oc++) {
    bias[oc] = test_rng_int(rng, -20000, 20000);
    mults[oc] = test_rng_int(rng, INT32_C(1) << 30, INT32_MAX);
    shifts[oc] = test_rng_int(rng, 6, 10);
  }
  kiln_conv2d_s8(&p, x, w, cc->bias ? bias : NULL, cc->per_channel ? mults : NULL,
                 cc->per_channel ? shifts : NULL, y);
  bool ok = true;
  size_t bad = 0;
  long long got = 0, want = 0;
  for (int32_t n = 0; n < p.batch && ok; n++) {
    for (int32_t oc = 0; oc < p.out_channels && ok; oc++) {
      for (int32_t oh = 0; oh < p.out_h && ok; oh++) {
        for (int32_t ow = 0; ow < p.out_w && ok; ow++) {
          int64_t acc = cc->bias ? bias[oc] : 0;
          for (int32_t ic = 0; ic < gi; ic++) {
            const int32_t c = (oc / go) * gi + ic;
            for (int32_t kh = 0; kh < p.kernel_h; kh++) {
              for (int32_t kw = 0; kw < p.kernel_w; kw++) {
                int32_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
                int32_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
                if (ih < 0 || ih >= p.in_h || iw < 0 || iw >= p.in_w) {
                  continue;
                }
                int64_t xv = x[(((size_t)n * p.in_channels + c) * p.in_h + ih) * p.in_w + iw];
                int64_t wv = w[(((size_t)oc * gi + ic) * p.kernel_h + kh) * p.kernel_w + kw];
                acc += (xv - cc->zx) * (wv - cc->zw);
              }
            }
          }
          int32_t mult = cc->per_channel ? mults[oc] : p.multiplier;
          int32_t shift = cc->per_channel ? shifts[oc] : p.shift;
          int64_t v = ref_requantize((int32_t)acc, mult, shift) + cc->zy;
          v = v < cc->qmin ? cc->qmin : (v > cc->qmax ? cc->qmax : v);
          size_t o = (((size_t)n * p.out_channels + oc) * p.out_h + oh) * p.out_w + ow;
          if (y[o] != v) {
            ok = false;
            bad = o;
            got = y[o];
            want = v;
          }
        }
      }
    }
  }
  test_check(ok,
             "conv2d_s8 n=%d c=%d %dx%d -> oc=%d %dx%d kernel %dx%d strides %d,%d pads %d,%d,%d,%d "
             "dilations %d,%d groups %d zx=%d zw=%d zy=%d clamp [%d, %d] bias=%d per_channel=%d: "
             "element %zu is %lld, want %lld",
             p.batch, p.in_channels, p.in_h, p.in_w, p.out_channels, p.out_h, p.out_w, p.kernel_h,
             p.kernel_w, p.stride_h, p.stride_w, cc->pad_top, cc->pad_left, cc->pad_bottom,
             cc->pad_right, p.dilation_h, p.dilation_w, p.groups, cc->zx, cc->zw, cc->zy, cc->qmin,
             cc->qmax, cc->bias, cc->per_channel, bad, got, want);
  free(x);
  free(w);
  free(bias);
  free(mults);
  free(shifts);
  free(y);
}

void test_conv2d_s8(void) {
  test_rng_t rng;
  test_rng_seed(&rng, 7);
  static const conv_s8_case_t cases[] = {
      {1, 1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, -128, 127, false, false},
      {2, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5, -3, 2, -128, 127, true, true},
      {1, 4, 10, 11, 6, 3, 2, 2, 3, 1, 0, 2, 1, 1, 1, 2, -128, 0, -10, -10, 127, true, false},
      {1, 6, 9, 8, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 3, 127, 127, 0, -128, 127, true, true},
      {1, 8, 12, 70, 8, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 8, -7, 0, 3, 3, 100, true, true},
      {1, 2, 3, 3, 2, 5, 5, 1, 1, 3, 3, 3, 3, 1, 1, 1, 9, 1, -1, -128, 127, true, false},
      {1, 16, 6, 6, 8, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, -128, 127, false, true},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    run_conv_s8(&rng, &cases[c]);
  }
}

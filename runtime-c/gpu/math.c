/*
 * Kiln's math functions for device code (NVPTX has no libm and LLVM cannot lower llvm.exp,
 * llvm.log or llvm.tanh there): the C <math.h> functions Loop IR needs, in double precision,
 * built from add, multiply, fused multiply-add, division, sqrt, rint and bit operations only.
 * f32 callers widen, call and round, so an f32 result is within one f32 ulp of the true value.
 *
 * Accuracy (double): within a few ulp for exp, log, log1p, expm1, sinh, cosh, tanh, atan, atan2,
 * asin, acos, asinh, acosh, atanh, erf; pow is exp(y * log|x|), whose relative error grows with
 * |y * log|x|| (at most about 1e-13 before overflow); sin, cos and tan reduce by a three-part
 * pi/2 and lose accuracy beyond |x| ~ 1e9 (their results are meaningless beyond 2^50). Special values (NaN, infinities, signed zeros) follow
 * C's Annex F. fmod is exact.
 *
 * Freestanding: no libc, no globals, reentrant.
 */
#include <stdint.h>

typedef union {
  double d;
  uint64_t u;
} kiln_bits_t;

#define KILN_INF __builtin_inf()
#define KILN_NAN __builtin_nan("")
#define KILN_LN2_HI 0x1.62e42fefa39efp-1
#define KILN_LN2_LO 0x1.abc9e3b39803fp-56
#define KILN_LOG2E 0x1.71547652b82fep0
#define KILN_PI 0x1.921fb54442d18p1
#define KILN_PI_LO 0x1.1a62633145c07p-53
#define KILN_PIO2 0x1.921fb54442d18p0
#define KILN_PIO2_LO 0x1.1a62633145c07p-54

static double kiln_from_bits(uint64_t u) {
  kiln_bits_t b;
  b.u = u;
  return b.d;
}

static uint64_t kiln_to_bits(double d) {
  kiln_bits_t b;
  b.d = d;
  return b.u;
}

static int kiln_isnan(double x) { return x != x; }

static double kiln_fabs(double x) {
  return kiln_from_bits(kiln_to_bits(x) & 0x7fffffffffffffffULL);
}

static double kiln_copysign(double x, double sign) {
  return kiln_from_bits((kiln_to_bits(x) & 0x7fffffffffffffffULL) |
                        (kiln_to_bits(sign) & 0x8000000000000000ULL));
}

static int kiln_signbit(double x) { return (int)(kiln_to_bits(x) >> 63); }

/* r * 2^k for any k; exact unless the result overflows or is subnormal. */
static double kiln_scale(double r, int k) {
  while (k > 1023) {
    r *= 0x1p1023;
    k -= 1023;
    if (r == KILN_INF || r == -KILN_INF) {
      return r;
    }
  }
  while (k < -1022) {
    r *= 0x1p-1022;
    k += 1022;
    if (r == 0) {
      return r;
    }
  }
  return r * kiln_from_bits((uint64_t)(k + 1023) << 52);
}

/* The exponent of a finite nonzero x: |x| in [2^e, 2^(e+1)). */
static int kiln_ilogb(double x) {
  int adjust = 0;
  if (kiln_fabs(x) < 0x1p-1022) {
    x *= 0x1p54;
    adjust = -54;
  }
  return (int)((kiln_to_bits(x) >> 52) & 0x7ff) - 1023 + adjust;
}

double kiln_gpu_exp(double x) {
  if (kiln_isnan(x)) {
    return x;
  }
  if (x > 709.782712893384) {
    return KILN_INF;
  }
  if (x < -745.1332191019412) {
    return 0.0;
  }
  double k = __builtin_rint(x * KILN_LOG2E);
  double r = __builtin_fma(-k, KILN_LN2_HI, x);
  r = __builtin_fma(-k, KILN_LN2_LO, r);
  /* |r| <= ln(2)/2: the Taylor series to r^13 leaves a relative error below 1e-17. */
  double p = 1.0 / 6227020800.0;
  p = __builtin_fma(p, r, 1.0 / 479001600.0);
  p = __builtin_fma(p, r, 1.0 / 39916800.0);
  p = __builtin_fma(p, r, 1.0 / 3628800.0);
  p = __builtin_fma(p, r, 1.0 / 362880.0);
  p = __builtin_fma(p, r, 1.0 / 40320.0);
  p = __builtin_fma(p, r, 1.0 / 5040.0);
  p = __builtin_fma(p, r, 1.0 / 720.0);
  p = __builtin_fma(p, r, 1.0 / 120.0);
  p = __builtin_fma(p, r, 1.0 / 24.0);
  p = __builtin_fma(p, r, 1.0 / 6.0);
  p = __builtin_fma(p, r, 0.5);
  p = __builtin_fma(p, r, 1.0);
  p = __builtin_fma(p, r, 1.0);
  return kiln_scale(p, (int)k);
}

double kiln_gpu_log(double x) {
  if (kiln_isnan(x)) {
    return x;
  }
  if (x < 0) {
    return KILN_NAN;
  }
  if (x == 0) {
    return -KILN_INF;
  }
  if (x == KILN_INF) {
    return x;
  }
  int e = kiln_ilogb(x);
  double m = kiln_scale(x, -e);
  if (m > 0x1.6a09e667f3bcdp0) {
    m *= 0.5;
    e += 1;
  }
  /* log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172: the series to s^23. */
  double s = (m - 1.0) / (m + 1.0);
  double s2 = s * s;
  double p = 1.0 / 23.0;
  p = __builtin_fma(p, s2, 1.0 / 21.0);
  p = __builtin_fma(p, s2, 1.0 / 19.0);
  p = __builtin_fma(p, s2, 1.0 / 17.0);
  p = __builtin_fma(p, s2, 1.0 / 15.0);
  p = __builtin_fma(p, s2, 1.0 / 13.0);
  p = __builtin_fma(p, s2, 1.0 / 11.0);
  p = __builtin_fma(p, s2, 1.0 / 9.0);
  p = __builtin_fma(p, s2, 1.0 / 7.0);
  p = __builtin_fma(p, s2, 1.0 / 5.0);
  p = __builtin_fma(p, s2, 1.0 / 3.0);
  double logm = 2.0 * s + 2.0 * s * s2 * p;
  return __builtin_fma((double)e, KILN_LN2_HI, __builtin_fma((double)e, KILN_LN2_LO, logm));
}

/* log(1 + u) without losing u's low bits (Goldberg). */
static double kiln_log1p(double u) {
  double w = 1.0 + u;
  if (w == 1.0 || kiln_isnan(u)) {
    return u;
  }
  if (w == KILN_INF) {
    return w;
  }
  return kiln_gpu_log(w) * (u / (w - 1.0));
}

/* e^x - 1, accurate near 0: the Taylor series to x^17 below |x| = 0.5. */
static double kiln_expm1(double x) {
  if (x == 0.0) {
    return x;
  }
  if (kiln_fabs(x) < 0.5) {
    double term = x;
    double sum = x;
    for (int n = 2; n <= 17; n++) {
      term *= x / n;
      sum += term;
    }
    return sum;
  }
  if (x < -40.0) {
    return -1.0;
  }
  return kiln_gpu_exp(x) - 1.0;
}

double kiln_gpu_log1p(double x) { return kiln_log1p(x); }

double kiln_gpu_expm1(double x) { return kiln_expm1(x); }

/* sin(r) and cos(r) for |r| <= pi/4 (Taylor to r^21 and r^20). */
static double kiln_sin_kernel(double r) {
  double r2 = r * r;
  double p = -1.0 / 51090942171709440000.0;
  p = __builtin_fma(p, r2, 1.0 / 121645100408832000.0);
  p = __builtin_fma(p, r2, -1.0 / 355687428096000.0);
  p = __builtin_fma(p, r2, 1.0 / 1307674368000.0);
  p = __builtin_fma(p, r2, -1.0 / 6227020800.0);
  p = __builtin_fma(p, r2, 1.0 / 39916800.0);
  p = __builtin_fma(p, r2, -1.0 / 362880.0);
  p = __builtin_fma(p, r2, 1.0 / 5040.0);
  p = __builtin_fma(p, r2, -1.0 / 120.0);
  p = __builtin_fma(p, r2, 1.0 / 6.0);
  return r - r * r2 * p;
}

static double kiln_cos_kernel(double r) {
  double r2 = r * r;
  double p = 1.0 / 2432902008176640000.0;
  p = __builtin_fma(p, r2, -1.0 / 6402373705728000.0);
  p = __builtin_fma(p, r2, 1.0 / 20922789888000.0);
  p = __builtin_fma(p, r2, -1.0 / 87178291200.0);
  p = __builtin_fma(p, r2, 1.0 / 479001600.0);
  p = __builtin_fma(p, r2, -1.0 / 3628800.0);
  p = __builtin_fma(p, r2, 1.0 / 40320.0);
  p = __builtin_fma(p, r2, -1.0 / 720.0);
  p = __builtin_fma(p, r2, 1.0 / 24.0);
  p = __builtin_fma(p, r2, -0.5);
  return __builtin_fma(r2, p, 1.0);
}

/* x = k pi/2 + r, |r| <= pi/4; returns r and k mod 4 in *quadrant. */
static double kiln_reduce_pio2(double x, int *quadrant) {
  double k = __builtin_rint(x * 0x1.45f306dc9c883p-1);
  double r = __builtin_fma(-k, 0x1.921fb54442d18p0, x);
  r = __builtin_fma(-k, 0x1.1a62633145c07p-54, r);
  r = __builtin_fma(-k, -0x1.f1976b7ed8fbcp-110, r);
  double q = k - 4.0 * __builtin_floor(k * 0.25);
  *quadrant = (int)q;
  return r;
}

double kiln_gpu_sin(double x) {
  if (kiln_isnan(x) || kiln_fabs(x) == KILN_INF) {
    return KILN_NAN;
  }
  if (kiln_fabs(x) < 0x1p-26) {
    return x;
  }
  int q;
  double r = kiln_reduce_pio2(x, &q);
  switch (q) {
  case 0:
    return kiln_sin_kernel(r);
  case 1:
    return kiln_cos_kernel(r);
  case 2:
    return -kiln_sin_kernel(r);
  default:
    return -kiln_cos_kernel(r);
  }
}

double kiln_gpu_cos(double x) {
  if (kiln_isnan(x) || kiln_fabs(x) == KILN_INF) {
    return KILN_NAN;
  }
  int q;
  double r = kiln_reduce_pio2(x, &q);
  switch (q) {
  case 0:
    return kiln_cos_kernel(r);
  case 1:
    return -kiln_sin_kernel(r);
  case 2:
    return -kiln_cos_kernel(r);
  default:
    return kiln_sin_kernel(r);
  }
}

double kiln_gpu_tan(double x) {
  if (kiln_isnan(x) || kiln_fabs(x) == KILN_INF) {
    return KILN_NAN;
  }
  if (kiln_fabs(x) < 0x1p-26) {
    return x;
  }
  int q;
  double r = kiln_reduce_pio2(x, &q);
  double s = kiln_sin_kernel(r);
  double c = kiln_cos_kernel(r);
  return (q & 1) ? -c / s : s / c;
}

double kiln_gpu_atan(double x) {
  if (kiln_isnan(x)) {
    return x;
  }
  double a = kiln_fabs(x);
  int inverted = a > 1.0;
  if (inverted) {
    a = 1.0 / a;
  }
  /* atan(a) = 2 atan(a / (1 + sqrt(1 + a^2))), twice: |a| <= tan(pi/16) < 0.2. */
  a = a / (1.0 + __builtin_sqrt(1.0 + a * a));
  a = a / (1.0 + __builtin_sqrt(1.0 + a * a));
  double a2 = a * a;
  double p = -1.0 / 31.0;
  for (int n = 29; n >= 3; n -= 2) {
    p = __builtin_fma(p, a2, ((n >> 1) & 1) ? -1.0 / n : 1.0 / n);
  }
  double r = 4.0 * __builtin_fma(a * a2, p, a);
  if (inverted) {
    r = (KILN_PIO2 - r) + KILN_PIO2_LO;
  }
  return kiln_copysign(r, x);
}

double kiln_gpu_atan2(double y, double x) {
  if (kiln_isnan(x) || kiln_isnan(y)) {
    return x + y;
  }
  double ay = kiln_fabs(y);
  double ax = kiln_fabs(x);
  double r;
  if (ay == 0.0) {
    r = kiln_signbit(x) ? KILN_PI : 0.0;
  } else if (ax == 0.0) {
    r = KILN_PIO2;
  } else if (ay == KILN_INF) {
    r = ax == KILN_INF ? (kiln_signbit(x) ? 3.0 * KILN_PI / 4.0 : KILN_PI / 4.0) : KILN_PIO2;
  } else if (ax == KILN_INF) {
    r = kiln_signbit(x) ? KILN_PI : 0.0;
  } else {
    r = kiln_gpu_atan(ay / ax);
    if (kiln_signbit(x)) {
      r = (KILN_PI - r) + KILN_PI_LO;
    }
  }
  return kiln_copysign(r, y);
}

double kiln_gpu_asin(double x) {
  return kiln_gpu_atan2(x, __builtin_sqrt((1.0 - x) * (1.0 + x)));
}

double kiln_gpu_acos(double x) {
  return kiln_gpu_atan2(__builtin_sqrt((1.0 - x) * (1.0 + x)), x);
}

double kiln_gpu_sinh(double x) {
  double a = kiln_fabs(x);
  double r;
  if (a < 1.0) {
    double term = a;
    r = a;
    for (int n = 3; n <= 19; n += 2) {
      term *= a * a / ((n - 1) * n);
      r += term;
    }
  } else if (a < 709.0) {
    double e = kiln_gpu_exp(a);
    r = 0.5 * (e - 1.0 / e);
  } else {
    double h = kiln_gpu_exp(0.5 * a);
    r = (0.5 * h) * h;
  }
  return kiln_copysign(r, x);
}

double kiln_gpu_cosh(double x) {
  double a = kiln_fabs(x);
  if (a < 709.0) {
    double e = kiln_gpu_exp(a);
    return 0.5 * (e + 1.0 / e);
  }
  double h = kiln_gpu_exp(0.5 * a);
  return (0.5 * h) * h;
}

double kiln_gpu_tanh(double x) {
  if (kiln_isnan(x)) {
    return x;
  }
  double a = kiln_fabs(x);
  double r;
  if (a > 22.0) {
    r = 1.0;
  } else {
    double t = kiln_expm1(2.0 * a);
    r = t / (t + 2.0);
  }
  return kiln_copysign(r, x);
}

double kiln_gpu_asinh(double x) {
  double a = kiln_fabs(x);
  double r;
  if (a > 0x1p500) {
    r = kiln_gpu_log(a) + KILN_LN2_HI;
  } else {
    r = kiln_log1p(a + a * a / (1.0 + __builtin_sqrt(1.0 + a * a)));
  }
  return kiln_copysign(r, x);
}

double kiln_gpu_acosh(double x) {
  if (x < 1.0) {
    return KILN_NAN;
  }
  if (x > 0x1p500) {
    return kiln_gpu_log(x) + KILN_LN2_HI;
  }
  double t = x - 1.0;
  return kiln_log1p(t + __builtin_sqrt(2.0 * t + t * t));
}

double kiln_gpu_atanh(double x) {
  double a = kiln_fabs(x);
  if (a > 1.0) {
    return KILN_NAN;
  }
  return kiln_copysign(0.5 * kiln_log1p(2.0 * a / (1.0 - a)), x);
}

double kiln_gpu_erf(double x) {
  if (kiln_isnan(x)) {
    return x;
  }
  double a = kiln_fabs(x);
  double r;
  if (a < 2.0) {
    /* erf(a) = 2/sqrt(pi) sum (-1)^n a^(2n+1) / (n! (2n+1)); terms fall below 1e-17 by n = 40. */
    double term = a;
    double sum = a;
    double a2 = a * a;
    for (int n = 1; n <= 40; n++) {
      term *= -a2 / n;
      sum += term / (2 * n + 1);
    }
    r = sum * 0x1.20dd750429b6dp0;
  } else if (a < 6.0) {
    /* erfc(a) = e^(-a^2) / sqrt(pi) / (a + (1/2) / (a + 1 / (a + (3/2) / (a + ...)))). */
    double f = a;
    for (int k = 120; k >= 1; k--) {
      f = a + (0.5 * k) / f;
    }
    r = 1.0 - kiln_gpu_exp(-a * a) * 0x1.20dd750429b6dp-1 / f;
  } else {
    r = 1.0;
  }
  return kiln_copysign(r, x);
}

double kiln_gpu_fmod(double x, double y) {
  if (kiln_isnan(x) || kiln_isnan(y) || kiln_fabs(x) == KILN_INF || y == 0.0) {
    return KILN_NAN;
  }
  double a = kiln_fabs(x);
  double b = kiln_fabs(y);
  if (a < b || b == KILN_INF) {
    return x;
  }
  int eb = kiln_ilogb(b);
  while (a >= b) {
    /* t = b 2^n with t <= a < 2t: a - t is exact. */
    double t = kiln_scale(b, kiln_ilogb(a) - eb);
    if (t > a) {
      t *= 0.5;
    }
    a -= t;
  }
  return kiln_copysign(a, x);
}

/* Whether y (finite) is an integer, and whether an odd one. */
static int kiln_integer_kind(double y) {
  if (__builtin_rint(y) != y) {
    return 0;
  }
  if (kiln_fabs(y) >= 0x1p53) {
    return 2;
  }
  return ((int64_t)y & 1) ? 1 : 2;
}

double kiln_gpu_pow(double x, double y) {
  if (y == 0.0 || x == 1.0) {
    return 1.0;
  }
  if (kiln_isnan(x) || kiln_isnan(y)) {
    return x + y;
  }
  double ax = kiln_fabs(x);
  if (kiln_fabs(y) == KILN_INF) {
    if (ax == 1.0) {
      return 1.0;
    }
    return (ax < 1.0) == (y > 0) ? 0.0 : KILN_INF;
  }
  int kind = kiln_integer_kind(y);
  int negate = kiln_signbit(x) && kind == 1;
  if (ax == 0.0 || ax == KILN_INF) {
    double r = (ax == 0.0) == (y < 0) ? KILN_INF : 0.0;
    return negate ? -r : r;
  }
  if (x < 0 && kind == 0) {
    return KILN_NAN;
  }
  double r = kiln_gpu_exp(y * kiln_gpu_log(ax));
  return negate ? -r : r;
}

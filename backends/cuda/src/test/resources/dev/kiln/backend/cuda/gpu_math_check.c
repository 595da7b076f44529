/* Compares runtime-c/gpu/math.c with the host's libm on seeded random arguments and special
   values; prints the worst error of each function in ulps and exits 1 when one exceeds its bound. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

double kiln_gpu_exp(double), kiln_gpu_log(double), kiln_gpu_sin(double), kiln_gpu_cos(double),
    kiln_gpu_tan(double), kiln_gpu_atan(double), kiln_gpu_asin(double), kiln_gpu_acos(double),
    kiln_gpu_sinh(double), kiln_gpu_cosh(double), kiln_gpu_tanh(double), kiln_gpu_asinh(double),
    kiln_gpu_acosh(double), kiln_gpu_atanh(double), kiln_gpu_erf(double), kiln_gpu_log1p(double),
    kiln_gpu_expm1(double);
double kiln_gpu_atan2(double, double), kiln_gpu_fmod(double, double), kiln_gpu_pow(double, double);

static uint64_t state = 0x9e3779b97f4a7c15ULL;

static double uniform(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (double)(state >> 11) / 9007199254740992.0;
}

/* |a - b| in units of b's last place; NaN equals NaN, signed zeros must agree. */
static double ulps(double a, double b) {
  if (isnan(a) && isnan(b)) {
    return 0;
  }
  if (a == b) {
    return signbit(a) == signbit(b) ? 0 : 1e30;
  }
  if (isnan(a) || isnan(b) || isinf(a) || isinf(b)) {
    return 1e30;
  }
  double u = nextafter(fabs(b), INFINITY) - fabs(b);
  return fabs(a - b) / (u > 0 ? u : 4.9e-324);
}

typedef double (*unary_t)(double);

static int failures = 0;

static void report(const char *name, double worst, double at, double bound) {
  printf("%-6s %8.3g ulp (at %.17g, bound %g)\n", name, worst, at, bound);
  if (!(worst <= bound)) {
    failures++;
  }
}

int main(void) {
  struct {
    const char *name;
    unary_t kiln, libm;
    double lo, hi, bound;
  } t[] = {
      {"exp", kiln_gpu_exp, exp, -750, 750, 2},      {"log", kiln_gpu_log, log, 0, 1e10, 3},
      {"sin", kiln_gpu_sin, sin, -100, 100, 2},      {"cos", kiln_gpu_cos, cos, -100, 100, 2},
      {"tan", kiln_gpu_tan, tan, -10, 10, 4},        {"atan", kiln_gpu_atan, atan, -50, 50, 8},
      {"asin", kiln_gpu_asin, asin, -1.1, 1.1, 8},   {"acos", kiln_gpu_acos, acos, -1.1, 1.1, 8},
      {"sinh", kiln_gpu_sinh, sinh, -720, 720, 8},   {"cosh", kiln_gpu_cosh, cosh, -720, 720, 8},
      {"tanh", kiln_gpu_tanh, tanh, -30, 30, 8},     {"asinh", kiln_gpu_asinh, asinh, -1e5, 1e5, 8},
      {"acosh", kiln_gpu_acosh, acosh, 0.5, 1e5, 8}, {"atanh", kiln_gpu_atanh, atanh, -1.1, 1.1, 8},
      {"erf", kiln_gpu_erf, erf, -7, 7, 32},         {"log1p", kiln_gpu_log1p, log1p, -1, 10, 8},
      {"expm1", kiln_gpu_expm1, expm1, -50, 50, 8},
  };
  double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1.0, -1.0, 1e-310, -1e-310, 0.5};
  for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
    double worst = 0, at = 0;
    for (int j = 0; j < 100000; j++) {
      double x = t[i].lo + (t[i].hi - t[i].lo) * uniform();
      x *= j % 4 == 0 ? 1e-3 : j % 8 == 1 ? 1e-9 : 1;
      double e = ulps(t[i].kiln(x), t[i].libm(x));
      if (e > worst) {
        worst = e;
        at = x;
      }
    }
    for (unsigned j = 0; j < sizeof special / sizeof special[0]; j++) {
      double e = ulps(t[i].kiln(special[j]), t[i].libm(special[j]));
      if (e > worst) {
        worst = e;
        at = special[j];
      }
    }
    report(t[i].name, worst, at, t[i].bound);
  }
  double pairs[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 1.0, -1.0, 2.0, -2.0, 0.5,
                    -0.5, 3.0, -3.0, 1e-310, 2.5, -7.25, 1e300, -1e300};
  unsigned n = sizeof pairs / sizeof pairs[0];
  double w[3] = {0, 0, 0}, at[3] = {0, 0, 0};
  for (unsigned a = 0; a < n; a++) {
    for (unsigned b = 0; b < n; b++) {
      double x = pairs[a], y = pairs[b];
      double e[3] = {ulps(kiln_gpu_atan2(y, x), atan2(y, x)),
                     ulps(kiln_gpu_fmod(x, y), fmod(x, y)),
                     fabs(x) > 1e299 || fabs(x) < 1e-300
                         ? (isnan(pow(x, y)) == isnan(kiln_gpu_pow(x, y)) ? 0 : 1e30)
                         : ulps(kiln_gpu_pow(x, y), pow(x, y))};
      for (int k = 0; k < 3; k++) {
        if (e[k] > w[k]) {
          w[k] = e[k];
          at[k] = x;
        }
      }
    }
  }
  for (int j = 0; j < 100000; j++) {
    double x = (uniform() - 0.5) * 200, y = (uniform() - 0.5) * 200;
    y *= j % 3 == 0 ? 1e-3 : 1;
    double e[3] = {ulps(kiln_gpu_atan2(y, x), atan2(y, x)), ulps(kiln_gpu_fmod(x, y), fmod(x, y)),
                   ulps(kiln_gpu_pow(fabs(x) / 10, y / 10), pow(fabs(x) / 10, y / 10))};
    for (int k = 0; k < 3; k++) {
      if (e[k] > w[k]) {
        w[k] = e[k];
        at[k] = x;
      }
    }
  }
  report("atan2", w[0], at[0], 8);
  report("fmod", w[1], at[1], 0);
  report("pow", w[2], at[2], 256);
  return failures == 0 ? 0 : 1;
}

package dev.kiln.ir.op;

/** Special functions the JDK lacks, accurate to double precision where it matters. */
public final class Special {

  private Special() {}

  /**
   * The error function: its Taylor series below |x| = 3 (where terms stay small enough for double
   * precision), and {@code 1 - erfc(x)} from the continued fraction of erfc above.
   */
  public static double erf(double x) {
    if (Double.isNaN(x)) {
      return x;
    }
    double a = Math.abs(x);
    if (a < 3) {
      double sum = 0;
      double term = a;
      for (int n = 0; n < 100; n++) {
        double t = term / (2 * n + 1);
        sum += t;
        if (Math.abs(t) < 1e-17 * Math.abs(sum)) {
          break;
        }
        term *= (-a * a) / (n + 1);
      }
      return Math.copySign((2 / Math.sqrt(Math.PI)) * sum, x);
    }
    double f = a;
    for (int k = 60; k >= 1; k--) {
      f = a + k / 2.0 / f;
    }
    double erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
    return Math.copySign(1 - erfc, x);
  }
}

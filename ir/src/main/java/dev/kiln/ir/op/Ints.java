package dev.kiln.ir.op;

/** Exact integer arithmetic with the error messages ops report. */
public final class Ints {

  private Ints() {}

  /** Quotient truncated toward zero; division by zero is an error. */
  public static long divide(long a, long b) {
    OpError.check(b != 0, "integer division by zero");
    return a / b;
  }

  /** Remainder with the sign of the dividend. */
  public static long remainder(long a, long b) {
    OpError.check(b != 0, "integer division by zero");
    return a % b;
  }

  /** Remainder with the sign of the divisor. */
  public static long floorMod(long a, long b) {
    OpError.check(b != 0, "integer division by zero");
    return Math.floorMod(a, b);
  }

  /** {@code a^b} by repeated squaring, wrapping like C; negative exponents give 0 unless |a| = 1. */
  public static long pow(long a, long b) {
    if (b < 0) {
      return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0;
    }
    long r = 1;
    long base = a;
    long e = b;
    while (e > 0) {
      if ((e & 1) == 1) {
        r *= base;
      }
      base *= base;
      e >>= 1;
    }
    return r;
  }
}

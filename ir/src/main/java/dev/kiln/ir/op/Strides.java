package dev.kiln.ir.op;

/** Row-major index arithmetic over static shapes. */
public final class Strides {

  private Strides() {}

  /** Row-major strides of {@code shape}, in elements. */
  public static long[] of(long[] shape) {
    long[] s = new long[shape.length];
    long acc = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc = Math.multiplyExact(acc, shape[i]);
    }
    return s;
  }

  /** Product of {@code shape[from..to)}. */
  public static long product(long[] shape, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      p = Math.multiplyExact(p, shape[i]);
    }
    return p;
  }

  /** Splits flat index {@code flat} into a multi-index over {@code shape}, written into {@code out}. */
  public static void unravel(long flat, long[] shape, long[] out) {
    for (int d = shape.length - 1; d >= 0; d--) {
      long s = shape[d];
      out[d] = s == 0 ? 0 : flat % s;
      flat = s == 0 ? 0 : flat / s;
    }
  }
}

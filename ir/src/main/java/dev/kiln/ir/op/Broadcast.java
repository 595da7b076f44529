package dev.kiln.ir.op;

/** Index arithmetic for reading a broadcast operand while walking the output shape. */
public final class Broadcast {

  private Broadcast() {}

  /** The row-major offset into an operand of shape {@code in} for output index {@code idx}. */
  public static long flatIndex(long[] idx, long[] out, long[] in) {
    long off = 0;
    int shift = out.length - in.length;
    for (int d = 0; d < in.length; d++) {
      long i = in[d] == 1 ? 0 : idx[d + shift];
      off = off * in[d] + i;
    }
    return off;
  }

  /** Advances a row-major multi-index over {@code shape}. */
  public static void increment(long[] idx, long[] shape) {
    for (int d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) {
        return;
      }
      idx[d] = 0;
    }
  }
}

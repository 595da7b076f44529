package dev.kiln.ir.op;

/**
 * Sliding-window iteration shared by convolution and pooling evaluation: maps an output position
 * and a kernel offset to the input position, or -1 when it falls into padding.
 */
final class WindowLoops {

  private WindowLoops() {}

  /**
   * Flat offset within one input plane of spatial shape {@code in} for output position {@code out}
   * and kernel position {@code k}; -1 when outside the input.
   */
  static long inputOffset(
    long[] out,
    long[] k,
    long[] in,
    long[] strides,
    long[] dilations,
    long[] padBegin
  ) {
    long off = 0;
    for (int d = 0; d < in.length; d++) {
      long p = out[d] * strides[d] - padBegin[d] + k[d] * dilations[d];
      if (p < 0 || p >= in[d]) {
        return -1;
      }
      off = off * in[d] + p;
    }
    return off;
  }

  static long[] spatial(long[] shape) {
    return java.util.Arrays.copyOfRange(shape, 2, shape.length);
  }

  static long[] orOnes(java.util.List<Long> v, int n) {
    long[] r = new long[n];
    for (int i = 0; i < n; i++) {
      r[i] = v.isEmpty() ? 1 : v.get(i);
    }
    return r;
  }

  static long[] padBegins(java.util.List<Long> pads, int n) {
    long[] r = new long[n];
    for (int i = 0; i < n; i++) {
      r[i] = pads.isEmpty() ? 0 : pads.get(i);
    }
    return r;
  }

  static long[] padEnds(java.util.List<Long> pads, int n) {
    long[] r = new long[n];
    for (int i = 0; i < n; i++) {
      r[i] = pads.isEmpty() ? 0 : pads.get(i + n);
    }
    return r;
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.Tensor;

/** Applies a function to every 1-D line of a tensor along one axis. */
public final class AxisWise {

  private AxisWise() {}

  /** Transforms one line in place. */
  @FunctionalInterface
  public interface Line {
    void apply(double[] values);
  }

  /** A tensor like {@code x} where every line along {@code axis} went through {@code f}. */
  public static Tensor map(Tensor x, long axis, Line f) {
    long[] s = x.shape().sizes();
    int a = Shapes.axis(axis, s.length);
    long outer = Strides.product(s, 0, a);
    long inner = Strides.product(s, a + 1, s.length);
    int n = Math.toIntExact(s[a]);
    Tensor.Builder b = new Tensor.Builder(x.type());
    double[] line = new double[n];
    for (long o = 0; o < outer; o++) {
      for (long i = 0; i < inner; i++) {
        for (int k = 0; k < n; k++) {
          line[k] = x.getDouble((o * n + k) * inner + i);
        }
        f.apply(line);
        for (int k = 0; k < n; k++) {
          b.setDouble((o * n + k) * inner + i, line[k]);
        }
      }
    }
    return b.build();
  }

  /** {@code v[k] = exp(v[k] - max) / sum}, or its logarithm when {@code log}. */
  public static void softmax(double[] v, boolean log) {
    double max = Double.NEGATIVE_INFINITY;
    for (double x : v) {
      max = Math.max(max, x);
    }
    double sum = 0;
    for (double x : v) {
      sum += Math.exp(x - max);
    }
    for (int k = 0; k < v.length; k++) {
      v[k] = log ? v[k] - max - Math.log(sum) : Math.exp(v[k] - max) / sum;
    }
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;

/** Rules shared by the ops that take an {@link Activation} epilogue and addends (bias, residual). */
final class Epilogue {

  private Epilogue() {}

  /** An activation other than {@code NONE} needs a floating-point result. */
  static void checkActivation(Activation a, TensorType out) {
    OpError.check(
      a == Activation.NONE || out.elementType().isFloat(),
      "activation %s needs a floating-point result, got %s",
      a.name().toLowerCase(java.util.Locale.ROOT),
      out
    );
  }

  /** An addend must have the result's element type and broadcast to the result's shape. */
  static void checkAddend(TensorType out, TensorType addend, String what) {
    OpError.check(
      addend.elementType() == out.elementType(),
      "%s type %s differs from result %s",
      what,
      addend,
      out
    );
    Shape b = Shapes.broadcast(out.shape(), addend.shape());
    OpError.check(
      b.equals(out.shape()),
      "%s %s does not broadcast to the result shape %s",
      what,
      addend,
      Shapes.dims(out.shape())
    );
  }

  /** The values of {@code t} broadcast to {@code out}, row-major. */
  static double[] expand(Tensor t, long[] out) {
    long[] in = t.shape().sizes();
    double[] v = t.toDoubles();
    if (java.util.Arrays.equals(in, out)) {
      return v;
    }
    long size = Strides.product(out, 0, out.length);
    double[] r = new double[Math.toIntExact(size)];
    long[] idx = new long[out.length];
    for (int i = 0; i < r.length; i++) {
      r[i] = v[(int) Broadcast.flatIndex(idx, out, in)];
      Broadcast.increment(idx, out);
    }
    return r;
  }
}

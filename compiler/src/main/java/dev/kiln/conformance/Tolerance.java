package dev.kiln.conformance;

import dev.kiln.ir.Tensor;

/**
 * Closeness test {@code |got - want| <= atol + rtol * |want|}; NaN equals NaN and infinities must
 * match exactly. Integer and boolean tensors are compared the same way on their values. Float8 and
 * float4 tensors, whose values come from one exact rounding, must match exactly by value (NaN equals
 * NaN, {@code -0} equals {@code +0}).
 */
public record Tolerance(double rtol, double atol) {
  /** The ONNX backend-test default: rtol 1e-3, atol 1e-7. */
  public static final Tolerance ONNX_NODE = new Tolerance(1e-3, 1e-7);

  /** Null when {@code got} matches {@code want}, otherwise the first difference in words. */
  public String mismatch(Tensor got, Tensor want) {
    if (got.elementType() != want.elementType()) {
      return "element type " + got.elementType() + ", expected " + want.elementType();
    }
    if (!got.shape().equals(want.shape())) {
      return "shape " + got.shape().dims() + ", expected " + want.shape().dims();
    }
    boolean exact = !want.elementType().isFloat();
    boolean exactFloat = want.elementType().isLowPrecisionFloat();
    for (long i = 0; i < want.size(); i++) {
      if (exactFloat) {
        double g = got.getDouble(i);
        double w = want.getDouble(i);
        if (!(g == w || (Double.isNaN(g) && Double.isNaN(w)))) {
          return "element " + i + " is " + g + ", expected " + w;
        }
        continue;
      }
      if (exact) {
        long g = got.getLong(i);
        long w = want.getLong(i);
        if (g != w) {
          return "element " + i + " is " + g + ", expected " + w;
        }
        continue;
      }
      double g = got.getDouble(i);
      double w = want.getDouble(i);
      if (!close(g, w)) {
        return "element " + i + " is " + g + ", expected " + w;
      }
    }
    return null;
  }

  private boolean close(double g, double w) {
    if (Double.isNaN(w) || Double.isNaN(g)) {
      return Double.isNaN(w) && Double.isNaN(g);
    }
    if (Double.isInfinite(w) || Double.isInfinite(g)) {
      return g == w;
    }
    return Math.abs(g - w) <= atol + rtol * Math.abs(w);
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = min(max(x, min), max)}; on integers exact. Output shape equals the input shape. ONNX {@code Clip}. */
public record Clip(double min, double max) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.clip").withDefaults(
    java.util.Map.of("min", Double.NEGATIVE_INFINITY, "max", Double.POSITIVE_INFINITY)
  );

  @Override
  public double apply(double x) {
    return Double.isNaN(x) ? x : Math.min(Math.max(x, min), max);
  }

  @Override
  public long applyInt(long x) {
    return Math.min(
      Math.max(x, (long) Math.max(min, Long.MIN_VALUE)),
      (long) Math.min(max, Long.MAX_VALUE)
    );
  }

  @Override
  public boolean acceptsIntegers() {
    return true;
  }

  @Override
  public Expr lowerScalar(Expr x) {
    if (x.type().isFloat()) {
      Expr lo = min == Double.NEGATIVE_INFINITY ? x : Ex.max(x, Ex.like(x, min));
      return max == Double.POSITIVE_INFINITY ? lo : Ex.min(lo, Ex.like(x, max));
    }
    return ElementLowering.clampInt(
      x,
      (long) Math.max(min, Long.MIN_VALUE),
      (long) Math.min(max, Long.MAX_VALUE)
    );
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = max(x, 0)}; NaN propagates. Output shape equals the input shape. ONNX {@code Relu}. */
public record Relu() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.relu");

  @Override
  public double apply(double x) {
    return Double.isNaN(x) ? x : Math.max(x, 0);
  }

  @Override
  public long applyInt(long x) {
    return Math.max(x, 0);
  }

  @Override
  public boolean acceptsIntegers() {
    return true;
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.max(x, Ex.zero(x));
  }
}

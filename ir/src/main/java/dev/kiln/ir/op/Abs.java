package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = |x|}. Output shape equals the input shape. ONNX {@code Abs}. */
public record Abs() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.abs");

  @Override
  public double apply(double x) {
    return Math.abs(x);
  }

  @Override
  public long applyInt(long x) {
    return Math.abs(x);
  }

  @Override
  public boolean acceptsIntegers() {
    return true;
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.abs(x);
  }
}

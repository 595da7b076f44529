package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code z = min(a, b)}; NaN propagates. Broadcasting; ONNX {@code Min}. */
public record Min() implements BinaryOp, Commutative {
  public static final OpSpec SPEC = BinaryOp.spec("nn.min");

  @Override
  public long applyInt(long a, long b) {
    return Math.min(a, b);
  }

  @Override
  public double apply(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.min(a, b);
  }

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.min(a, b);
  }
}

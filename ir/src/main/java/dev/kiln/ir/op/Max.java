package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code z = max(a, b)}; NaN propagates. Broadcasting; ONNX {@code Max}. */
public record Max() implements BinaryOp, Commutative {
  public static final OpSpec SPEC = BinaryOp.spec("nn.max");

  @Override
  public long applyInt(long a, long b) {
    return Math.max(a, b);
  }

  @Override
  public double apply(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
  }

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.max(a, b);
  }
}

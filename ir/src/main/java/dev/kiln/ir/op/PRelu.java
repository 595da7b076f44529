package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code z = a} for {@code a >= 0}, else {@code b * a}, the slope {@code b} broadcast to {@code a}. Broadcasting; ONNX {@code PRelu}. */
public record PRelu() implements BinaryOp {
  public static final OpSpec SPEC = BinaryOp.spec("nn.p_relu");

  @Override
  public long applyInt(long a, long b) {
    return a < 0 ? b * a : a;
  }

  @Override
  public double apply(double a, double b) {
    return a < 0 ? b * a : a;
  }

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.select(Ex.lt(a, Ex.zero(a)), Ex.mul(b, a), a);
  }
}

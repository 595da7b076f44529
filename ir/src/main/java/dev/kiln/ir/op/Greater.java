package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code z = a > b} as bool, broadcasting. ONNX {@code Greater}. */
public record Greater() implements CompareOp {
  public static final OpSpec SPEC = CompareOp.spec("nn.greater");

  @Override
  public boolean test(double a, double b) {
    return a > b;
  }

  @Override
  public boolean testInt(long a, long b) {
    return a > b;
  }

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.gt(a, b);
  }
}

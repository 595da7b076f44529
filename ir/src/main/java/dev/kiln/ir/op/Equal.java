package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code z = a == b} as bool, broadcasting. ONNX {@code Equal}. */
public record Equal() implements CompareOp {
  public static final OpSpec SPEC = CompareOp.spec("nn.equal");

  @Override
  public boolean test(double a, double b) {
    return a == b;
  }

  @Override
  public boolean testInt(long a, long b) {
    return a == b;
  }

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.eq(a, b);
  }
}

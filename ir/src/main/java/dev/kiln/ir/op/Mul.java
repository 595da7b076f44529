package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code z = a * b}. Broadcasting; ONNX {@code Mul}. */
public record Mul() implements BinaryOp, Commutative {
  public static final OpSpec SPEC = BinaryOp.spec("nn.mul");

  @Override
  public long applyInt(long a, long b) {
    return a * b;
  }

  @Override
  public double apply(double a, double b) {
    return a * b;
  }

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.mul(a, b);
  }
}

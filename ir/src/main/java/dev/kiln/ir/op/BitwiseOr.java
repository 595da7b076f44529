package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code z = a | b} on integers. Broadcasting; ONNX {@code BitwiseOr}. */
public record BitwiseOr() implements BinaryOp {
  public static final OpSpec SPEC = BinaryOp.spec("nn.bitwise_or");

  @Override
  public long applyInt(long a, long b) {
    return a | b;
  }

  @Override
  public double apply(double a, double b) {
    return (double) ((long) a | (long) b);
  }

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.or(a, b);
  }
}

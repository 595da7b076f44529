package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code z = a / b}; on integers the quotient truncates toward zero. Broadcasting; ONNX {@code Div}. */
public record Div() implements BinaryOp {
  public static final OpSpec SPEC = BinaryOp.spec("nn.div");

  @Override
  public long applyInt(long a, long b) {
    return Ints.divide(a, b);
  }

  @Override
  public double apply(double a, double b) {
    return a / b;
  }

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.div(a, b);
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = e^x}. Output shape equals the input shape. ONNX {@code Exp}. */
public record Exp() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.exp");

  @Override
  public double apply(double x) {
    return Math.exp(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.exp(x);
  }
}

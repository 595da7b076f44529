package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.SINH;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = sinh x}. Output shape equals the input shape. ONNX {@code Sinh}. */
public record Sinh() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.sinh");

  @Override
  public double apply(double x) {
    return Math.sinh(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(SINH, x);
  }
}

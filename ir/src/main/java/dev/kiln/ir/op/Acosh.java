package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.ACOSH;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = arcosh x}. Output shape equals the input shape. ONNX {@code Acosh}. */
public record Acosh() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.acosh");

  @Override
  public double apply(double x) {
    return Math.log(x + Math.sqrt(x * x - 1));
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(ACOSH, x);
  }
}

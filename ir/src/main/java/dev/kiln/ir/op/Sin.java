package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.SIN;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = sin x}. Output shape equals the input shape. ONNX {@code Sin}. */
public record Sin() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.sin");

  @Override
  public double apply(double x) {
    return Math.sin(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(SIN, x);
  }
}

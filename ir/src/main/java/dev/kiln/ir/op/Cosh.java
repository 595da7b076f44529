package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.COSH;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = cosh x}. Output shape equals the input shape. ONNX {@code Cosh}. */
public record Cosh() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.cosh");

  @Override
  public double apply(double x) {
    return Math.cosh(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(COSH, x);
  }
}

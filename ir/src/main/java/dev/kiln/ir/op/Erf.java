package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.ERF;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = erf x}, the Gauss error function. Output shape equals the input shape. ONNX {@code Erf}. */
public record Erf() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.erf");

  @Override
  public double apply(double x) {
    return Special.erf(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(ERF, x);
  }
}

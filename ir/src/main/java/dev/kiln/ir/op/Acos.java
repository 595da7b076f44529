package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.ACOS;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = arccos x}. Output shape equals the input shape. ONNX {@code Acos}. */
public record Acos() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.acos");

  @Override
  public double apply(double x) {
    return Math.acos(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(ACOS, x);
  }
}

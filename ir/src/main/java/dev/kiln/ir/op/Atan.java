package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.ATAN;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = arctan x}. Output shape equals the input shape. ONNX {@code Atan}. */
public record Atan() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.atan");

  @Override
  public double apply(double x) {
    return Math.atan(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(ATAN, x);
  }
}

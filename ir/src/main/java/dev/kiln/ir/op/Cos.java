package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.COS;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = cos x}. Output shape equals the input shape. ONNX {@code Cos}. */
public record Cos() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.cos");

  @Override
  public double apply(double x) {
    return Math.cos(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(COS, x);
  }
}

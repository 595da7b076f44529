package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = sqrt(x)}; NaN below zero. Output shape equals the input shape. ONNX {@code Sqrt}. */
public record Sqrt() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.sqrt");

  @Override
  public double apply(double x) {
    return Math.sqrt(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.sqrt(x);
  }
}

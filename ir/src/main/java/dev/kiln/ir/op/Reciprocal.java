package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = 1 / x}. Output shape equals the input shape. ONNX {@code Reciprocal}. */
public record Reciprocal() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.reciprocal");

  @Override
  public double apply(double x) {
    return 1 / x;
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.div(Ex.one(x), x);
  }
}

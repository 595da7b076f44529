package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = x / (1 + |x|)}. Output shape equals the input shape. ONNX {@code Softsign}. */
public record Softsign() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.softsign");

  @Override
  public double apply(double x) {
    return x / (1 + Math.abs(x));
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.div(x, Ex.add(Ex.one(x), Ex.abs(x)));
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = 1 / (1 + e^-x)}. Output shape equals the input shape. ONNX {@code Sigmoid}. */
public record Sigmoid() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.sigmoid");

  @Override
  public double apply(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.div(Ex.one(x), Ex.add(Ex.one(x), Ex.exp(Ex.neg(x))));
  }
}

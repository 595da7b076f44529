package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = floor x}. Output shape equals the input shape. ONNX {@code Floor}. */
public record Floor() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.floor");

  @Override
  public double apply(double x) {
    return Math.floor(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.floor(x);
  }
}

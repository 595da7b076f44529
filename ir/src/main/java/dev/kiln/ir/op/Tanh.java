package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = tanh x}. Output shape equals the input shape. ONNX {@code Tanh}. */
public record Tanh() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.tanh");

  @Override
  public double apply(double x) {
    return Math.tanh(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.tanh(x);
  }
}

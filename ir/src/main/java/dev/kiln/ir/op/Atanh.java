package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.ATANH;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = artanh x}. Output shape equals the input shape. ONNX {@code Atanh}. */
public record Atanh() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.atanh");

  @Override
  public double apply(double x) {
    return 0.5 * Math.log((1 + x) / (1 - x));
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(ATANH, x);
  }
}

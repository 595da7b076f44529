package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.CEIL;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = ceil x}. Output shape equals the input shape. ONNX {@code Ceil}. */
public record Ceil() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.ceil");

  @Override
  public double apply(double x) {
    return Math.ceil(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(CEIL, x);
  }
}

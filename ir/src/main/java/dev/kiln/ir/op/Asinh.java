package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.ASINH;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = arsinh x}. Output shape equals the input shape. ONNX {@code Asinh}. */
public record Asinh() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.asinh");

  @Override
  public double apply(double x) {
    return Math.log(x + Math.sqrt(x * x + 1));
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(ASINH, x);
  }
}

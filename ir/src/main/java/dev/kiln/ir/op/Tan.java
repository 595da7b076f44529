package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.TAN;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = tan x}. Output shape equals the input shape. ONNX {@code Tan}. */
public record Tan() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.tan");

  @Override
  public double apply(double x) {
    return Math.tan(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(TAN, x);
  }
}

package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.ROUND;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y} is {@code x} rounded to the nearest integer, halves to even. Output shape equals the input shape. ONNX {@code Round}. */
public record Round() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.round");

  @Override
  public double apply(double x) {
    return Math.rint(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(ROUND, x);
  }
}

package dev.kiln.ir.op;

import static dev.kiln.ir.loop.UnaryOp.ASIN;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = arcsin x}. Output shape equals the input shape. ONNX {@code Asin}. */
public record Asin() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.asin");

  @Override
  public double apply(double x) {
    return Math.asin(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.un(ASIN, x);
  }
}

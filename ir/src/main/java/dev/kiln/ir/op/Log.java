package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = ln x}; NaN below zero, -inf at zero. Output shape equals the input shape. ONNX {@code Log}. */
public record Log() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.log");

  @Override
  public double apply(double x) {
    return Math.log(x);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.log(x);
  }
}

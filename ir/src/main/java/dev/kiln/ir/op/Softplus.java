package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = ln(1 + e^x)}, computed without overflow. Output shape equals the input shape. ONNX {@code Softplus}. */
public record Softplus() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.softplus");

  @Override
  public double apply(double x) {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return ElementLowering.softplus(x);
  }
}

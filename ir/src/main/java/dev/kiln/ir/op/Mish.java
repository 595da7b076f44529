package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = x * tanh(softplus(x))}. Output shape equals the input shape. ONNX {@code Mish}. */
public record Mish() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.mish");

  @Override
  public double apply(double x) {
    return x * Math.tanh(x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.mul(x, Ex.tanh(ElementLowering.softplus(x)));
  }
}

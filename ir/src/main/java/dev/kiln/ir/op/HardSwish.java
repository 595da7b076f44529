package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = x * max(0, min(1, x / 6 + 1 / 2))}. Output shape equals the input shape. ONNX {@code HardSwish}. */
public record HardSwish() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.hard_swish");

  @Override
  public double apply(double x) {
    return x * Math.max(0, Math.min(1, x / 6 + 0.5));
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.mul(x, new HardSigmoid(1.0 / 6, 0.5).lowerScalar(x));
  }
}

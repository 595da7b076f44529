package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = x} for {@code x >= 0}, else {@code alpha * (e^x - 1)}. Output shape equals the input shape. ONNX {@code Elu}. */
public record Elu(double alpha) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.elu").withDefaults(
    java.util.Map.of("alpha", 1.0)
  );

  @Override
  public double apply(double x) {
    return x >= 0 ? x : alpha * (Math.exp(x) - 1);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.select(Ex.ge(x, Ex.zero(x)), x, Ex.mul(Ex.like(x, alpha), ElementLowering.expm1(x)));
  }
}

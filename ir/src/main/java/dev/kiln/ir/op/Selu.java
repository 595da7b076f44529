package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = gamma * x} for {@code x > 0}, else {@code gamma * alpha * (e^x - 1)}. Output shape equals the input shape. ONNX {@code Selu}. */
public record Selu(double alpha, double gamma) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.selu").withDefaults(
    java.util.Map.of("alpha", 1.6732632423543772, "gamma", 1.0507009873554805)
  );

  @Override
  public double apply(double x) {
    return x > 0 ? gamma * x : gamma * (alpha * Math.exp(x) - alpha);
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.select(
      Ex.gt(x, Ex.zero(x)),
      Ex.mul(Ex.like(x, gamma), x),
      Ex.mul(Ex.like(x, gamma * alpha), ElementLowering.expm1(x))
    );
  }
}

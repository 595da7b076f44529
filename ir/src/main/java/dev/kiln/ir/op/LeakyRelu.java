package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = x} for {@code x >= 0}, else {@code alpha * x}. Output shape equals the input shape. ONNX {@code LeakyRelu}. */
public record LeakyRelu(double alpha) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.leaky_relu").withDefaults(
    java.util.Map.of("alpha", 0.01)
  );

  @Override
  public double apply(double x) {
    return x >= 0 ? x : alpha * x;
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.select(Ex.ge(x, Ex.zero(x)), x, Ex.mul(Ex.like(x, alpha), x));
  }
}

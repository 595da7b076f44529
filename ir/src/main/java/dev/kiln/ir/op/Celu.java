package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = max(0, x) + min(0, alpha * (e^(x / alpha) - 1))}. Output shape equals the input shape. ONNX {@code Celu}. */
public record Celu(double alpha) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.celu").withDefaults(
    java.util.Map.of("alpha", 1.0)
  );

  @Override
  public double apply(double x) {
    return Math.max(0, x) + Math.min(0, alpha * (Math.exp(x / alpha) - 1));
  }

  @Override
  public Expr lowerScalar(Expr x) {
    Expr e = alpha > 0
      ? ElementLowering.expm1(Ex.div(Ex.min(x, Ex.zero(x)), Ex.like(x, alpha)))
      : Ex.sub(Ex.exp(Ex.div(x, Ex.like(x, alpha))), Ex.one(x));
    return Ex.add(Ex.max(Ex.zero(x), x), Ex.min(Ex.zero(x), Ex.mul(Ex.like(x, alpha), e)));
  }
}

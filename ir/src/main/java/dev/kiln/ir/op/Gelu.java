package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = x * Phi(x)} with the exact normal CDF, or its tanh approximation when {@code tanh} is set (ONNX {@code approximate="tanh"}). Output shape equals the input shape. ONNX {@code Gelu}. */
public record Gelu(boolean tanh) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.gelu").withDefaults(
    java.util.Map.of("tanh", false)
  );

  @Override
  public double apply(double x) {
    return tanh
      ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
      : 0.5 * x * (1 + Special.erf(x / Math.sqrt(2)));
  }

  @Override
  public Expr lowerScalar(Expr x) {
    Expr inner = tanh
      ? Ex.tanh(
        Ex.mul(
          Ex.like(x, Math.sqrt(2 / Math.PI)),
          Ex.add(x, Ex.mul(Ex.like(x, 0.044715), Ex.mul(x, Ex.mul(x, x))))
        )
      )
      : Ex.un(dev.kiln.ir.loop.UnaryOp.ERF, Ex.mul(x, Ex.like(x, 1 / Math.sqrt(2))));
    return Ex.mul(Ex.mul(Ex.like(x, 0.5), x), Ex.add(Ex.one(x), inner));
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = max(0, min(1, alpha * x + beta))}. Output shape equals the input shape. ONNX {@code HardSigmoid}. */
public record HardSigmoid(double alpha, double beta) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.hard_sigmoid").withDefaults(
    java.util.Map.of("alpha", 0.2, "beta", 0.5)
  );

  @Override
  public double apply(double x) {
    return Math.max(0, Math.min(1, alpha * x + beta));
  }

  @Override
  public Expr lowerScalar(Expr x) {
    Expr v = Ex.add(Ex.mul(Ex.like(x, alpha), x), Ex.like(x, beta));
    return Ex.max(Ex.zero(x), Ex.min(Ex.one(x), v));
  }
}

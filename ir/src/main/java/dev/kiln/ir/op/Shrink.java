package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = x + bias} below {@code -lambd}, {@code x - bias} above {@code lambd}, else 0. Output shape equals the input shape. ONNX {@code Shrink}. */
public record Shrink(double bias, double lambd) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.shrink").withDefaults(
    java.util.Map.of("bias", 0.0, "lambd", 0.5)
  );

  @Override
  public double apply(double x) {
    return x < -lambd ? x + bias : x > lambd ? x - bias : 0;
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.select(
      Ex.lt(x, Ex.like(x, -lambd)),
      Ex.add(x, Ex.like(x, bias)),
      Ex.select(Ex.gt(x, Ex.like(x, lambd)), Ex.sub(x, Ex.like(x, bias)), Ex.zero(x))
    );
  }
}

package dev.kiln.ir.op;

/** {@code y = x + bias} below {@code -lambd}, {@code x - bias} above {@code lambd}, else 0. Output shape equals the input shape. ONNX {@code Shrink}. */
public record Shrink(double bias, double lambd) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.shrink").withDefaults(
    java.util.Map.of("bias", 0.0, "lambd", 0.5)
  );

  @Override
  public double apply(double x) {
    return x < -lambd ? x + bias : x > lambd ? x - bias : 0;
  }
}

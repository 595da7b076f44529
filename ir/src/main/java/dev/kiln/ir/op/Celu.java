package dev.kiln.ir.op;

/** {@code y = max(0, x) + min(0, alpha * (e^(x / alpha) - 1))}. Output shape equals the input shape. ONNX {@code Celu}. */
public record Celu(double alpha) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.celu").withDefaults(
    java.util.Map.of("alpha", 1.0)
  );

  @Override
  public double apply(double x) {
    return Math.max(0, x) + Math.min(0, alpha * (Math.exp(x / alpha) - 1));
  }
}

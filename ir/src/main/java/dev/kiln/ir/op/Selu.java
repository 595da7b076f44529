package dev.kiln.ir.op;

/** {@code y = gamma * x} for {@code x > 0}, else {@code gamma * alpha * (e^x - 1)}. Output shape equals the input shape. ONNX {@code Selu}. */
public record Selu(double alpha, double gamma) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.selu").withDefaults(
    java.util.Map.of("alpha", 1.6732632423543772, "gamma", 1.0507009873554805)
  );

  @Override
  public double apply(double x) {
    return x > 0 ? gamma * x : gamma * (alpha * Math.exp(x) - alpha);
  }
}

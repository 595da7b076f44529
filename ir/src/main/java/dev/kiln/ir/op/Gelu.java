package dev.kiln.ir.op;

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
}

package dev.kiln.ir.op;

/** {@code y = max(0, min(1, alpha * x + beta))}. Output shape equals the input shape. ONNX {@code HardSigmoid}. */
public record HardSigmoid(double alpha, double beta) implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.hard_sigmoid").withDefaults(
    java.util.Map.of("alpha", 0.2, "beta", 0.5)
  );

  @Override
  public double apply(double x) {
    return Math.max(0, Math.min(1, alpha * x + beta));
  }
}

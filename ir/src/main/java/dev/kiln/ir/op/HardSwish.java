package dev.kiln.ir.op;

/** {@code y = x * max(0, min(1, x / 6 + 1 / 2))}. Output shape equals the input shape. ONNX {@code HardSwish}. */
public record HardSwish() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.hard_swish");

  @Override
  public double apply(double x) {
    return x * Math.max(0, Math.min(1, x / 6 + 0.5));
  }
}

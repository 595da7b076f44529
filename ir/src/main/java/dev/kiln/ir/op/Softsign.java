package dev.kiln.ir.op;

/** {@code y = x / (1 + |x|)}. Output shape equals the input shape. ONNX {@code Softsign}. */
public record Softsign() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.softsign");

  @Override
  public double apply(double x) {
    return x / (1 + Math.abs(x));
  }
}

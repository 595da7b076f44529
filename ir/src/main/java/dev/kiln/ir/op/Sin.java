package dev.kiln.ir.op;

/** {@code y = sin x}. Output shape equals the input shape. ONNX {@code Sin}. */
public record Sin() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.sin");

  @Override
  public double apply(double x) {
    return Math.sin(x);
  }
}

package dev.kiln.ir.op;

/** {@code y = sinh x}. Output shape equals the input shape. ONNX {@code Sinh}. */
public record Sinh() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.sinh");

  @Override
  public double apply(double x) {
    return Math.sinh(x);
  }
}

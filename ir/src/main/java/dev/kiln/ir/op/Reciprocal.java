package dev.kiln.ir.op;

/** {@code y = 1 / x}. Output shape equals the input shape. ONNX {@code Reciprocal}. */
public record Reciprocal() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.reciprocal");

  @Override
  public double apply(double x) {
    return 1 / x;
  }
}

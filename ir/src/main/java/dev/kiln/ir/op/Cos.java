package dev.kiln.ir.op;

/** {@code y = cos x}. Output shape equals the input shape. ONNX {@code Cos}. */
public record Cos() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.cos");

  @Override
  public double apply(double x) {
    return Math.cos(x);
  }
}

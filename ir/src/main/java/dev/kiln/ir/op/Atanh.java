package dev.kiln.ir.op;

/** {@code y = artanh x}. Output shape equals the input shape. ONNX {@code Atanh}. */
public record Atanh() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.atanh");

  @Override
  public double apply(double x) {
    return 0.5 * Math.log((1 + x) / (1 - x));
  }
}

package dev.kiln.ir.op;

/** {@code y} is {@code x} rounded to the nearest integer, halves to even. Output shape equals the input shape. ONNX {@code Round}. */
public record Round() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.round");

  @Override
  public double apply(double x) {
    return Math.rint(x);
  }
}

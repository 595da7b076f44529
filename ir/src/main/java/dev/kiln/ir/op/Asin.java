package dev.kiln.ir.op;

/** {@code y = arcsin x}. Output shape equals the input shape. ONNX {@code Asin}. */
public record Asin() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.asin");

  @Override
  public double apply(double x) {
    return Math.asin(x);
  }
}

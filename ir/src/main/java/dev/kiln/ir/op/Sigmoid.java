package dev.kiln.ir.op;

/** {@code y = 1 / (1 + e^-x)}. Output shape equals the input shape. ONNX {@code Sigmoid}. */
public record Sigmoid() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.sigmoid");

  @Override
  public double apply(double x) {
    return 1 / (1 + Math.exp(-x));
  }
}

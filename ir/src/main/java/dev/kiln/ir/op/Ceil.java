package dev.kiln.ir.op;

/** {@code y = ceil x}. Output shape equals the input shape. ONNX {@code Ceil}. */
public record Ceil() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.ceil");

  @Override
  public double apply(double x) {
    return Math.ceil(x);
  }
}

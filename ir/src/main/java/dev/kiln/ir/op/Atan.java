package dev.kiln.ir.op;

/** {@code y = arctan x}. Output shape equals the input shape. ONNX {@code Atan}. */
public record Atan() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.atan");

  @Override
  public double apply(double x) {
    return Math.atan(x);
  }
}

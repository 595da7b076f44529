package dev.kiln.ir.op;

/** {@code y = arccos x}. Output shape equals the input shape. ONNX {@code Acos}. */
public record Acos() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.acos");

  @Override
  public double apply(double x) {
    return Math.acos(x);
  }
}

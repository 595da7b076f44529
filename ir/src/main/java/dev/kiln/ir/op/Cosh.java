package dev.kiln.ir.op;

/** {@code y = cosh x}. Output shape equals the input shape. ONNX {@code Cosh}. */
public record Cosh() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.cosh");

  @Override
  public double apply(double x) {
    return Math.cosh(x);
  }
}

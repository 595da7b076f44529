package dev.kiln.ir.op;

/** {@code y = erf x}, the Gauss error function. Output shape equals the input shape. ONNX {@code Erf}. */
public record Erf() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.erf");

  @Override
  public double apply(double x) {
    return Special.erf(x);
  }
}

package dev.kiln.ir.op;

/** {@code y = ln(1 + e^x)}, computed without overflow. Output shape equals the input shape. ONNX {@code Softplus}. */
public record Softplus() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.softplus");

  @Override
  public double apply(double x) {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }
}

package dev.kiln.ir.op;

/** {@code y = x * tanh(softplus(x))}. Output shape equals the input shape. ONNX {@code Mish}. */
public record Mish() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.mish");

  @Override
  public double apply(double x) {
    return x * Math.tanh(x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
  }
}

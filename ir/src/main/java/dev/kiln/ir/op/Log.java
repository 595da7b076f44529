package dev.kiln.ir.op;

/** {@code y = ln x}; NaN below zero, -inf at zero. Output shape equals the input shape. ONNX {@code Log}. */
public record Log() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.log");

  @Override
  public double apply(double x) {
    return Math.log(x);
  }
}

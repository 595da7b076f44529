package dev.kiln.ir.op;

/** {@code z = a / b}; on integers the quotient truncates toward zero. Broadcasting; ONNX {@code Div}. */
public record Div() implements BinaryOp {
  public static final OpSpec SPEC = BinaryOp.spec("nn.div");

  @Override
  public long applyInt(long a, long b) {
    return Ints.divide(a, b);
  }

  @Override
  public double apply(double a, double b) {
    return a / b;
  }
}

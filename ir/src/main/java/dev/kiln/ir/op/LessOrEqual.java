package dev.kiln.ir.op;

/** {@code z = a <= b} as bool, broadcasting. ONNX {@code LessOrEqual}. */
public record LessOrEqual() implements CompareOp {
  public static final OpSpec SPEC = CompareOp.spec("nn.less_or_equal");

  @Override
  public boolean test(double a, double b) {
    return a <= b;
  }

  @Override
  public boolean testInt(long a, long b) {
    return a <= b;
  }
}

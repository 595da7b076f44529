package dev.kiln.ir.op;

/** {@code z = a > b} as bool, broadcasting. ONNX {@code Greater}. */
public record Greater() implements CompareOp {
  public static final OpSpec SPEC = CompareOp.spec("nn.greater");

  @Override
  public boolean test(double a, double b) {
    return a > b;
  }

  @Override
  public boolean testInt(long a, long b) {
    return a > b;
  }
}

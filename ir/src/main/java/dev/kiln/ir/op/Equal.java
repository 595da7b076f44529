package dev.kiln.ir.op;

/** {@code z = a == b} as bool, broadcasting. ONNX {@code Equal}. */
public record Equal() implements CompareOp {
  public static final OpSpec SPEC = CompareOp.spec("nn.equal");

  @Override
  public boolean test(double a, double b) {
    return a == b;
  }

  @Override
  public boolean testInt(long a, long b) {
    return a == b;
  }
}

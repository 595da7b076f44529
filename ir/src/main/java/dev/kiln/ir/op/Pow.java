package dev.kiln.ir.op;

/** {@code z = a^b}. Broadcasting; ONNX {@code Pow}. */
public record Pow() implements BinaryOp {
  public static final OpSpec SPEC = BinaryOp.spec("nn.pow");

  @Override
  public long applyInt(long a, long b) {
    return Ints.pow(a, b);
  }

  @Override
  public double apply(double a, double b) {
    return Math.pow(a, b);
  }
}

package dev.kiln.ir.op;

/** Logical shift of unsigned integers by {@code b} bits, left or right. Broadcasting; ONNX {@code BitShift}. */
public record BitShift(boolean left) implements BinaryOp {
  public static final OpSpec SPEC = BinaryOp.spec("nn.bit_shift").withDefaults(
    java.util.Map.of("left", true)
  );

  @Override
  public long applyInt(long a, long b) {
    return b >= 64 ? 0 : left ? a << b : a >>> b;
  }

  @Override
  public double apply(double a, double b) {
    return left ? (double) ((long) a << (long) b) : (double) ((long) a >>> (long) b);
  }
}

package dev.kiln.ir.op;

/** Remainder: with {@code fmod} the sign follows the dividend (C {@code fmod}); without it, the divisor (Python {@code %}, integers only in ONNX). Broadcasting; ONNX {@code Mod}. */
public record Mod(boolean fmod) implements BinaryOp {
  public static final OpSpec SPEC = BinaryOp.spec("nn.mod").withDefaults(
    java.util.Map.of("fmod", false)
  );

  @Override
  public long applyInt(long a, long b) {
    return fmod ? Ints.remainder(a, b) : Ints.floorMod(a, b);
  }

  @Override
  public double apply(double a, double b) {
    return fmod ? a % b : a - Math.floor(a / b) * b;
  }
}

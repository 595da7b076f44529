package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

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

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    if (fmod) {
      return Ex.rem(a, b);
    }
    if (a.type().isFloat()) {
      return Ex.sub(a, Ex.mul(Ex.floor(Ex.div(a, b)), b));
    }
    return ElementLowering.floorMod(a, b);
  }
}

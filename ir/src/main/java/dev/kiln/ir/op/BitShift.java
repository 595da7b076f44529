package dev.kiln.ir.op;

import static dev.kiln.ir.loop.BinaryOp.SHL;
import static dev.kiln.ir.loop.BinaryOp.SHR;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

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

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    if (!a.type().isUnsigned()) {
      throw new UnsupportedOperationException("bit_shift of " + a.type() + " is not supported");
    }
    return Ex.bin(left ? SHL : SHR, a, b);
  }
}

package dev.kiln.ir.op;

import static dev.kiln.ir.loop.BinaryOp.XOR;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code z = a ^ b} on integers. Broadcasting; ONNX {@code BitwiseXor}. */
public record BitwiseXor() implements BinaryOp {
  public static final OpSpec SPEC = BinaryOp.spec("nn.bitwise_xor");

  @Override
  public long applyInt(long a, long b) {
    return a ^ b;
  }

  @Override
  public double apply(double a, double b) {
    return (double) ((long) a ^ (long) b);
  }

  @Override
  public Expr lowerScalar(Expr a, Expr b) {
    return Ex.bin(XOR, a, b);
  }
}

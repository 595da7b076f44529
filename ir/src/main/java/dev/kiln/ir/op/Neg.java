package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = -x}. Output shape equals the input shape. ONNX {@code Neg}. */
public record Neg() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.neg");

  @Override
  public double apply(double x) {
    return -x;
  }

  @Override
  public long applyInt(long x) {
    return -x;
  }

  @Override
  public boolean acceptsIntegers() {
    return true;
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.neg(x);
  }
}

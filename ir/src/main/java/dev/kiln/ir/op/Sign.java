package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** {@code y = sign x}: -1, 0 or 1 (NaN stays NaN). Output shape equals the input shape. ONNX {@code Sign}. */
public record Sign() implements UnaryOp {
  public static final OpSpec SPEC = UnaryOp.spec("nn.sign");

  @Override
  public double apply(double x) {
    return Math.signum(x);
  }

  @Override
  public long applyInt(long x) {
    return Long.signum(x);
  }

  @Override
  public boolean acceptsIntegers() {
    return true;
  }

  @Override
  public Expr lowerScalar(Expr x) {
    return Ex.select(
      Ex.gt(x, Ex.zero(x)),
      Ex.one(x),
      Ex.select(Ex.lt(x, Ex.zero(x)), Ex.like(x, -1), x)
    );
  }
}

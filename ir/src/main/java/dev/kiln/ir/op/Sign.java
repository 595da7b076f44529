package dev.kiln.ir.op;

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
}

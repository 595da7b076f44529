package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/**
 * Running product along {@code axis}; see {@link Cumulative}. ONNX {@code CumProd} with a constant
 * axis input.
 */
public record CumProd(long axis, boolean exclusive, boolean reverse) implements Cumulative {
  public static final OpSpec SPEC = Cumulative.spec("nn.cum_prod");

  @Override
  public double identity() {
    return 1;
  }

  @Override
  public double combine(double acc, double x) {
    return acc * x;
  }

  @Override
  public long combineInt(long acc, long x) {
    return acc * x;
  }

  @Override
  public Expr lowerCombine(Expr acc, Expr x) {
    return Ex.mul(acc, x);
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;

/** Index of the minimum along {@code axis}; see {@link ArgReduce}. ONNX {@code ArgMin}. */
public record ArgMin(long axis, boolean keepdims, boolean selectLastIndex) implements ArgReduce {
  public static final OpSpec SPEC = ArgReduce.spec("nn.arg_min");

  @Override
  public boolean better(double x, double best) {
    return x < best;
  }

  @Override
  public Expr lowerBetter(Expr x, Expr best) {
    return Ex.lt(x, best);
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import java.util.List;

/** Minimum over {@code axes}; see {@link ReduceOp} for the shape rule. ONNX {@code ReduceMin}. */
public record ReduceMin(List<Long> axes, boolean keepdims) implements ReduceOp {
  public static final OpSpec SPEC = ReduceOp.spec("nn.reduce_min");

  public ReduceMin {
    axes = List.copyOf(axes);
  }

  @Override
  public double identity() {
    return Double.POSITIVE_INFINITY;
  }

  @Override
  public double combine(double acc, double x) {
    return Double.isNaN(x) || Double.isNaN(acc) ? Double.NaN : Math.min(acc, x);
  }

  @Override
  public long combineInt(long acc, long x) {
    return Math.min(acc, x);
  }

  @Override
  public Expr lowerCombine(Expr acc, Expr x) {
    return Ex.min(acc, x);
  }
}

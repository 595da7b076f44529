package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import java.util.List;

/** Maximum over {@code axes}; see {@link ReduceOp} for the shape rule. ONNX {@code ReduceMax}. */
public record ReduceMax(List<Long> axes, boolean keepdims) implements ReduceOp {
  public static final OpSpec SPEC = ReduceOp.spec("nn.reduce_max");

  public ReduceMax {
    axes = List.copyOf(axes);
  }

  @Override
  public double identity() {
    return Double.NEGATIVE_INFINITY;
  }

  @Override
  public double combine(double acc, double x) {
    return Double.isNaN(x) || Double.isNaN(acc) ? Double.NaN : Math.max(acc, x);
  }

  @Override
  public long combineInt(long acc, long x) {
    return Math.max(acc, x);
  }

  @Override
  public Expr lowerCombine(Expr acc, Expr x) {
    return Ex.max(acc, x);
  }
}

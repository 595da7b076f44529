package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import java.util.List;

/** Sum over {@code axes}; see {@link ReduceOp} for the shape rule. ONNX {@code ReduceSum}. */
public record ReduceSum(List<Long> axes, boolean keepdims) implements ReduceOp {
  public static final OpSpec SPEC = ReduceOp.spec("nn.reduce_sum");

  public ReduceSum {
    axes = List.copyOf(axes);
  }

  @Override
  public double identity() {
    return 0;
  }

  @Override
  public double combine(double acc, double x) {
    return acc + x;
  }

  @Override
  public long combineInt(long acc, long x) {
    return acc + x;
  }

  @Override
  public Expr lowerCombine(Expr acc, Expr x) {
    return Ex.add(acc, x);
  }
}

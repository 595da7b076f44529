package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import java.util.List;

/** Mean over {@code axes}; see {@link ReduceOp} for the shape rule. ONNX {@code ReduceMean}. */
public record ReduceMean(List<Long> axes, boolean keepdims) implements ReduceOp {
  public static final OpSpec SPEC = ReduceOp.spec("nn.reduce_mean");

  public ReduceMean {
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
  public double finish(double acc, long count) {
    return acc / count;
  }

  @Override
  public long finishInt(long acc, long count) {
    return count == 0 ? 0 : acc / count;
  }

  @Override
  public Expr lowerCombine(Expr acc, Expr x) {
    return Ex.add(acc, x);
  }

  @Override
  public Expr lowerFinish(Expr acc, long count) {
    return Ex.div(acc, Ex.ci(acc.type(), count));
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import java.util.List;

/** Product over {@code axes}; see {@link ReduceOp} for the shape rule. ONNX {@code ReduceProd}. */
public record ReduceProd(List<Long> axes, boolean keepdims) implements ReduceOp {
  public static final OpSpec SPEC = ReduceOp.spec("nn.reduce_prod");

  public ReduceProd {
    axes = List.copyOf(axes);
  }

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

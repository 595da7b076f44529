package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Index (i64) of the extreme element along {@code axis}; ties go to the first index, or the last
 * with {@code selectLastIndex}. The axis becomes 1 with {@code keepdims}, otherwise disappears.
 */
public sealed interface ArgReduce extends Op permits ArgMax, ArgMin {
  long axis();

  boolean keepdims();

  boolean selectLastIndex();

  /** True when {@code x} should replace the current best {@code best}. */
  boolean better(double x, double best);

  /** {@link #better} in Loop IR, on elements of the input's compute type. */
  Expr lowerBetter(Expr x, Expr best);

  /** Per line along the axis, a scan that keeps the best element and its position. */
  @Override
  default void lower(LowerContext ctx) {
    long[] in = ctx.operandDims(0);
    int a = Shapes.axis(axis(), in.length);
    long n = in[a];
    if (n == 0 && Strides.product(in, 0, a) * Strides.product(in, a + 1, in.length) > 0) {
      throw new UnsupportedOperationException(
        "an arg-reduction over an empty axis is not supported"
      );
    }
    AxisLowering.lines(ctx, in, a, idx -> {
      Expr.Var pos = AxisLowering.bestIndex(ctx, idx, a, n, selectLastIndex(), this::lowerBetter);
      ctx.store(0, keepdims() ? idx : AxisLowering.without(idx, a), pos);
    });
  }

  @Override
  default List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    int a = Shapes.axis(axis(), x.rank());
    List<Dim> out = new ArrayList<>(x.shape().dims());
    if (keepdims()) {
      out.set(a, Dim.of(1));
    } else {
      out.remove(a);
    }
    return List.of(new TensorType(ElementType.I64, new Shape(out)));
  }

  @Override
  default List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    long[] s = x.shape().sizes();
    int a = Shapes.axis(axis(), s.length);
    long outer = Strides.product(s, 0, a);
    long inner = Strides.product(s, a + 1, s.length);
    long n = s[a];
    TensorType outType = inferTypes(new InferContext(List.of(x.type()), List.of())).getFirst();
    Tensor.Builder b = new Tensor.Builder(outType);
    for (long o = 0; o < outer; o++) {
      for (long i = 0; i < inner; i++) {
        long best = 0;
        double bv = x.getDouble(o * n * inner + i);
        for (long k = 1; k < n; k++) {
          double v = x.getDouble((o * n + k) * inner + i);
          if (better(v, bv) || (selectLastIndex() && v == bv)) {
            best = k;
            bv = v;
          }
        }
        b.setLong(o * inner + i, best);
      }
    }
    return List.of(b.build());
  }

  static OpSpec spec(String name) {
    return OpSpec.of(name, List.of("x"), List.of("y")).withDefaults(
      java.util.Map.of("axis", 0L, "keepdims", true, "selectLastIndex", false)
    );
  }
}

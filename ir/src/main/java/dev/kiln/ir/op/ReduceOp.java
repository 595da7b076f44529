package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.ArrayList;
import java.util.List;

/**
 * Reductions over {@code axes} (all axes when empty): each output element combines the input
 * elements that share its index on the kept axes. Reduced axes become 1 with {@code keepdims},
 * otherwise disappear. Floats accumulate in double, integers exactly.
 */
public sealed interface ReduceOp
  extends Op, LayoutAware
  permits ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd {
  List<Long> axes();

  boolean keepdims();

  /** The starting value of the accumulator. */
  double identity();

  double combine(double acc, double x);

  long combineInt(long acc, long x);

  /** The result from the accumulator and the number of elements reduced. */
  default double finish(double acc, long count) {
    return acc;
  }

  default long finishInt(long acc, long count) {
    return acc;
  }

  /** The same reduction over {@code axes}. */
  default ReduceOp withAxes(List<Long> axes) {
    return switch (this) {
      case ReduceSum r -> new ReduceSum(axes, r.keepdims());
      case ReduceMean r -> new ReduceMean(axes, r.keepdims());
      case ReduceMax r -> new ReduceMax(axes, r.keepdims());
      case ReduceMin r -> new ReduceMin(axes, r.keepdims());
      case ReduceProd r -> new ReduceProd(axes, r.keepdims());
    };
  }

  @Override
  default Kind layoutKind() {
    return Kind.SENSITIVE;
  }

  /**
   * On a permuted operand the reduction runs over the axes the permutation moved {@code axes} to;
   * without {@code keepdims} the kept axes come out in the operand's order, so the result
   * permutation is {@code perm} restricted to the kept axes.
   */
  @Override
  default Permuted permuted(List<Long> perm) {
    int rank = perm.size();
    boolean[] r = reduced(rank);
    List<Long> axes = new ArrayList<>();
    for (long a : axes()) {
      axes.add(LayoutAware.permuteAxis(a, perm));
    }
    if (keepdims()) {
      return new Permuted(withAxes(axes), perm);
    }
    boolean[] keptInX = new boolean[rank];
    for (int i = 0; i < rank; i++) {
      keptInX[perm.get(i).intValue()] = !r[i];
    }
    List<Long> result = new ArrayList<>();
    for (int i = 0; i < rank; i++) {
      if (!r[i]) {
        int p = perm.get(i).intValue();
        long position = 0;
        for (int j = 0; j < p; j++) {
          position += keptInX[j] ? 1 : 0;
        }
        result.add(position);
      }
    }
    return new Permuted(withAxes(axes), result);
  }

  /** {@link #combine} in Loop IR, on accumulators ({@code F64} for floats, {@code I64} else). */
  Expr lowerCombine(Expr acc, Expr x);

  /** {@link #finish} in Loop IR, on an accumulator. */
  default Expr lowerFinish(Expr acc, long count) {
    return acc;
  }

  /**
   * One loop nest over the kept axes; inside, a nest over the reduced axes folds the elements
   * into an accumulator that starts at {@link #identity()}.
   */
  @Override
  default void lower(LowerContext ctx) {
    long[] in = ctx.operandDims(0);
    boolean[] r = reduced(in.length);
    long[] kept = new long[in.length];
    long[] inner = new long[in.length];
    long count = 1;
    for (int i = 0; i < in.length; i++) {
      kept[i] = r[i] ? 1 : in[i];
      inner[i] = r[i] ? in[i] : 1;
      count *= inner[i];
    }
    Scalar acc = AxisLowering.accumulator(ctx.operandScalar(0));
    long reducedCount = count;
    ctx.forEach(kept, out -> {
      Expr.Var a = ctx.let("acc", Ex.c(acc, identity()));
      ctx.forEach(inner, red -> {
        List<Expr> idx = new ArrayList<>();
        for (int i = 0; i < in.length; i++) {
          idx.add(r[i] ? red.get(i) : out.get(i));
        }
        ctx.assign(a, lowerCombine(a, Ex.cast(acc, ctx.load(0, idx))));
      });
      Expr y = Ex.cast(ctx.resultScalar(0), lowerFinish(a, reducedCount));
      ctx.store(0, keepdims() ? out : AxisLowering.without(out, r), y);
    });
  }

  private boolean[] reduced(int rank) {
    boolean[] r = new boolean[rank];
    if (axes().isEmpty()) {
      java.util.Arrays.fill(r, true);
    }
    for (long a : axes()) {
      int i = Shapes.axis(a, rank);
      OpError.check(!r[i] || axes().isEmpty(), "axis %d is repeated in %s", a, axes());
      r[i] = true;
    }
    return r;
  }

  @Override
  default List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    boolean[] r = reduced(x.rank());
    List<Dim> out = new ArrayList<>();
    for (int i = 0; i < x.rank(); i++) {
      if (!r[i]) {
        out.add(x.shape().dim(i));
      } else if (keepdims()) {
        out.add(Dim.of(1));
      }
    }
    return List.of(x.withShape(new Shape(out)));
  }

  @Override
  default List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    long[] in = x.shape().sizes();
    boolean[] r = reduced(in.length);
    long[] kept = new long[in.length];
    for (int i = 0; i < in.length; i++) {
      kept[i] = r[i] ? 1 : in[i];
    }
    long outCount = Strides.product(kept, 0, kept.length);
    long reducedCount = outCount == 0 ? 0 : x.size() / Math.max(1, outCount);
    boolean integer = !x.elementType().isFloat();
    double[] acc = new double[Math.toIntExact(outCount)];
    long[] iacc = new long[acc.length];
    java.util.Arrays.fill(acc, identity());
    java.util.Arrays.fill(iacc, (long) identity());
    long[] idx = new long[in.length];
    for (long i = 0; i < x.size(); i++) {
      int o = (int) Broadcast.flatIndex(idx, in, kept);
      if (integer) {
        iacc[o] = combineInt(iacc[o], x.getLong(i));
      } else {
        acc[o] = combine(acc[o], x.getDouble(i));
      }
      Broadcast.increment(idx, in);
    }
    TensorType outType = inferTypes(new InferContext(List.of(x.type()), List.of())).getFirst();
    Tensor.Builder b = new Tensor.Builder(outType);
    for (int o = 0; o < acc.length; o++) {
      if (integer) {
        b.setLong(o, finishInt(iacc[o], reducedCount));
      } else {
        b.setDouble(o, finish(acc[o], reducedCount));
      }
    }
    return List.of(b.build());
  }

  static OpSpec spec(String name) {
    return OpSpec.of(name, List.of("x"), List.of("y")).withDefaults(
      java.util.Map.of("axes", List.of(), "keepdims", true)
    );
  }
}

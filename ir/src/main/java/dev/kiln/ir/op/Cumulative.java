package dev.kiln.ir.op;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.List;
import java.util.Map;

/**
 * Running combination along {@code axis}: {@code y[..., i, ...] = x[..., 0, ...] op ... op x[...,
 * i, ...]}. With {@code exclusive} the element itself is left out ({@code y[..., 0, ...]} is the
 * identity); with {@code reverse} the run goes from the last index down. Output type equals the
 * input type; floats accumulate in double, integers exactly (wrapping in the element type).
 */
public sealed interface Cumulative extends Op permits CumSum, CumProd {
  long axis();

  boolean exclusive();

  boolean reverse();

  double identity();

  double combine(double acc, double x);

  long combineInt(long acc, long x);

  /** {@link #combine} in Loop IR, on accumulators ({@code F64} for floats, {@code I64} else). */
  Expr lowerCombine(Expr acc, Expr x);

  /** Per line along the axis, one loop in run order carrying the accumulator. */
  @Override
  default void lower(LowerContext ctx) {
    long[] dims = ctx.operandDims(0);
    int a = Shapes.axis(axis(), dims.length);
    long n = dims[a];
    Scalar acc = AxisLowering.accumulator(ctx.operandScalar(0));
    Scalar out = ctx.resultScalar(0);
    AxisLowering.lines(ctx, dims, a, idx -> {
      Expr.Var run = ctx.let("acc", Ex.c(acc, identity()));
      AxisLowering.along(ctx, 0, n, step -> {
        List<Expr> at = AxisLowering.at(idx, a, reverse() ? Ex.sub(Ex.i64(n - 1), step) : step);
        Expr x = Ex.cast(acc, ctx.load(0, at));
        if (exclusive()) {
          ctx.store(0, at, Ex.cast(out, run));
          ctx.assign(run, lowerCombine(run, x));
        } else {
          ctx.assign(run, lowerCombine(run, x));
          ctx.store(0, at, Ex.cast(out, run));
        }
      });
    });
  }

  @Override
  default List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(!x.elementType().isBool(), "%s input must be numeric, got %s", name(), x);
    OpError.check(x.rank() >= 1, "%s input must have rank >= 1", name());
    Shapes.axis(axis(), x.rank());
    return List.of(x);
  }

  @Override
  default List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    inferTypes(new InferContext(List.of(x.type()), List.of()));
    long[] s = x.shape().sizes();
    int a = Shapes.axis(axis(), s.length);
    long outer = Strides.product(s, 0, a);
    long inner = Strides.product(s, a + 1, s.length);
    long n = s[a];
    boolean integer = !x.elementType().isFloat();
    Tensor.Builder b = new Tensor.Builder(x.type());
    for (long o = 0; o < outer; o++) {
      for (long i = 0; i < inner; i++) {
        double acc = identity();
        long iacc = (long) identity();
        for (long step = 0; step < n; step++) {
          long k = reverse() ? n - 1 - step : step;
          long at = (o * n + k) * inner + i;
          if (exclusive()) {
            if (integer) {
              b.setLong(at, iacc);
              iacc = combineInt(iacc, x.getLong(at));
            } else {
              b.setDouble(at, acc);
              acc = combine(acc, x.getDouble(at));
            }
          } else if (integer) {
            iacc = combineInt(iacc, x.getLong(at));
            b.setLong(at, iacc);
          } else {
            acc = combine(acc, x.getDouble(at));
            b.setDouble(at, acc);
          }
        }
      }
    }
    return List.of(b.build());
  }

  static OpSpec spec(String name) {
    return OpSpec.of(name, List.of("x"), List.of("y")).withDefaults(
      Map.of("exclusive", false, "reverse", false)
    );
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Loop IR building blocks shared by the lowerings of reductions and of the ops that work along one
 * axis (softmax, cumulative sums, arg-reductions, top-k). Floats accumulate in {@code F64} and
 * integers in {@code I64}, as the reference semantics do.
 */
final class AxisLowering {

  private AxisLowering() {}

  /** The accumulator type for elements of compute type {@code s}: F64 for floats, else I64. */
  static Scalar accumulator(Scalar s) {
    return s.isFloat() ? Scalar.F64 : Scalar.I64;
  }

  /** {@code e} in a type that orders: booleans become {@code I64}, everything else stays. */
  static Expr ordered(Expr e) {
    return e.type() == Scalar.BOOL ? Ex.cast(Scalar.I64, e) : e;
  }

  /** {@code idx} with its entry at {@code axis} replaced by {@code k}. */
  static List<Expr> at(List<Expr> idx, int axis, Expr k) {
    List<Expr> r = new ArrayList<>(idx);
    r.set(axis, k);
    return r;
  }

  /** {@code idx} without the entries whose {@code drop} flag is set. */
  static List<Expr> without(List<Expr> idx, boolean[] drop) {
    List<Expr> r = new ArrayList<>();
    for (int d = 0; d < idx.size(); d++) {
      if (!drop[d]) {
        r.add(idx.get(d));
      }
    }
    return r;
  }

  /** {@code idx} without its entry at {@code axis}. */
  static List<Expr> without(List<Expr> idx, int axis) {
    boolean[] drop = new boolean[idx.size()];
    drop[axis] = true;
    return without(idx, drop);
  }

  /**
   * Runs {@code body} once per 1-D line of a tensor of {@code dims} along {@code axis}; the index
   * it gets has 0 at {@code axis}.
   */
  static void lines(LowerContext ctx, long[] dims, int axis, Consumer<List<Expr>> body) {
    long[] outer = dims.clone();
    outer[axis] = 1;
    ctx.forEach(outer, body);
  }

  /** Emits {@code for k in [lower, n)} along a line. */
  static void along(LowerContext ctx, long lower, long n, Consumer<Expr.Var> body) {
    ctx.loop("k", Ex.i64(lower), Ex.i64(n), Schedule.DEFAULT, body);
  }

  /**
   * Lowers the position of the first (or, with {@code last}, the last) element of the line at
   * {@code idx} along {@code axis} that {@code better} prefers: returns an {@code I64} variable.
   * The line must not be empty.
   */
  static Expr.Var bestIndex(
    LowerContext ctx,
    List<Expr> idx,
    int axis,
    long n,
    boolean last,
    java.util.function.BinaryOperator<Expr> better
  ) {
    Expr.Var best = ctx.let("best", ordered(ctx.load(0, idx)));
    Expr.Var pos = ctx.let("pos", Ex.i64(0));
    along(ctx, 1, n, k -> {
      Expr.Var v = ctx.let("v", ordered(ctx.load(0, at(idx, axis, k))));
      Expr wins = better.apply(v, best);
      if (last) {
        wins = Ex.or(wins, Ex.eq(v, best));
      }
      ctx.ifThen(
        wins,
        () -> {
          ctx.assign(best, v);
          ctx.assign(pos, k);
        },
        null
      );
    });
    return pos;
  }

  /**
   * Lowers softmax (or log-softmax) of operand 0 along {@code axis}: the line's maximum, the sum
   * of {@code exp(x - max)} in F64, then {@code exp(x - max) / sum} or {@code x - max - log(sum)}.
   */
  static void softmax(LowerContext ctx, long axis, boolean log) {
    long[] dims = ctx.operandDims(0);
    int a = Shapes.axis(axis, dims.length);
    long n = dims[a];
    Scalar t = ctx.operandScalar(0);
    lines(ctx, dims, a, idx -> {
      Expr.Var max = ctx.let("max", Ex.c(t, Double.NEGATIVE_INFINITY));
      along(ctx, 0, n, k -> ctx.assign(max, Ex.max(max, ctx.load(0, at(idx, a, k)))));
      Expr.Var sum = ctx.let("sum", Ex.c(Scalar.F64, 0));
      along(ctx, 0, n, k ->
        ctx.assign(
          sum,
          Ex.add(sum, Ex.cast(Scalar.F64, Ex.exp(Ex.sub(ctx.load(0, at(idx, a, k)), max))))
        )
      );
      Expr.Var scale = ctx.let("scale", Ex.cast(t, log ? Ex.log(sum) : sum));
      along(ctx, 0, n, k -> {
        List<Expr> i = at(idx, a, k);
        Expr shifted = Ex.sub(ctx.load(0, i), max);
        ctx.store(0, i, log ? Ex.sub(shifted, scale) : Ex.div(Ex.exp(shifted), scale));
      });
    });
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The {@code k} largest (or, without {@code largest}, smallest) elements along {@code axis} and
 * their i64 indices, ordered from the most extreme; equal values keep ascending index order. NaN
 * ranks above every number. Both results have the shape of {@code x} with extent {@code k} on
 * {@code axis}, which must not exceed the input extent. {@code sorted} is kept for round-tripping:
 * the results are always ordered. ONNX {@code TopK} with a constant {@code K} input.
 */
public record TopK(long k, long axis, boolean largest, boolean sorted) implements Op {
  public static final OpSpec SPEC = OpSpec.of(
    "nn.top_k",
    List.of("x"),
    List.of("values", "indices")
  ).withDefaults(Map.of("axis", -1L, "largest", true, "sorted", true));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    OpError.check(!x.elementType().isBool(), "top_k input must be numeric, got %s", x);
    OpError.check(x.rank() >= 1, "top_k input must have rank >= 1");
    OpError.check(k >= 0, "k must be >= 0, got %d", k);
    int a = Shapes.axis(axis, x.rank());
    Dim n = x.shape().dim(a);
    OpError.check(
      !n.isKnown() || k <= n.size(),
      "k (%d) exceeds the extent %s of axis %d",
      k,
      n,
      a
    );
    List<Dim> dims = new ArrayList<>(x.shape().dims());
    dims.set(a, Dim.of(k));
    TensorType values = x.withShape(new dev.kiln.ir.Shape(dims));
    return List.of(values, new TensorType(ElementType.I64, values.shape()));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    List<TensorType> types = inferTypes(new InferContext(List.of(x.type()), List.of()));
    long[] s = x.shape().sizes();
    int a = Shapes.axis(axis, s.length);
    long outer = Strides.product(s, 0, a);
    long inner = Strides.product(s, a + 1, s.length);
    int n = Math.toIntExact(s[a]);
    int w = x.elementType().byteSize();
    byte[] src = x.bytes();
    byte[] dst = new byte[Math.toIntExact(outer * k * inner * w)];
    Tensor.Builder indices = new Tensor.Builder(types.get(1));
    Comparator<Integer> order = comparator(x);
    Integer[] line = new Integer[n];
    for (long o = 0; o < outer; o++) {
      for (long i = 0; i < inner; i++) {
        long base = o * n * inner + i;
        for (int j = 0; j < n; j++) {
          line[j] = Math.toIntExact(base + j * inner);
        }
        Arrays.sort(line, order);
        for (int j = 0; j < k; j++) {
          long out = (o * k + j) * inner + i;
          System.arraycopy(src, line[j] * w, dst, (int) (out * w), w);
          indices.setLong(out, (line[j] - base) / inner);
        }
      }
    }
    return List.of(Tensor.wrap(types.get(0), dst), indices.build());
  }

  /** Orders flat positions of {@code x} from the most extreme value; the sort is stable. */
  private Comparator<Integer> comparator(Tensor x) {
    ElementType e = x.elementType();
    Comparator<Integer> ascending = e.isFloat()
      ? (p, q) -> Double.compare(x.getDouble(p), x.getDouble(q))
      : e == ElementType.U64
        ? (p, q) -> Long.compareUnsigned(x.getLong(p), x.getLong(q))
        : (p, q) -> Long.compare(x.getLong(p), x.getLong(q));
    return largest ? ascending.reversed() : ascending;
  }

  /**
   * Per line, {@code k} selection passes: pass {@code j} scans the line for the most extreme
   * element that comes after the one pass {@code j - 1} chose, in the order of {@link #evaluate}
   * (value, then ascending index), so no scratch memory is needed.
   */
  @Override
  public void lower(LowerContext ctx) {
    long[] in = ctx.operandDims(0);
    int a = Shapes.axis(axis, in.length);
    long n = in[a];
    Scalar t = ctx.operandScalar(0);
    AxisLowering.lines(ctx, in, a, idx -> {
      Expr.Var prev = ctx.let("prev", Ex.c(t, 0));
      Expr.Var prevAt = ctx.let("prev_at", Ex.i64(-1));
      AxisLowering.along(ctx, 0, k, j -> {
        Expr.Var best = ctx.let("best", Ex.c(t, 0));
        Expr.Var bestAt = ctx.let("best_at", Ex.i64(-1));
        AxisLowering.along(ctx, 0, n, q -> {
          Expr.Var v = ctx.let("v", ctx.load(0, AxisLowering.at(idx, a, q)));
          Expr first = Ex.lt(prevAt, Ex.i64(0));
          Expr tie = Ex.and(Ex.not(before(prev, v)), Ex.not(before(v, prev)));
          Expr after = Ex.or(first, Ex.or(before(prev, v), Ex.and(tie, Ex.lt(prevAt, q))));
          Expr wins = Ex.or(Ex.lt(bestAt, Ex.i64(0)), before(v, best));
          ctx.ifThen(
            Ex.and(after, wins),
            () -> {
              ctx.assign(best, v);
              ctx.assign(bestAt, q);
            },
            null
          );
        });
        List<Expr> out = AxisLowering.at(idx, a, j);
        ctx.store(0, out, best);
        ctx.store(1, out, bestAt);
        ctx.assign(prev, best);
        ctx.assign(prevAt, bestAt);
      });
    });
  }

  /** Whether {@code x} ranks strictly before {@code y}: more extreme, in Double.compare order. */
  private Expr before(Expr x, Expr y) {
    return largest ? less(y, x) : less(x, y);
  }

  /**
   * {@code x < y} in the total order of {@code Double.compare} for floats (NaN above everything,
   * {@code -0.0} below {@code 0.0}), the type's order for integers.
   */
  private static Expr less(Expr x, Expr y) {
    if (!x.type().isFloat()) {
      return Ex.lt(x, y);
    }
    Expr nan = Ex.and(
      Ex.not(Ex.un(dev.kiln.ir.loop.UnaryOp.IS_NAN, x)),
      Ex.un(dev.kiln.ir.loop.UnaryOp.IS_NAN, y)
    );
    Expr one = Ex.one(x);
    Expr zeros = Ex.and(Ex.eq(x, y), Ex.lt(Ex.div(one, x), Ex.div(one, y)));
    return Ex.or(nan, Ex.or(Ex.lt(x, y), zeros));
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.BinaryOp;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import dev.kiln.ir.loop.UnaryOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Samples {@code x: [N, C, D1..Dr]} at the normalized positions of {@code grid: [N, O1..Or, r]}
 * (last axis ordered innermost spatial axis first: {@code (w, h, d)}); output {@code [N, C,
 * O1..Or]}. A normalized coordinate {@code g} of an axis of extent {@code D} maps to {@code (g + 1)
 * / 2 * (D - 1)} when {@code alignCorners}, else to {@code ((g + 1) * D - 1) / 2}. Coordinates
 * beyond the border range ({@code [0, D - 1]} aligned, {@code [-0.5, D - 0.5]} otherwise) are
 * clamped into {@code [0, D - 1]} ({@code border}) or mirrored into the range ({@code
 * reflection}); then {@code nearest} takes the sample at the coordinate rounded half to even,
 * {@code linear} and {@code cubic} (Keys, {@code a = -0.75}) weigh the 2 or 4 neighbouring samples
 * per axis, and samples outside the input read as 0 ({@code zeros}), the clamped edge ({@code
 * border}) or the mirrored sample ({@code reflection}). ONNX {@code GridSample} (opsets 16, 20).
 */
public record GridSample(Mode mode, Padding padding, boolean alignCorners) implements Op {
  /** The interpolation kernel. */
  public enum Mode {
    NEAREST,
    LINEAR,
    CUBIC,
  }

  /** What samples outside the input read as. */
  public enum Padding {
    ZEROS,
    BORDER,
    REFLECTION,
  }

  public static final OpSpec SPEC = OpSpec.of(
    "nn.grid_sample",
    List.of("x", "grid"),
    List.of("y")
  ).withDefaults(Map.of("mode", Mode.LINEAR, "padding", Padding.ZEROS, "alignCorners", false));

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType grid = ctx.operand(1);
    Shapes.requireFloat(x, "grid_sample input");
    Shapes.requireFloat(grid, "grid_sample grid");
    OpError.check(x.rank() >= 3, "input must have rank >= 3 (N, C, spatial...), got %s", x);
    int r = x.rank() - 2;
    OpError.check(grid.rank() == r + 2, "grid rank %d must be %d", grid.rank(), r + 2);
    Dim last = grid.shape().dim(r + 1);
    OpError.check(
      !last.isKnown() || last.size() == r,
      "grid's last extent %s must be the spatial rank %d",
      last,
      r
    );
    Dim n = x.shape().dim(0);
    Dim gn = grid.shape().dim(0);
    OpError.check(
      !n.isKnown() || !gn.isKnown() || n.size() == gn.size(),
      "grid batch %s differs from input batch %s",
      gn,
      n
    );
    List<Dim> out = new ArrayList<>();
    out.add(n.isKnown() ? n : gn);
    out.add(x.shape().dim(1));
    for (int i = 0; i < r; i++) {
      out.add(grid.shape().dim(i + 1));
    }
    return List.of(x.withShape(new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.get(0);
    Tensor grid = operands.get(1);
    TensorType outType = inferTypes(
      new InferContext(List.of(x.type(), grid.type()), List.of())
    ).getFirst();
    long[] xs = x.shape().sizes();
    long[] os = outType.shape().sizes();
    int r = xs.length - 2;
    long n = xs[0];
    long c = xs[1];
    long[] dims = WindowLoops.spatial(xs);
    long inPlane = Strides.product(dims, 0, r);
    long outPlane = Strides.product(os, 2, os.length);
    long[] strides = Strides.of(dims);
    double[] xv = x.toDoubles();
    double[] gv = grid.toDoubles();
    double[] y = new double[Math.toIntExact(n * c * outPlane)];
    int taps = switch (mode) {
      case NEAREST -> 1;
      case LINEAR -> 2;
      case CUBIC -> 4;
    };
    long[][] index = new long[r][taps];
    double[][] weight = new double[r][taps];
    int combos = (int) Math.pow(taps, r);
    for (long b = 0; b < n; b++) {
      for (long o = 0; o < outPlane; o++) {
        for (int a = 0; a < r; a++) {
          double g = gv[(int) ((b * outPlane + o) * r + (r - 1 - a))];
          axisTaps(g, dims[a], index[a], weight[a]);
        }
        for (long ch = 0; ch < c; ch++) {
          int base = (int) ((b * c + ch) * inPlane);
          double acc = 0;
          for (int k = 0; k < combos; k++) {
            double w = 1;
            long off = 0;
            int rest = k;
            for (int a = r - 1; a >= 0 && w != 0; a--) {
              int t = rest % taps;
              rest /= taps;
              long i = index[a][t];
              if (i < 0) {
                w = 0;
              } else {
                w *= weight[a][t];
                off += i * strides[a];
              }
            }
            if (w != 0) {
              acc += w * xv[(int) (base + off)];
            }
          }
          y[(int) ((b * c + ch) * outPlane + o)] = acc;
        }
      }
    }
    return List.of(Tensor.ofDoubles(outType, y));
  }

  /** Indices ({@code -1}: reads as zero) and weights of an axis's samples at {@code g}. */
  private void axisTaps(double g, long d, long[] index, double[] weight) {
    double lo = alignCorners ? 0 : -0.5;
    double hi = alignCorners ? d - 1 : d - 0.5;
    double v = alignCorners ? ((g + 1) / 2) * (d - 1) : ((g + 1) * d - 1) / 2;
    if (v < lo || v > hi) {
      if (padding == Padding.BORDER) {
        v = Math.min(Math.max(v, 0), d - 1);
      } else if (padding == Padding.REFLECTION) {
        v = reflect(v, lo, hi);
      }
    }
    switch (mode) {
      case NEAREST -> {
        index[0] = sample((long) Math.rint(v), d, lo, hi);
        weight[0] = 1;
      }
      case LINEAR -> {
        double f = Math.floor(v);
        double t = v - f;
        index[0] = sample((long) f, d, lo, hi);
        index[1] = sample((long) f + 1, d, lo, hi);
        weight[0] = 1 - t;
        weight[1] = t;
      }
      case CUBIC -> {
        double f = Math.floor(v);
        double t = v - f;
        double a = -0.75;
        for (int k = 0; k < 4; k++) {
          index[k] = sample((long) f + k - 1, d, lo, hi);
        }
        weight[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
        weight[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
        weight[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
        weight[3] = ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a;
      }
    }
  }

  private long sample(long i, long d, double lo, double hi) {
    if (i >= 0 && i < d) {
      return i;
    }
    return switch (padding) {
      case ZEROS -> -1;
      case BORDER -> Math.min(Math.max(i, 0), d - 1);
      case REFLECTION -> Math.min(Math.max((long) reflect(i, lo, hi), 0), d - 1);
    };
  }

  /** Mirrors {@code v} at the nearer border until it lies in {@code [lo, hi]}. */
  private static double reflect(double v, double lo, double hi) {
    double range = hi - lo;
    if (range <= 0) {
      return lo;
    }
    if (v < lo) {
      double dx = lo - v;
      long k = (long) (dx / range);
      double rem = dx - k * range;
      return k % 2 == 0 ? lo + rem : hi - rem;
    }
    if (v > hi) {
      double dx = v - hi;
      long k = (long) (dx / range);
      double rem = dx - k * range;
      return k % 2 == 0 ? hi - rem : lo + rem;
    }
    return v;
  }

  /**
   * Per output position, the taps of every spatial axis are computed once from the grid (in
   * {@code f64}, with {@link #evaluate}'s formulas) and a loop over channels sums the products of
   * their weights times the samples. Tap indices are clamped into the input, so a tap outside it
   * ({@code zeros} padding) only drops its term and never reads outside the buffer.
   */
  @Override
  public void lower(LowerContext ctx) {
    long[] xs = ctx.operandDims(0);
    long[] os = ctx.resultDims(0);
    int r = xs.length - 2;
    long[] dims = WindowLoops.spatial(xs);
    if (MoveLowering.count(os) == 0) {
      return;
    }
    for (long d : dims) {
      if (d == 0) {
        throw new UnsupportedOperationException("grid_sample of an empty input is not supported");
      }
    }
    long[] positions = new long[r + 1];
    positions[0] = os[0];
    System.arraycopy(os, 2, positions, 1, r);
    Scalar f64 = Scalar.F64;
    ctx.forEach(positions, p -> {
      List<List<Tap>> taps = new ArrayList<>();
      for (int a = 0; a < r; a++) {
        List<Expr> at = new ArrayList<>(p);
        at.add(Ex.i64(r - 1 - a));
        Expr g = ctx.let("g", Ex.cast(f64, ctx.load(1, at)));
        taps.add(axisTaps(ctx, g, dims[a]));
      }
      Scalar out = ctx.resultScalar(0);
      ctx.loop("c", xs[1], c -> {
        List<Expr> at = new ArrayList<>();
        at.add(p.get(0));
        at.add(c);
        at.addAll(p.subList(1, p.size()));
        Expr acc = sum(ctx, taps, new ArrayList<>(at), 0, null, null);
        ctx.store(0, at, Ex.cast(out, acc));
      });
    });
  }

  /** A sample of one axis: its index clamped into the axis, whether it is inside, its weight. */
  private record Tap(Expr index, Expr inside, Expr weight) {}

  private List<Tap> axisTaps(LowerContext ctx, Expr g, long d) {
    Scalar f64 = Scalar.F64;
    double lo = alignCorners ? 0 : -0.5;
    double hi = alignCorners ? d - 1 : d - 0.5;
    Expr one = Ex.c(f64, 1);
    Expr v = alignCorners
      ? Ex.mul(Ex.div(Ex.add(g, one), Ex.c(f64, 2)), Ex.c(f64, d - 1))
      : Ex.div(Ex.sub(Ex.mul(Ex.add(g, one), Ex.c(f64, d)), one), Ex.c(f64, 2));
    v = ctx.let("v", v);
    Expr outside = Ex.bin(BinaryOp.OR, Ex.lt(v, Ex.c(f64, lo)), Ex.gt(v, Ex.c(f64, hi)));
    if (padding == Padding.BORDER) {
      v = ctx.let("v", Ex.select(outside, Ex.min(Ex.max(v, Ex.c(f64, 0)), Ex.c(f64, d - 1)), v));
    } else if (padding == Padding.REFLECTION) {
      v = ctx.let("v", reflect(v, lo, hi));
    }
    List<Tap> taps = new ArrayList<>();
    switch (mode) {
      case NEAREST -> taps.add(
        tap(ctx, Ex.cast(Scalar.I64, Ex.un(UnaryOp.ROUND, v)), one, d, lo, hi)
      );
      case LINEAR -> {
        Expr f = ctx.let("f", Ex.floor(v));
        Expr t = ctx.let("t", Ex.sub(v, f));
        Expr i = Ex.cast(Scalar.I64, f);
        taps.add(tap(ctx, i, Ex.sub(one, t), d, lo, hi));
        taps.add(tap(ctx, Ex.add(i, Ex.i64(1)), t, d, lo, hi));
      }
      case CUBIC -> {
        Expr f = ctx.let("f", Ex.floor(v));
        Expr t = ctx.let("t", Ex.sub(v, f));
        Expr i = Ex.cast(Scalar.I64, f);
        Expr[] w = cubic(t);
        for (int k = 0; k < 4; k++) {
          taps.add(tap(ctx, Ex.add(i, Ex.i64(k - 1)), w[k], d, lo, hi));
        }
      }
    }
    return taps;
  }

  /** Keys weights ({@code a = -0.75}) of the four samples around fraction {@code t}. */
  private static Expr[] cubic(Expr t) {
    Expr a = Ex.like(t, -0.75);
    Expr one = Ex.like(t, 1);
    Expr t1 = Ex.add(t, one);
    Expr u = Ex.sub(one, t);
    Expr u1 = Ex.sub(Ex.like(t, 2), t);
    Expr a2 = Ex.like(t, -0.75 + 2);
    Expr a3 = Ex.like(t, -0.75 + 3);
    Expr a5 = Ex.like(t, 5 * -0.75);
    Expr a8 = Ex.like(t, 8 * -0.75);
    Expr a4 = Ex.like(t, 4 * -0.75);
    return new Expr[] {
      Ex.sub(Ex.mul(Ex.add(Ex.mul(Ex.sub(Ex.mul(a, t1), a5), t1), a8), t1), a4),
      Ex.add(Ex.mul(Ex.mul(Ex.sub(Ex.mul(a2, t), a3), t), t), one),
      Ex.add(Ex.mul(Ex.mul(Ex.sub(Ex.mul(a2, u), a3), u), u), one),
      Ex.sub(Ex.mul(Ex.add(Ex.mul(Ex.sub(Ex.mul(a, u1), a5), u1), a8), u1), a4),
    };
  }

  private Tap tap(LowerContext ctx, Expr i, Expr weight, long d, double lo, double hi) {
    Expr index = ctx.let("i", i);
    Expr inside = Ex.and(Ex.ge(index, Ex.i64(0)), Ex.lt(index, Ex.i64(d)));
    Expr w = ctx.let("w", weight);
    return switch (padding) {
      case ZEROS -> new Tap(
        ctx.let("i", MoveLowering.clamp(index, 0, d - 1)),
        ctx.let("in", inside),
        w
      );
      case BORDER -> new Tap(ctx.let("i", MoveLowering.clamp(index, 0, d - 1)), null, w);
      case REFLECTION -> {
        Expr m = Ex.cast(Scalar.I64, reflect(Ex.cast(Scalar.F64, index), lo, hi));
        Expr j = Ex.select(inside, index, m);
        yield new Tap(ctx.let("i", MoveLowering.clamp(j, 0, d - 1)), null, w);
      }
    };
  }

  /** {@link #reflect(double, double, double)} as an expression. */
  private static Expr reflect(Expr v, double lo, double hi) {
    double range = hi - lo;
    Expr l = Ex.like(v, lo);
    Expr h = Ex.like(v, hi);
    if (range <= 0) {
      return Ex.select(Ex.bin(BinaryOp.OR, Ex.lt(v, l), Ex.gt(v, h)), l, v);
    }
    Expr[] b = fold(Ex.sub(l, v), range);
    Expr below = Ex.select(b[1], Ex.add(l, b[0]), Ex.sub(h, b[0]));
    Expr[] u = fold(Ex.sub(v, h), range);
    Expr above = Ex.select(u[1], Ex.sub(h, u[0]), Ex.add(l, u[0]));
    return Ex.select(Ex.lt(v, l), below, Ex.select(Ex.gt(v, h), above, v));
  }

  /**
   * A distance {@code dx} past a border split into whole {@code range}s: the remainder and whether
   * the count of whole ranges is even.
   */
  private static Expr[] fold(Expr dx, double range) {
    Expr r = Ex.like(dx, range);
    Expr k = Ex.cast(Scalar.I64, Ex.div(dx, r));
    Expr rem = Ex.sub(dx, Ex.mul(Ex.cast(Scalar.F64, k), r));
    return new Expr[] { rem, Ex.eq(Ex.rem(k, Ex.i64(2)), Ex.i64(0)) };
  }

  /** The weighted sum over the taps of axes {@code a..}, earlier ones fixed in {@code at}. */
  private static Expr sum(
    LowerContext ctx,
    List<List<Tap>> taps,
    List<Expr> at,
    int a,
    Expr weight,
    Expr inside
  ) {
    if (a == taps.size()) {
      Expr x = Ex.cast(Scalar.F64, ctx.load(0, List.copyOf(at)));
      Expr zero = Ex.c(Scalar.F64, 0);
      Expr keep = Ex.ne(weight, zero);
      if (inside != null) {
        keep = Ex.and(inside, keep);
      }
      return Ex.select(keep, Ex.mul(weight, x), zero);
    }
    Expr acc = null;
    for (Tap t : taps.get(a)) {
      at.set(a + 2, t.index());
      Expr w = weight == null ? t.weight() : Ex.mul(weight, t.weight());
      Expr in = inside == null
        ? t.inside()
        : t.inside() == null ? inside : Ex.and(inside, t.inside());
      Expr term = sum(ctx, taps, at, a + 1, w, in);
      acc = acc == null ? term : Ex.add(acc, term);
    }
    return acc;
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
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
}

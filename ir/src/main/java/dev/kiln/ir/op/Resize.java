package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.loop.Buffer;
import dev.kiln.ir.loop.Ex;
import dev.kiln.ir.loop.Expr;
import dev.kiln.ir.loop.LowerContext;
import dev.kiln.ir.loop.Scalar;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Resizes a tensor by separable interpolation along every axis. {@code sizes} gives the output
 * extent of each axis ({@code -1}: the axis is left as it is, with scale 1); {@code scales} the
 * factor each output coordinate {@code x} is mapped back with, and {@code roi} (starts then ends,
 * normalized, only for {@code tf_crop_and_resize}) the crop box. Output shape: {@code sizes}, with
 * {@code -1} replaced by the input extent. With {@code in} and {@code out} the extents of an axis
 * and {@code s} its scale, the source coordinate is
 *
 * <ul>
 *   <li>{@code half_pixel}: {@code (x + 0.5) / s - 0.5};
 *   <li>{@code half_pixel_symmetric}: that plus {@code in / 2 * (1 - out / (s * in))};
 *   <li>{@code pytorch_half_pixel}: as {@code half_pixel}, but {@code -0.5} when {@code s * in ==
 *       1};
 *   <li>{@code align_corners}: {@code x * (in - 1) / (s * in - 1)} ({@code 0} when {@code s * in ==
 *       1});
 *   <li>{@code asymmetric}: {@code x / s};
 *   <li>{@code tf_crop_and_resize}: {@code start * (in - 1) + x * (end - start) * (in - 1) / (s * in
 *       - 1)}, and {@code extrapolation_value} when that falls outside {@code [0, in - 1]}.
 * </ul>
 *
 * <p>{@code nearest} takes the sample at the source coordinate rounded by {@code nearest_mode};
 * {@code linear} and {@code cubic} (Keys kernel with parameter {@code cubic_coeff_a}) weigh the
 * neighbouring samples, edge samples repeating beyond the border; {@code exclude_outside} drops
 * the weights of samples beyond the border and renormalizes; {@code antialias} stretches the
 * kernel by {@code 1 / s} when downsampling. ONNX {@code Resize} (opsets 10 to 19) and {@code
 * Upsample}, with {@code scales}, {@code sizes}, {@code axes} and {@code keep_aspect_ratio_policy}
 * resolved by the frontend.
 */
public record Resize(
  List<Long> sizes,
  List<Double> scales,
  List<Double> roi,
  Mode mode,
  CoordinateMode coordinateMode,
  NearestMode nearestMode,
  double cubicCoeffA,
  boolean excludeOutside,
  double extrapolationValue,
  boolean antialias
) implements Op {
  /** The interpolation kernel. */
  public enum Mode {
    NEAREST,
    LINEAR,
    CUBIC,
  }

  /** How an output coordinate maps to an input coordinate. */
  public enum CoordinateMode {
    HALF_PIXEL,
    HALF_PIXEL_SYMMETRIC,
    PYTORCH_HALF_PIXEL,
    ALIGN_CORNERS,
    ASYMMETRIC,
    TF_CROP_AND_RESIZE,
  }

  /** How {@code nearest} rounds a source coordinate. */
  public enum NearestMode {
    ROUND_PREFER_FLOOR,
    ROUND_PREFER_CEIL,
    FLOOR,
    CEIL,
  }

  public static final OpSpec SPEC = OpSpec.of("nn.resize", List.of("x"), List.of("y")).withDefaults(
    Map.of(
      "roi",
      List.of(),
      "mode",
      Mode.NEAREST,
      "coordinateMode",
      CoordinateMode.HALF_PIXEL,
      "nearestMode",
      NearestMode.ROUND_PREFER_FLOOR,
      "cubicCoeffA",
      -0.75,
      "excludeOutside",
      false,
      "extrapolationValue",
      0.0,
      "antialias",
      false
    )
  );

  public Resize {
    sizes = List.copyOf(sizes);
    scales = List.copyOf(scales);
    roi = List.copyOf(roi);
  }

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    Shapes.requireFloat(x, "resize input");
    int r = x.rank();
    OpError.check(sizes.size() == r, "sizes %s needs %d entries", sizes, r);
    OpError.check(scales.size() == r, "scales %s needs %d entries", scales, r);
    OpError.check(
      roi.isEmpty() || roi.size() == 2 * r,
      "roi %s needs %d entries or none",
      roi,
      2 * r
    );
    OpError.check(
      coordinateMode != CoordinateMode.TF_CROP_AND_RESIZE || !roi.isEmpty(),
      "tf_crop_and_resize needs a roi"
    );
    List<Dim> out = new ArrayList<>();
    for (int d = 0; d < r; d++) {
      long n = sizes.get(d);
      double s = scales.get(d);
      OpError.check(n >= -1, "size %d on axis %d is negative", n, d);
      OpError.check(s > 0 && Double.isFinite(s), "scale %s on axis %d must be positive", s, d);
      OpError.check(n != -1 || s == 1.0, "unchanged axis %d must have scale 1, got %s", d, s);
      out.add(n == -1 ? x.shape().dim(d) : Dim.of(n));
    }
    return List.of(x.withShape(new Shape(out)));
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.getFirst();
    TensorType outType = inferTypes(new InferContext(List.of(x.type()), List.of())).getFirst();
    long[] shape = x.shape().sizes();
    long[] target = outType.shape().sizes();
    int r = shape.length;
    double[] data = x.toDoubles();
    for (int d = r - 1; d >= 0; d--) {
      if (sizes.get(d) == -1) {
        continue;
      }
      data = resizeAxis(data, shape, d, target[d]);
      shape[d] = target[d];
    }
    return List.of(Tensor.ofDoubles(outType, data));
  }

  /** One axis: every output position is a weighted sum of input samples along {@code axis}. */
  private double[] resizeAxis(double[] data, long[] shape, int axis, long out) {
    long in = shape[axis];
    long outer = Strides.product(shape, 0, axis);
    long inner = Strides.product(shape, axis + 1, shape.length);
    double[] result = new double[Math.toIntExact(outer * out * inner)];
    if (in == 0 || result.length == 0) {
      return result;
    }
    double scale = scales.get(axis);
    for (long o = 0; o < out; o++) {
      Taps taps = taps(o, in, out, scale, axis, shape.length);
      for (long a = 0; a < outer; a++) {
        for (long i = 0; i < inner; i++) {
          double v;
          if (taps == null) {
            v = extrapolationValue;
          } else {
            v = 0;
            for (int t = 0; t < taps.index.length; t++) {
              double w = taps.weight[t];
              if (w != 0) {
                v += w * data[(int) ((a * in + taps.index[t]) * inner + i)];
              }
            }
          }
          result[(int) ((a * out + o) * inner + i)] = v;
        }
      }
    }
    return result;
  }

  /** Input indices (clamped into range) and their weights; {@code null} means extrapolate. */
  private record Taps(long[] index, double[] weight) {}

  private Taps taps(long o, long in, long out, double scale, int axis, int rank) {
    double width = scale * in;
    double xo = o;
    double src = switch (coordinateMode) {
      case HALF_PIXEL -> (xo + 0.5) / scale - 0.5;
      case HALF_PIXEL_SYMMETRIC -> (in / 2.0) * (1 - out / width) + (xo + 0.5) / scale - 0.5;
      case PYTORCH_HALF_PIXEL -> width == 1 ? -0.5 : (xo + 0.5) / scale - 0.5;
      case ALIGN_CORNERS -> width == 1 ? 0 : (xo * (in - 1)) / (width - 1);
      case ASYMMETRIC -> xo / scale;
      case TF_CROP_AND_RESIZE -> {
        double start = roi.get(axis);
        double end = roi.get(axis + rank);
        double c = width == 1
          ? ((end - start) * (in - 1)) / 2
          : (xo * (end - start) * (in - 1)) / (width - 1);
        yield c + start * (in - 1);
      }
    };
    if (coordinateMode == CoordinateMode.TF_CROP_AND_RESIZE && (src < 0 || src > in - 1)) {
      return null;
    }
    double floor = Math.floor(src);
    double ratio = src == floor ? 1 : src - floor;
    double[] w = coefficients(ratio, scale);
    int n = w.length;
    long pad = (n + 1) / 2;
    long limit = in + 2 * pad;
    double xp = src + pad;
    long start = src == floor ? (long) xp - n / 2 : (long) Math.floor(xp) - n / 2 + 1;
    start = Math.max(0, Math.min(start, limit - n));
    long[] idx = new long[n];
    boolean renormalize = false;
    for (int t = 0; t < n; t++) {
      long j = start + t - pad;
      if (excludeOutside && (j < 0 || j >= in)) {
        w[t] = 0;
        renormalize = true;
      }
      idx[t] = Math.max(0, Math.min(j, in - 1));
    }
    if (renormalize) {
      double sum = 0;
      for (double v : w) {
        sum += v;
      }
      for (int t = 0; t < n; t++) {
        w[t] /= sum;
      }
    }
    return new Taps(idx, w);
  }

  /**
   * Weights of the {@code n} samples around a source coordinate whose distance past the lower
   * middle sample is {@code ratio} (in {@code (0, 1]}).
   */
  private double[] coefficients(double ratio, double scale) {
    return switch (mode) {
      case NEAREST -> {
        boolean upper =
          ratio == 1 ||
          switch (nearestMode) {
            case ROUND_PREFER_FLOOR -> ratio > 0.5;
            case ROUND_PREFER_CEIL -> ratio >= 0.5;
            case FLOOR -> false;
            case CEIL -> true;
          };
        yield upper ? new double[] { 0, 1 } : new double[] { 1, 0 };
      }
      case LINEAR -> {
        if (!antialias) {
          yield new double[] { 1 - ratio, ratio };
        }
        double s = Math.min(scale, 1);
        long start = (long) Math.floor(-1 / s) + 1;
        int n = (int) (2 - 2 * start);
        double[] w = new double[n];
        for (int t = 0; t < n; t++) {
          w[t] = Math.max(0, 1 - Math.abs((start + t - ratio) * s));
        }
        yield normalized(w);
      }
      case CUBIC -> {
        if (!antialias) {
          double a = cubicCoeffA;
          double c0 = ((a * (ratio + 1) - 5 * a) * (ratio + 1) + 8 * a) * (ratio + 1) - 4 * a;
          double c1 = ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1;
          double c2 = ((a + 2) * (1 - ratio) - (a + 3)) * (1 - ratio) * (1 - ratio) + 1;
          double c3 = ((a * (2 - ratio) - 5 * a) * (2 - ratio) + 8 * a) * (2 - ratio) - 4 * a;
          yield new double[] { c0, c1, c2, c3 };
        }
        double s = Math.min(scale, 1);
        long start = (long) Math.floor(-2 / s) + 1;
        int n = (int) (2 - 2 * start);
        double[] w = new double[n];
        for (int t = 0; t < n; t++) {
          w[t] = keys(s * (start + t - ratio));
        }
        yield normalized(w);
      }
    };
  }

  private double keys(double x) {
    double a = cubicCoeffA;
    double d = Math.abs(x);
    if (d <= 1) {
      return ((a + 2) * d - (a + 3)) * d * d + 1;
    }
    if (d < 2) {
      return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
    }
    return 0;
  }

  private static double[] normalized(double[] w) {
    double sum = 0;
    for (double v : w) {
      sum += v;
    }
    for (int t = 0; t < w.length; t++) {
      w[t] /= sum;
    }
    return w;
  }

  /**
   * Each output element is the sum, over every combination of one tap per resized axis, of the
   * product of the taps' weights times the input sample they address (the separable passes of
   * {@link #evaluate} multiplied out), accumulated in {@code f64}. The taps of every output
   * coordinate are computed here and become constant tables; an axis whose taps all have a single
   * weight of 1 (nearest) reads its sample without weights.
   */
  @Override
  public void lower(LowerContext ctx) {
    long[] shape = ctx.operandDims(0);
    long[] target = ctx.resultDims(0);
    int r = shape.length;
    if (MoveLowering.count(target) == 0) {
      return;
    }
    List<AxisTaps> axes = new ArrayList<>();
    for (int d = 0; d < r; d++) {
      if (sizes.get(d) == -1) {
        continue;
      }
      if (shape[d] == 0) {
        throw new UnsupportedOperationException("resize of an empty axis is not supported");
      }
      axes.add(axisTaps(ctx, d, shape[d], target[d], r));
    }
    Scalar out = ctx.resultScalar(0);
    ctx.forEach(target, idx -> {
      Expr valid = null;
      List<List<Expr>> index = new ArrayList<>();
      List<List<Expr>> weight = new ArrayList<>();
      for (AxisTaps a : axes) {
        Expr o = idx.get(a.axis);
        Expr row = Ex.mul(o, Ex.i64(a.taps));
        List<Expr> js = new ArrayList<>();
        List<Expr> ws = new ArrayList<>();
        for (int t = 0; t < a.taps; t++) {
          Expr at = Ex.add(row, Ex.i64(t));
          js.add(ctx.let("j", new Expr.Load(a.index, at)));
          if (a.weight != null) {
            ws.add(ctx.let("w", new Expr.Load(a.weight, at)));
          }
        }
        index.add(js);
        weight.add(ws);
        if (a.valid != null) {
          Expr v = Ex.ne(new Expr.Load(a.valid, o), Ex.ci(Scalar.U8, 0));
          valid = valid == null ? v : Ex.and(valid, v);
        }
      }
      Expr sum = accumulate(ctx, axes, index, weight, new ArrayList<>(idx), 0, null);
      Expr y = Ex.cast(out, sum);
      ctx.store(0, idx, valid == null ? y : Ex.select(valid, y, Ex.c(out, extrapolationValue)));
    });
  }

  /**
   * The input indices of one resized axis's taps ({@code taps} per output coordinate, row-major),
   * their weights (null when every coordinate reads one sample with weight 1) and, for
   * {@code tf_crop_and_resize}, whether each coordinate lies inside the input (null when all do).
   */
  private record AxisTaps(int axis, int taps, Buffer index, Buffer weight, Buffer valid) {}

  private AxisTaps axisTaps(LowerContext ctx, int axis, long in, long out, int rank) {
    Taps[] rows = new Taps[Math.toIntExact(out)];
    int n = 0;
    boolean oneHot = true;
    boolean extrapolates = false;
    for (int o = 0; o < rows.length; o++) {
      rows[o] = taps(o, in, out, scales.get(axis), axis, rank);
      if (rows[o] == null) {
        extrapolates = true;
        continue;
      }
      n = rows[o].index.length;
      oneHot &= oneHot(rows[o].weight);
    }
    int taps = oneHot ? 1 : Math.max(n, 1);
    long[] index = new long[rows.length * taps];
    double[] weight = new double[rows.length * taps];
    long[] valid = new long[rows.length];
    for (int o = 0; o < rows.length; o++) {
      Taps row = rows[o];
      if (row == null) {
        continue;
      }
      valid[o] = 1;
      for (int t = 0; t < row.index.length; t++) {
        if (oneHot && row.weight[t] == 1) {
          index[o] = row.index[t];
        } else if (!oneHot) {
          index[o * taps + t] = row.index[t];
          weight[o * taps + t] = row.weight[t];
        }
      }
    }
    Buffer ib = ctx.table(Tensor.ofLongs(TensorType.of(ElementType.I64, out, taps), index));
    Buffer wb = oneHot
      ? null
      : ctx.table(Tensor.ofDoubles(TensorType.of(ElementType.F64, out, taps), weight));
    Buffer vb = extrapolates
      ? ctx.table(Tensor.ofLongs(TensorType.of(ElementType.U8, out), valid))
      : null;
    return new AxisTaps(axis, taps, ib, wb, vb);
  }

  private static boolean oneHot(double[] w) {
    int ones = 0;
    for (double v : w) {
      if (v == 1) {
        ones++;
      } else if (v != 0) {
        return false;
      }
    }
    return ones == 1;
  }

  /** The weighted sum over the taps of resized axes {@code k..}, the earlier ones fixed in {@code at}. */
  private static Expr accumulate(
    LowerContext ctx,
    List<AxisTaps> axes,
    List<List<Expr>> index,
    List<List<Expr>> weight,
    List<Expr> at,
    int k,
    Expr w
  ) {
    if (k == axes.size()) {
      Expr x = ctx.load(0, List.copyOf(at));
      if (w == null) {
        return x;
      }
      Expr term = Ex.mul(w, Ex.cast(Scalar.F64, x));
      return Ex.select(Ex.eq(w, Ex.c(Scalar.F64, 0)), Ex.c(Scalar.F64, 0), term);
    }
    AxisTaps a = axes.get(k);
    Expr sum = null;
    for (int t = 0; t < a.taps; t++) {
      at.set(a.axis, index.get(k).get(t));
      Expr wt = a.weight == null
        ? w
        : w == null ? weight.get(k).get(t) : Ex.mul(w, weight.get(k).get(t));
      Expr term = accumulate(ctx, axes, index, weight, at, k + 1, wt);
      sum = sum == null ? term : Ex.add(sum, term);
    }
    return sum;
  }
}

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
import dev.kiln.ir.loop.Schedule;
import dev.kiln.ir.loop.UnaryOp;
import java.util.List;
import java.util.Map;

/**
 * Region-of-interest pooling by bilinear sampling. {@code x: [N, C, H, W]}, {@code rois: [R, 4]}
 * boxes {@code (x1, y1, x2, y2)} in input coordinates times {@code spatialScale} (shifted by -0.5
 * when {@code halfPixel}; otherwise widths and heights are at least 1), {@code batchIndices: [R]};
 * output {@code [R, C, outputHeight, outputWidth]}. Each output bin is split into a grid of {@code
 * samplingRatio} (0: {@code ceil(box extent / output extent)}) samples per axis at the sub-cell
 * centres; a sample more than one pixel outside the input counts as 0, others are clamped to the
 * input and interpolated from their four neighbours. {@code avg} averages the samples; {@code max}
 * takes the largest weighted neighbour of any sample. ONNX {@code RoiAlign} (opsets 10, 16).
 */
public record RoiAlign(
  Mode mode,
  long outputHeight,
  long outputWidth,
  long samplingRatio,
  double spatialScale,
  boolean halfPixel
) implements Op {
  /** How samples of one bin combine. */
  public enum Mode {
    AVG,
    MAX,
  }

  public static final OpSpec SPEC = OpSpec.of(
    "nn.roi_align",
    List.of("x", "rois", "batch_indices"),
    List.of("y")
  ).withDefaults(
    Map.of(
      "mode",
      Mode.AVG,
      "outputHeight",
      1L,
      "outputWidth",
      1L,
      "samplingRatio",
      0L,
      "spatialScale",
      1.0,
      "halfPixel",
      true
    )
  );

  @Override
  public List<TensorType> inferTypes(InferContext ctx) {
    TensorType x = ctx.operand(0);
    TensorType rois = ctx.operand(1);
    TensorType idx = ctx.operand(2);
    Shapes.requireFloat(x, "roi_align input");
    OpError.check(x.rank() == 4, "input must be [N, C, H, W], got %s", x);
    OpError.check(
      rois.rank() == 2 && rois.elementType() == x.elementType(),
      "rois must be [R, 4] %s, got %s",
      x.elementType(),
      rois
    );
    Dim four = rois.shape().dim(1);
    OpError.check(!four.isKnown() || four.size() == 4, "rois must be [R, 4], got %s", rois);
    Indexing.requireIndices(idx);
    OpError.check(idx.rank() == 1, "batch indices must be 1-D, got %s", idx);
    OpError.check(
      outputHeight >= 1 && outputWidth >= 1,
      "output extents must be positive, got %dx%d",
      outputHeight,
      outputWidth
    );
    OpError.check(samplingRatio >= 0, "sampling ratio must not be negative, got %d", samplingRatio);
    Dim r = rois.shape().dim(0);
    return List.of(
      x.withShape(
        new Shape(List.of(r, x.shape().dim(1), Dim.of(outputHeight), Dim.of(outputWidth)))
      )
    );
  }

  @Override
  public List<Tensor> evaluate(EvalContext ctx, List<Tensor> operands) {
    Tensor x = operands.get(0);
    Tensor rois = operands.get(1);
    Tensor idx = operands.get(2);
    TensorType outType = inferTypes(
      new InferContext(operands.stream().map(Tensor::type).toList(), List.of())
    ).getFirst();
    long[] xs = x.shape().sizes();
    int n = (int) xs[0];
    int c = (int) xs[1];
    int h = (int) xs[2];
    int w = (int) xs[3];
    int count = (int) rois.shape().sizes()[0];
    OpError.check(
      idx.size() == count,
      "batch indices (%d) must match the number of rois (%d)",
      idx.size(),
      count
    );
    double[] xv = x.toDoubles();
    double[] rv = rois.toDoubles();
    int oh = (int) outputHeight;
    int ow = (int) outputWidth;
    double[] y = new double[count * c * oh * ow];
    double shift = halfPixel ? 0.5 : 0;
    for (int r = 0; r < count; r++) {
      long b = idx.getLong(r);
      OpError.check(b >= 0 && b < n, "batch index %d is out of range [0, %d)", b, n);
      double x1 = rv[4 * r] * spatialScale - shift;
      double y1 = rv[4 * r + 1] * spatialScale - shift;
      double x2 = rv[4 * r + 2] * spatialScale - shift;
      double y2 = rv[4 * r + 3] * spatialScale - shift;
      double rw = x2 - x1;
      double rh = y2 - y1;
      if (!halfPixel) {
        rw = Math.max(rw, 1);
        rh = Math.max(rh, 1);
      }
      double bh = rh / oh;
      double bw = rw / ow;
      int gh = (int) (samplingRatio > 0 ? samplingRatio : Math.ceil(rh / oh));
      int gw = (int) (samplingRatio > 0 ? samplingRatio : Math.ceil(rw / ow));
      int samples = Math.max(gh * gw, 1);
      for (int ch = 0; ch < c; ch++) {
        int base = (int) ((b * c + ch) * h * w);
        for (int py = 0; py < oh; py++) {
          for (int px = 0; px < ow; px++) {
            double acc = mode == Mode.AVG ? 0 : Double.NEGATIVE_INFINITY;
            boolean any = false;
            for (int iy = 0; iy < gh; iy++) {
              double sy = y1 + py * bh + ((iy + 0.5) * bh) / gh;
              for (int ix = 0; ix < gw; ix++) {
                double sx = x1 + px * bw + ((ix + 0.5) * bw) / gw;
                double[] corner = corners(xv, base, h, w, sy, sx);
                if (mode == Mode.AVG) {
                  acc += corner[0] + corner[1] + corner[2] + corner[3];
                } else {
                  double m = Math.max(
                    Math.max(corner[0], corner[1]),
                    Math.max(corner[2], corner[3])
                  );
                  acc = any ? Math.max(acc, m) : m;
                  any = true;
                }
              }
            }
            double v = mode == Mode.AVG ? acc / samples : any ? acc : 0;
            y[((r * c + ch) * oh + py) * ow + px] = v;
          }
        }
      }
    }
    return List.of(Tensor.ofDoubles(outType, y));
  }

  /** The four weighted neighbours of sample {@code (sy, sx)}; zeros beyond one pixel outside. */
  private static double[] corners(double[] x, int base, int h, int w, double sy, double sx) {
    if (sy < -1 || sy > h || sx < -1 || sx > w) {
      return new double[4];
    }
    double yy = Math.max(sy, 0);
    double xx = Math.max(sx, 0);
    int y0 = (int) yy;
    int x0 = (int) xx;
    int y1;
    int x1;
    if (y0 >= h - 1) {
      y0 = h - 1;
      y1 = y0;
      yy = y0;
    } else {
      y1 = y0 + 1;
    }
    if (x0 >= w - 1) {
      x0 = w - 1;
      x1 = x0;
      xx = x0;
    } else {
      x1 = x0 + 1;
    }
    double ly = yy - y0;
    double lx = xx - x0;
    double hy = 1 - ly;
    double hx = 1 - lx;
    return new double[] {
      hy * hx * x[base + y0 * w + x0],
      hy * lx * x[base + y0 * w + x1],
      ly * hx * x[base + y1 * w + x0],
      ly * lx * x[base + y1 * w + x1],
    };
  }

  /**
   * The loops of {@link #evaluate} in Loop IR, in {@code f64}; the per-box sample grid (when
   * {@code samplingRatio} is 0) bounds the inner loops at run time. Batch indices are clamped into
   * {@code [0, N)} and the neighbour indices into the input, so bad boxes never read outside it.
   */
  @Override
  public void lower(LowerContext ctx) {
    long[] xs = ctx.operandDims(0);
    long n = xs[0];
    long c = xs[1];
    long h = xs[2];
    long w = xs[3];
    long count = ctx.operandDims(1)[0];
    if (count == 0 || c == 0) {
      return;
    }
    if (n == 0 || h == 0 || w == 0) {
      throw new UnsupportedOperationException("roi_align of an empty input is not supported");
    }
    Scalar f64 = Scalar.F64;
    Scalar out = ctx.resultScalar(0);
    double shift = halfPixel ? 0.5 : 0;
    ctx.loop("r", count, r -> {
      Expr b = ctx.let(
        "b",
        MoveLowering.clamp(Ex.cast(Scalar.I64, ctx.load(2, List.of(r))), 0, n - 1)
      );
      Expr[] box = new Expr[4];
      for (int k = 0; k < 4; k++) {
        Expr v = Ex.cast(f64, ctx.load(1, List.of(r, Ex.i64(k))));
        box[k] = ctx.let("p", Ex.sub(Ex.mul(v, Ex.c(f64, spatialScale)), Ex.c(f64, shift)));
      }
      Expr rw = Ex.sub(box[2], box[0]);
      Expr rh = Ex.sub(box[3], box[1]);
      if (!halfPixel) {
        rw = Ex.max(rw, Ex.c(f64, 1));
        rh = Ex.max(rh, Ex.c(f64, 1));
      }
      Expr bh = ctx.let("bh", Ex.div(rh, Ex.c(f64, outputHeight)));
      Expr bw = ctx.let("bw", Ex.div(rw, Ex.c(f64, outputWidth)));
      Expr gh = ctx.let("gh", grid(rh, outputHeight));
      Expr gw = ctx.let("gw", grid(rw, outputWidth));
      Expr samples = Ex.cast(f64, Ex.max(Ex.mul(gh, gw), Ex.i64(1)));
      ctx.loop("ch", c, ch ->
        ctx.loop("py", outputHeight, py ->
          ctx.loop("px", outputWidth, px -> {
            Expr.Var acc = ctx.let(
              "acc",
              Ex.c(f64, mode == Mode.AVG ? 0 : Double.NEGATIVE_INFINITY)
            );
            Expr.Var any = ctx.let("any", Ex.bool(false));
            Expr fy = Ex.add(box[1], Ex.mul(Ex.cast(f64, py), bh));
            Expr fx = Ex.add(box[0], Ex.mul(Ex.cast(f64, px), bw));
            ctx.loop("iy", Ex.i64(0), gh, Schedule.DEFAULT, iy -> {
              Expr sy = ctx.let("sy", Ex.add(fy, offset(iy, bh, gh)));
              ctx.loop("ix", Ex.i64(0), gw, Schedule.DEFAULT, ix -> {
                Expr sx = ctx.let("sx", Ex.add(fx, offset(ix, bw, gw)));
                Expr outside = Ex.bin(
                  BinaryOp.OR,
                  Ex.bin(BinaryOp.OR, Ex.lt(sy, Ex.c(f64, -1)), Ex.gt(sy, Ex.c(f64, h))),
                  Ex.bin(BinaryOp.OR, Ex.lt(sx, Ex.c(f64, -1)), Ex.gt(sx, Ex.c(f64, w)))
                );
                Expr[] ys = neighbours(ctx, sy, h);
                Expr[] xs2 = neighbours(ctx, sx, w);
                Expr ly = ctx.let("ly", ys[2]);
                Expr lx = ctx.let("lx", xs2[2]);
                Expr hy = Ex.sub(Ex.c(f64, 1), ly);
                Expr hx = Ex.sub(Ex.c(f64, 1), lx);
                Expr zero = Ex.c(f64, 0);
                Expr[] corner = {
                  Ex.mul(Ex.mul(hy, hx), sample(ctx, b, ch, ys[0], xs2[0])),
                  Ex.mul(Ex.mul(hy, lx), sample(ctx, b, ch, ys[0], xs2[1])),
                  Ex.mul(Ex.mul(ly, hx), sample(ctx, b, ch, ys[1], xs2[0])),
                  Ex.mul(Ex.mul(ly, lx), sample(ctx, b, ch, ys[1], xs2[1])),
                };
                for (int k = 0; k < 4; k++) {
                  corner[k] = ctx.let("v", Ex.select(outside, zero, corner[k]));
                }
                if (mode == Mode.AVG) {
                  ctx.assign(
                    acc,
                    Ex.add(acc, Ex.add(Ex.add(Ex.add(corner[0], corner[1]), corner[2]), corner[3]))
                  );
                } else {
                  Expr m = Ex.max(Ex.max(corner[0], corner[1]), Ex.max(corner[2], corner[3]));
                  ctx.assign(acc, Ex.select(any, Ex.max(acc, m), m));
                  ctx.assign(any, Ex.bool(true));
                }
              });
            });
            Expr v = mode == Mode.AVG ? Ex.div(acc, samples) : Ex.select(any, acc, Ex.c(f64, 0));
            ctx.store(0, List.of(r, ch, py, px), Ex.cast(out, v));
          })
        )
      );
    });
  }

  /** Samples per bin along an axis: {@code samplingRatio}, or {@code ceil(extent / bins)}. */
  private Expr grid(Expr extent, long bins) {
    if (samplingRatio > 0) {
      return Ex.i64(samplingRatio);
    }
    return Ex.cast(Scalar.I64, Ex.un(UnaryOp.CEIL, Ex.div(extent, Ex.like(extent, bins))));
  }

  /** The offset of sample {@code i} of {@code g} inside a bin of extent {@code bin}. */
  private static Expr offset(Expr i, Expr bin, Expr g) {
    Expr half = Ex.add(Ex.cast(Scalar.F64, i), Ex.c(Scalar.F64, 0.5));
    return Ex.div(Ex.mul(half, bin), Ex.cast(Scalar.F64, g));
  }

  /**
   * The lower and upper neighbour of coordinate {@code s} on an axis of extent {@code n} (both in
   * {@code [0, n)}) and the fraction past the lower one, as {@link #corners} computes them.
   */
  private static Expr[] neighbours(LowerContext ctx, Expr s, long n) {
    Expr pos = ctx.let("s", Ex.max(s, Ex.c(Scalar.F64, 0)));
    Expr i = ctx.let("i", Ex.cast(Scalar.I64, pos));
    Expr top = ctx.let("top", Ex.ge(i, Ex.i64(n - 1)));
    Expr lo = Ex.select(top, Ex.i64(n - 1), i);
    Expr hi = Ex.select(top, Ex.i64(n - 1), Ex.add(i, Ex.i64(1)));
    Expr frac = Ex.select(top, Ex.c(Scalar.F64, 0), Ex.sub(pos, Ex.cast(Scalar.F64, i)));
    return new Expr[] { ctx.let("i", lo), ctx.let("i", hi), frac };
  }

  private static Expr sample(LowerContext ctx, Expr b, Expr ch, Expr y, Expr x) {
    return Ex.cast(Scalar.F64, ctx.load(0, List.of(b, ch, y, x)));
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
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
}

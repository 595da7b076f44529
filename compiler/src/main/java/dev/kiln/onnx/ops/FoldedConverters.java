package dev.kiln.onnx.ops;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Shapes;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX operators whose output shapes depend on input values, {@code NonMaxSuppression} and {@code
 * Unique}: evaluated at compile time when their inputs are constants, otherwise not supported (a
 * static-shape compiler cannot size their outputs).
 */
public final class FoldedConverters {

  private FoldedConverters() {}

  public static void register(ConverterRegistry r) {
    r.add("NonMaxSuppression", 10, FoldedConverters::nonMaxSuppression);
    r.add("Unique", 11, FoldedConverters::unique);
  }

  private static Tensor known(ImportContext c, OnnxNode n, int i, String what) {
    return c
      .constantValue(n.input(i))
      .orElseThrow(() ->
        new OnnxError(
          n.opType() +
          " with " +
          what +
          " not known at compile time is not supported (its output shape depends on the values)"
        )
      );
  }

  private static List<Value> nonMaxSuppression(OnnxNode n, ImportContext c) {
    Tensor boxes = known(c, n, 0, "boxes");
    Tensor scores = known(c, n, 1, "scores");
    long maxPerClass = n.hasInput(2) ? known(c, n, 2, "max_output_boxes_per_class").getLong(0) : 0;
    double iouThreshold = n.hasInput(3) ? known(c, n, 3, "iou_threshold").getDouble(0) : 0;
    boolean filter = n.hasInput(4);
    double scoreThreshold = filter ? known(c, n, 4, "score_threshold").getDouble(0) : 0;
    boolean center = n.getInt("center_point_box", 0) != 0;
    long[] bs = boxes.shape().sizes();
    long[] ss = scores.shape().sizes();
    OnnxError.check(
      bs.length == 3 && bs[2] == 4,
      "boxes must have shape [batch, boxes, 4], got %s",
      boxes.shape()
    );
    OnnxError.check(
      ss.length == 3 && ss[0] == bs[0] && ss[2] == bs[1],
      "scores must have shape [%d, classes, %d], got %s",
      bs[0],
      bs[1],
      scores.shape()
    );
    int batches = (int) bs[0];
    int count = (int) bs[1];
    int classes = (int) ss[1];
    double[] bv = boxes.toDoubles();
    double[] sv = scores.toDoubles();
    List<long[]> selected = new ArrayList<>();
    for (int b = 0; b < batches; b++) {
      double[][] corners = new double[count][];
      for (int i = 0; i < count; i++) {
        int o = (b * count + i) * 4;
        corners[i] = corners(bv[o], bv[o + 1], bv[o + 2], bv[o + 3], center);
      }
      for (int k = 0; k < classes; k++) {
        int base = (b * classes + k) * count;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          if (!filter || sv[base + i] > scoreThreshold) {
            order.add(i);
          }
        }
        order.sort(Comparator.comparingDouble((Integer i) -> -sv[base + i]));
        List<Integer> kept = new ArrayList<>();
        for (int i : order) {
          if (kept.size() >= maxPerClass) {
            break;
          }
          boolean suppressed = false;
          for (int j : kept) {
            if (iou(corners[i], corners[j]) > iouThreshold) {
              suppressed = true;
              break;
            }
          }
          if (!suppressed) {
            kept.add(i);
            selected.add(new long[] { b, k, i });
          }
        }
      }
    }
    long[] flat = new long[selected.size() * 3];
    for (int i = 0; i < selected.size(); i++) {
      System.arraycopy(selected.get(i), 0, flat, i * 3, 3);
    }
    List<Value> out = new ArrayList<>();
    out.add(c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64, selected.size(), 3), flat)));
    return out;
  }

  /** {@code [ymin, xmin, ymax, xmax]} of a box in either ONNX box format. */
  private static double[] corners(double a, double b, double cc, double d, boolean center) {
    if (center) {
      return new double[] { b - d / 2, a - cc / 2, b + d / 2, a + cc / 2 };
    }
    return new double[] { Math.min(a, cc), Math.min(b, d), Math.max(a, cc), Math.max(b, d) };
  }

  private static double iou(double[] p, double[] q) {
    double areaP = (p[2] - p[0]) * (p[3] - p[1]);
    double areaQ = (q[2] - q[0]) * (q[3] - q[1]);
    if (areaP <= 0 || areaQ <= 0) {
      return 0;
    }
    double h = Math.max(0, Math.min(p[2], q[2]) - Math.max(p[0], q[0]));
    double w = Math.max(0, Math.min(p[3], q[3]) - Math.max(p[1], q[1]));
    double inter = h * w;
    return inter / (areaP + areaQ - inter);
  }

  private static List<Value> unique(OnnxNode n, ImportContext c) {
    Tensor x = known(c, n, 0, "X");
    boolean sorted = n.getInt("sorted", 1) != 0;
    long[] shape = x.shape().sizes();
    boolean hasAxis = n.has("axis");
    int axis = hasAxis ? Shapes.axis(n.getInt("axis"), shape.length) : 0;
    long outer;
    long len;
    long inner;
    if (hasAxis) {
      outer = dev.kiln.ir.op.Strides.product(shape, 0, axis);
      len = shape[axis];
      inner = dev.kiln.ir.op.Strides.product(shape, axis + 1, shape.length);
    } else {
      outer = 1;
      len = x.size();
      inner = 1;
    }
    boolean integer = !x.elementType().isFloat();
    long[] lv = integer ? x.toLongs() : null;
    double[] dv = integer ? null : x.toDoubles();
    int sliceSize = (int) (outer * inner);
    List<double[]> dslices = new ArrayList<>();
    List<long[]> lslices = new ArrayList<>();
    for (long s = 0; s < len; s++) {
      double[] ds = new double[sliceSize];
      long[] ls = new long[sliceSize];
      int k = 0;
      for (long o = 0; o < outer; o++) {
        for (long i = 0; i < inner; i++) {
          int at = (int) ((o * len + s) * inner + i);
          if (integer) {
            ls[k++] = lv[at];
          } else {
            ds[k++] = dv[at];
          }
        }
      }
      dslices.add(ds);
      lslices.add(ls);
    }
    Comparator<Integer> cmp = (p, q) -> {
      for (int k = 0; k < sliceSize; k++) {
        int r = integer
          ? Long.compare(lslices.get(p)[k], lslices.get(q)[k])
          : compare(dslices.get(p)[k], dslices.get(q)[k]);
        if (r != 0) {
          return r;
        }
      }
      return 0;
    };
    List<Integer> firsts = new ArrayList<>();
    Map<Integer, Integer> groupOf = new LinkedHashMap<>();
    long[] inverse = new long[(int) len];
    List<Long> counts = new ArrayList<>();
    java.util.TreeMap<Integer, Integer> seen = new java.util.TreeMap<>(cmp);
    for (int s = 0; s < len; s++) {
      Integer g = seen.get(s);
      int found;
      if (g == null) {
        found = firsts.size();
        seen.put(s, found);
        firsts.add(s);
        counts.add(0L);
      } else {
        found = g;
      }
      groupOf.put(s, found);
      counts.set(found, counts.get(found) + 1);
    }
    List<Integer> groups = new ArrayList<>();
    for (int g = 0; g < firsts.size(); g++) {
      groups.add(g);
    }
    if (sorted) {
      groups.sort((g, h) -> cmp.compare(firsts.get(g), firsts.get(h)));
    }
    int[] rank = new int[groups.size()];
    for (int i = 0; i < groups.size(); i++) {
      rank[groups.get(i)] = i;
    }
    for (int s = 0; s < len; s++) {
      inverse[s] = rank[groupOf.get(s)];
    }
    int u = groups.size();
    long[] outShape = hasAxis ? shape.clone() : new long[] { u };
    if (hasAxis) {
      outShape[axis] = u;
    }
    Tensor.Builder y = new Tensor.Builder(new TensorType(x.elementType(), Shape.of(outShape)));
    for (int gi = 0; gi < u; gi++) {
      int s = firsts.get(groups.get(gi));
      int k = 0;
      for (long o = 0; o < outer; o++) {
        for (long i = 0; i < inner; i++) {
          long at = (o * u + gi) * inner + i;
          if (integer) {
            y.setLong(at, lslices.get(s)[k++]);
          } else {
            y.setDouble(at, dslices.get(s)[k++]);
          }
        }
      }
    }
    long[] indices = new long[u];
    long[] countOut = new long[u];
    for (int gi = 0; gi < u; gi++) {
      indices[gi] = firsts.get(groups.get(gi));
      countOut[gi] = counts.get(groups.get(gi));
    }
    List<Value> out = new ArrayList<>();
    out.add(c.constant(y.build()));
    out.add(c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64, u), indices)));
    out.add(c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64, len), inverse)));
    out.add(c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64, u), countOut)));
    return new ArrayList<>(out.subList(0, Math.max(1, Math.min(4, n.numOutputs()))));
  }

  private static int compare(double a, double b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
}

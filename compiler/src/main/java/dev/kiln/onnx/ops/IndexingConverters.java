package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.ElementwiseConverters.one;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.EyeLike;
import dev.kiln.ir.op.Gather;
import dev.kiln.ir.op.GatherElements;
import dev.kiln.ir.op.GatherNd;
import dev.kiln.ir.op.OneHot;
import dev.kiln.ir.op.Pad;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.ReverseSequence;
import dev.kiln.ir.op.ScatterElements;
import dev.kiln.ir.op.ScatterNd;
import dev.kiln.ir.op.ScatterReduction;
import dev.kiln.ir.op.Shapes;
import dev.kiln.ir.op.Slice;
import dev.kiln.ir.op.Strides;
import dev.kiln.ir.op.Trilu;
import dev.kiln.onnx.ConverterRegistry;
import dev.kiln.onnx.ElementTypes;
import dev.kiln.onnx.ImportContext;
import dev.kiln.onnx.OnnxError;
import dev.kiln.onnx.OnnxNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * ONNX's indexing operators: gathers and scatters by index tensors, one-hot, triangles, sequence
 * reversal, and the selection operators whose selection must be constant ({@code Compress} becomes
 * a {@code Gather} of constant indices, {@code CenterCropPad} a {@code Slice} and a {@code Pad},
 * {@code NonZero} of a constant a constant).
 */
public final class IndexingConverters {

  private IndexingConverters() {}

  public static void register(ConverterRegistry r) {
    r.add("GatherElements", 11, (n, c) ->
      one(c.emit(new GatherElements(n.getInt("axis", 0)), n.input(0), n.input(1)))
    );
    r.add("GatherND", 11, (n, c) ->
      one(c.emit(new GatherNd(n.getInt("batch_dims", 0)), n.input(0), n.input(1)))
    );
    r.add("Scatter", 9, IndexingConverters::scatterElements);
    r.add("ScatterElements", 11, IndexingConverters::scatterElements);
    r.add("ScatterND", 11, (n, c) ->
      one(c.emit(new ScatterNd(reduction(n)), n.input(0), n.input(1), n.input(2)))
    );
    r.add("OneHot", 9, IndexingConverters::oneHot);
    r.add("Trilu", 14, (n, c) -> {
      long k = n.hasInput(1) ? c.requireConstant(n.input(1), "Trilu k").getLong(0) : 0;
      return one(c.emit(new Trilu(n.getInt("upper", 1) != 0, k), n.input(0)));
    });
    r.add("EyeLike", 9, (n, c) -> {
      Value x = n.input(0);
      ElementType e = n.has("dtype")
        ? ElementTypes.fromOnnx((int) n.getInt("dtype"))
        : x.type().elementType();
      return one(c.emit(new EyeLike(n.getInt("k", 0), e), x));
    });
    r.add("ReverseSequence", 10, (n, c) ->
      one(
        c.emit(
          new ReverseSequence(n.getInt("batch_axis", 1), n.getInt("time_axis", 0)),
          n.input(0),
          n.input(1)
        )
      )
    );
    r.add("Compress", 9, IndexingConverters::compress);
    r.add("CenterCropPad", 18, IndexingConverters::centerCropPad);
    r.add("NonZero", 9, IndexingConverters::nonZero);
  }

  private static ScatterReduction reduction(OnnxNode n) {
    String s = n.getString("reduction", "none");
    try {
      return ScatterReduction.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new OnnxError("reduction '" + s + "' is not one of none, add, mul, max, min");
    }
  }

  private static List<Value> scatterElements(OnnxNode n, ImportContext c) {
    return one(
      c.emit(
        new ScatterElements(n.getInt("axis", 0), reduction(n)),
        n.input(0),
        n.input(1),
        n.input(2)
      )
    );
  }

  private static List<Value> oneHot(OnnxNode n, ImportContext c) {
    Tensor depth = c.requireConstant(n.input(1), "OneHot depth");
    OnnxError.check(depth.size() == 1, "depth must hold one element, got %d", depth.size());
    long d = (long) depth.getDouble(0);
    return one(c.emit(new OneHot(n.getInt("axis", -1), d), n.input(0), n.input(2)));
  }

  private static List<Value> compress(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    Tensor cond = c.requireConstant(n.input(1), "Compress condition");
    OnnxError.check(cond.shape().rank() == 1, "condition must have rank 1, got %s", cond.type());
    int axis = 0;
    if (n.has("axis")) {
      axis = Shapes.axis(n.getInt("axis"), x.type().rank());
    } else {
      x = c.emit(new Reshape(List.of(-1L)), x);
    }
    Dim extent = x.type().shape().dim(axis);
    List<Long> picked = new ArrayList<>();
    for (long i = 0; i < cond.size(); i++) {
      if (cond.getLong(i) != 0) {
        OnnxError.check(
          !extent.isKnown() || i < extent.size(),
          "condition selects entry %d of an axis of extent %s",
          i,
          extent
        );
        picked.add(i);
      }
    }
    long[] idx = picked.stream().mapToLong(Long::longValue).toArray();
    Value indices = c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64, idx.length), idx));
    return one(c.emit(new Gather(axis), x, indices));
  }

  private static List<Value> centerCropPad(OnnxNode n, ImportContext c) {
    Value x = n.input(0);
    int r = x.type().rank();
    Tensor shape = c.requireConstant(n.input(1), "CenterCropPad shape");
    List<Long> axes = n.getInts("axes", null);
    if (axes == null) {
      axes = new ArrayList<>();
      for (long i = 0; i < r; i++) {
        axes.add(i);
      }
    }
    OnnxError.check(
      shape.size() == axes.size(),
      "shape has %d entries but there are %d axes",
      shape.size(),
      axes.size()
    );
    List<Long> cropAxes = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    List<Long> ends = new ArrayList<>();
    List<Long> pads = new ArrayList<>(Collections.nCopies(2 * r, 0L));
    boolean padded = false;
    for (int i = 0; i < axes.size(); i++) {
      int a = Shapes.axis(axes.get(i), r);
      Dim d = x.type().shape().dim(a);
      OnnxError.check(d.isKnown(), "axis %d has unknown extent", a);
      long in = d.size();
      long want = shape.getLong(i);
      OnnxError.check(want >= 0, "target extent %d on axis %d is negative", want, a);
      if (in > want) {
        long start = (in - want) / 2;
        cropAxes.add((long) a);
        starts.add(start);
        ends.add(start + want);
      } else if (in < want) {
        long before = (want - in) / 2;
        pads.set(a, before);
        pads.set(a + r, want - in - before);
        padded = true;
      }
    }
    if (!cropAxes.isEmpty()) {
      x = c.emit(new Slice(cropAxes, starts, ends, Collections.nCopies(cropAxes.size(), 1L)), x);
    }
    if (padded) {
      x = c.emit(new Pad(pads, Pad.Mode.CONSTANT, 0.0), x);
    }
    return one(x);
  }

  private static List<Value> nonZero(OnnxNode n, ImportContext c) {
    Tensor x = c
      .constantValue(n.input(0))
      .orElseThrow(() ->
        new OnnxError(
          "the output shape of NonZero depends on the data of its input, which must be a" +
          " constant known at compile time"
        )
      );
    long[] shape = x.shape().sizes();
    List<Long> hits = new ArrayList<>();
    for (long i = 0; i < x.size(); i++) {
      boolean nonzero = x.elementType().isFloat() ? x.getDouble(i) != 0 : x.getLong(i) != 0;
      if (nonzero) {
        hits.add(i);
      }
    }
    int count = hits.size();
    long[] out = new long[shape.length * count];
    long[] idx = new long[shape.length];
    for (int h = 0; h < count; h++) {
      Strides.unravel(hits.get(h), shape, idx);
      for (int d = 0; d < shape.length; d++) {
        out[d * count + h] = idx[d];
      }
    }
    return one(
      c.constant(Tensor.ofLongs(TensorType.of(ElementType.I64, shape.length, count), out))
    );
  }
}

package dev.kiln.tf.ops;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Slice;
import dev.kiln.tf.TfContext;
import dev.kiln.tf.TfError;
import dev.kiln.tf.TfNode;
import java.util.ArrayList;
import java.util.List;

/**
 * TensorFlow's {@code StridedSlice}: the sparse specification ({@code begin}, {@code end}, {@code
 * strides} and the five masks) is expanded to one entry per input axis, giving a core slice, then a
 * reshape removes the {@code shrink_axis_mask} axes and inserts the {@code new_axis_mask} ones.
 */
final class StridedSlices {

  private StridedSlices() {}

  static Value convert(TfNode n, TfContext c) {
    Value x = n.input(0);
    List<Long> begin = Tf.longs(c, n.input(1), "begin");
    List<Long> end = Tf.longs(c, n.input(2), "end");
    List<Long> strides = Tf.longs(c, n.input(3), "strides");
    int k = begin.size();
    TfError.check(
      end.size() == k && strides.size() == k,
      "begin, end and strides have %d, %d and %d values",
      k,
      end.size(),
      strides.size()
    );
    long beginMask = n.i("begin_mask", 0);
    long endMask = n.i("end_mask", 0);
    long ellipsisMask = n.i("ellipsis_mask", 0);
    long newAxisMask = n.i("new_axis_mask", 0);
    long shrinkMask = n.i("shrink_axis_mask", 0);
    TfError.check(Long.bitCount(ellipsisMask) <= 1, "ellipsis_mask has more than one bit set");
    int rank = Tf.rank(x);
    boolean hasEllipsis = ellipsisMask != 0;
    int consuming = 0;
    for (int i = 0; i < k; i++) {
      if (((ellipsisMask >> i) & 1) == 0 && ((newAxisMask >> i) & 1) == 0) {
        consuming++;
      }
    }
    List<Long> axes = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    List<Long> ends = new ArrayList<>();
    List<Long> steps = new ArrayList<>();
    List<Dim> outDims = new ArrayList<>();
    List<Integer> kept = new ArrayList<>();
    int axis = 0;
    List<Object> plan = new ArrayList<>();
    for (int i = 0; i < k || (!hasEllipsis && axis < rank); i++) {
      if (i >= k) {
        plan.add(axis++);
        continue;
      }
      if (((ellipsisMask >> i) & 1) != 0) {
        int full = rank - consuming;
        TfError.check(full >= 0, "the slice has %d indices for rank %d", consuming, rank);
        for (int j = 0; j < full; j++) {
          plan.add(axis++);
        }
        continue;
      }
      if (((newAxisMask >> i) & 1) != 0) {
        plan.add("new");
        continue;
      }
      TfError.check(axis < rank, "the slice has more indices than the input's rank %d", rank);
      long stride = strides.get(i);
      TfError.check(stride != 0, "stride %d is 0", i);
      Dim d = x.type().shape().dim(axis);
      long b = begin.get(i);
      long e = end.get(i);
      if (((shrinkMask >> i) & 1) != 0) {
        long size = Tf.dim(x, axis, "shrunk axis");
        long idx = b < 0 ? b + size : b;
        TfError.check(
          idx >= 0 && idx < size,
          "index %d is out of range for axis of size %d",
          b,
          size
        );
        axes.add((long) axis);
        starts.add(idx);
        ends.add(idx + 1);
        steps.add(1L);
        plan.add("shrink");
        axis++;
        continue;
      }
      if (((beginMask >> i) & 1) != 0) {
        b = stride > 0 ? 0 : Long.MAX_VALUE;
      }
      if (((endMask >> i) & 1) != 0) {
        e = stride > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
      }
      boolean whole = b == 0 && e == Long.MAX_VALUE && stride == 1;
      if (!whole) {
        axes.add((long) axis);
        starts.add(b);
        ends.add(e);
        steps.add(stride);
      }
      plan.add(axis++);
    }
    Value y = axes.isEmpty() ? x : c.emit(new Slice(axes, starts, ends, steps), x);
    for (Object p : plan) {
      if (p instanceof Integer a) {
        outDims.add(y.type().shape().dim(a));
        kept.add(a);
      } else if (p.equals("new")) {
        outDims.add(Dim.of(1));
      }
    }
    boolean reshape = plan.stream().anyMatch(p -> !(p instanceof Integer));
    if (!reshape) {
      return y;
    }
    return ArrayConverters.reshapeTo(c, y, outDims);
  }
}

package dev.kiln.ir.op;

import java.util.ArrayList;
import java.util.List;

/**
 * How the {@link ChannelLayout} ops read an operand that is {@code transpose(x, perm)}: the batch
 * axis must stay axis 0 of {@code x}, the channel axis must land on axis 1 (NCHW) or last (NHWC) of
 * {@code x}, and the spatial axes may come in another order ({@code spatialOrder.get(j)} is the
 * spatial axis of the op that axis {@code j} of the rewritten op sees).
 */
record Relayout(Layout layout, List<Integer> spatialOrder) {
  Relayout {
    spatialOrder = List.copyOf(spatialOrder);
  }

  /** The reading of {@code transpose(x, perm)} by an op in {@code current}, or null. */
  static Relayout of(Layout current, List<Long> perm) {
    int r = perm.size();
    if (r < 3 || perm.get(0) != 0) {
      return null;
    }
    long c = perm.get(current.channelAxis(r));
    Layout target = c == 1 ? Layout.NCHW : c == r - 1 ? Layout.NHWC : null;
    if (target == null) {
      return null;
    }
    Integer[] order = new Integer[r - 2];
    for (int i = 0; i < r - 2; i++) {
      long a = perm.get(current.spatialAxis(i, r));
      order[target == Layout.NCHW ? (int) a - 2 : (int) a - 1] = i;
    }
    return new Relayout(target, List.of(order));
  }

  /** True when the spatial axes keep their order. */
  boolean keepsSpatialOrder() {
    for (int j = 0; j < spatialOrder.size(); j++) {
      if (spatialOrder.get(j) != j) {
        return false;
      }
    }
    return true;
  }

  /** A per-spatial-axis attribute (kernel, strides, dilations) in the new order; empty stays. */
  List<Long> spatial(List<Long> values) {
    if (values.isEmpty()) {
      return values;
    }
    List<Long> out = new ArrayList<>();
    for (int i : spatialOrder) {
      out.add(values.get(i));
    }
    return out;
  }

  /** Pads (all begins, then all ends) in the new spatial order; empty stays. */
  List<Long> pads(List<Long> pads) {
    if (pads.isEmpty()) {
      return pads;
    }
    int k = spatialOrder.size();
    List<Long> out = new ArrayList<>();
    for (int i : spatialOrder) {
      out.add(pads.get(i));
    }
    for (int i : spatialOrder) {
      out.add(pads.get(i + k));
    }
    return out;
  }
}

package dev.kiln.tf.ops;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Concat;
import dev.kiln.ir.op.Expand;
import dev.kiln.ir.op.Gather;
import dev.kiln.ir.op.Iota;
import dev.kiln.ir.op.Less;
import dev.kiln.ir.op.OneHot;
import dev.kiln.ir.op.Pad;
import dev.kiln.ir.op.Slice;
import dev.kiln.ir.op.Tile;
import dev.kiln.ir.op.Where;
import dev.kiln.tf.TfContext;
import dev.kiln.tf.TfConverter;
import dev.kiln.tf.TfError;
import dev.kiln.tf.TfNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Shape and data movement: reshapes, slicing (with {@code StridedSlice}'s masks), concatenation,
 * padding, gathering, and the shape queries that fold to constants once shapes are known.
 * {@code SpaceToBatchND} and {@code BatchToSpaceND} are written as pad, reshape, transpose and
 * slice.
 */
final class ArrayConverters {

  private ArrayConverters() {}

  static void register(Map<String, TfConverter> r) {
    r.put("Reshape", (n, c) ->
      List.of(Tf.reshape(c, n.input(0), Tf.longs(c, n.input(1), "shape")))
    );
    r.put("Squeeze", (n, c) -> List.of(squeeze(n, c)));
    r.put("ExpandDims", (n, c) ->
      List.of(expandDims(c, n.input(0), Tf.scalar(c, n.input(1), "axis")))
    );
    r.put("ConcatV2", (n, c) ->
      List.of(concat(c, n.inputs().subList(0, n.numInputs() - 1), n.input(n.numInputs() - 1)))
    );
    r.put("Concat", (n, c) -> List.of(concat(c, n.inputs().subList(1, n.numInputs()), n.input(0))));
    r.put("Pack", (n, c) -> {
      int rank = Tf.rank(n.input(0)) + 1;
      long axis = Tf.axis(n.i("axis", 0), rank, "axis");
      List<Value> parts = new ArrayList<>();
      for (Value v : n.inputs()) {
        parts.add(expandDims(c, v, axis));
      }
      return List.of(
        parts.size() == 1 ? parts.getFirst() : c.emit(new Concat(axis), parts.toArray(Value[]::new))
      );
    });
    r.put("Unpack", ArrayConverters::unpack);
    r.put("Split", (n, c) ->
      split(c, n.input(1), Tf.scalar(c, n.input(0), "axis"), n.i("num_split", 1), null)
    );
    r.put("SplitV", (n, c) ->
      split(
        c,
        n.input(0),
        Tf.scalar(c, n.input(2), "axis"),
        -1,
        Tf.longs(c, n.input(1), "size_splits")
      )
    );
    r.put("Slice", ArrayConverters::slice);
    r.put("StridedSlice", (n, c) -> List.of(StridedSlices.convert(n, c)));
    r.put("Transpose", (n, c) ->
      List.of(Tf.transpose(c, n.input(0), Tf.longs(c, n.input(1), "perm")))
    );
    r.put("Pad", (n, c) -> List.of(pad(n, c, Pad.Mode.CONSTANT, 0)));
    r.put("PadV2", (n, c) -> {
      Tensor v = c.requireConstant(n.input(2), "constant_values");
      TfError.check(v.size() == 1, "constant_values must hold one value");
      return List.of(pad(n, c, Pad.Mode.CONSTANT, v.getDouble(0)));
    });
    r.put("MirrorPad", (n, c) -> {
      String mode = n.s("mode", "REFLECT");
      TfError.check(
        mode.equals("REFLECT") || mode.equals("SYMMETRIC"),
        "mode %s is not supported",
        mode
      );
      return List.of(mode.equals("REFLECT") ? pad(n, c, Pad.Mode.REFLECT, 0) : symmetricPad(n, c));
    });
    r.put("Shape", (n, c) -> List.of(shape(n, c, n.input(0))));
    r.put("Size", (n, c) -> {
      long[] s = Tf.staticShape(n.input(0), "Size");
      long count = 1;
      for (long d : s) {
        count = Math.multiplyExact(count, d);
      }
      return List.of(c.constant(Tensor.scalar(n.type("out_type", ElementType.I32), count)));
    });
    r.put("Rank", (n, c) ->
      List.of(c.constant(Tensor.scalar(ElementType.I32, Tf.rank(n.input(0)))))
    );
    r.put("Fill", (n, c) ->
      List.of(c.emit(new Expand(Tf.longs(c, n.input(0), "dims")), n.input(1)))
    );
    r.put("ZerosLike", (n, c) -> List.of(like(c, n.input(0), 0)));
    r.put("OnesLike", (n, c) -> List.of(like(c, n.input(0), 1)));
    r.put("BroadcastTo", (n, c) ->
      List.of(c.emit(new Expand(Tf.longs(c, n.input(1), "shape")), n.input(0)))
    );
    r.put("Range", ArrayConverters::range);
    r.put("Tile", (n, c) ->
      List.of(c.emit(new Tile(Tf.longs(c, n.input(1), "multiples")), n.input(0)))
    );
    r.put("GatherV2", (n, c) -> {
      TfError.check(
        n.i("batch_dims", 0) == 0,
        "batch_dims %d is not supported",
        n.i("batch_dims", 0)
      );
      Value x = n.input(0);
      long axis = Tf.axis(Tf.scalar(c, n.input(2), "axis"), Tf.rank(x), "axis");
      return List.of(c.emit(new Gather(axis), x, n.input(1)));
    });
    r.put("Gather", (n, c) -> List.of(c.emit(new Gather(0), n.input(0), n.input(1))));
    r.put("OneHot", ArrayConverters::oneHot);
    r.put("SpaceToBatchND", (n, c) -> List.of(spaceToBatch(n, c)));
    r.put("BatchToSpaceND", (n, c) -> List.of(batchToSpace(n, c)));
  }

  /** Reshapes {@code x} to {@code dims}, at most one of them unknown. */
  static Value reshapeTo(TfContext c, Value x, List<Dim> dims) {
    List<Long> shape = new ArrayList<>();
    boolean unknown = false;
    for (Dim d : dims) {
      if (d.isKnown()) {
        shape.add(d.size());
      } else {
        TfError.check(
          !unknown,
          "needs a shape with at most one unknown dimension, got %s",
          x.type()
        );
        unknown = true;
        shape.add(-1L);
      }
    }
    return Tf.reshape(c, x, shape);
  }

  static Value expandDims(TfContext c, Value x, long axis) {
    int rank = Tf.rank(x);
    long a = Tf.axis(axis, rank + 1, "axis");
    List<Dim> dims = new ArrayList<>(x.type().shape().dims());
    dims.add((int) a, Dim.of(1));
    return reshapeTo(c, x, dims);
  }

  private static Value squeeze(TfNode n, TfContext c) {
    Value x = n.input(0);
    int rank = Tf.rank(x);
    List<Long> axes = n.ints("squeeze_dims", List.of());
    List<Dim> dims = x.type().shape().dims();
    List<Dim> out = new ArrayList<>();
    boolean[] drop = new boolean[rank];
    if (axes.isEmpty()) {
      for (int i = 0; i < rank; i++) {
        TfError.check(
          dims.get(i).isKnown(),
          "squeezing all axes needs a known shape, got %s",
          x.type()
        );
        drop[i] = dims.get(i).size() == 1;
      }
    } else {
      for (long a : axes) {
        int i = (int) Tf.axis(a, rank, "squeeze axis");
        TfError.check(
          !dims.get(i).isKnown() || dims.get(i).size() == 1,
          "cannot squeeze axis %d of %s",
          a,
          x.type()
        );
        drop[i] = true;
      }
    }
    for (int i = 0; i < rank; i++) {
      if (!drop[i]) {
        out.add(dims.get(i));
      }
    }
    return reshapeTo(c, x, out);
  }

  private static Value concat(TfContext c, List<Value> parts, Value axisValue) {
    TfError.check(!parts.isEmpty(), "needs at least one tensor");
    long axis = Tf.axis(Tf.scalar(c, axisValue, "axis"), Tf.rank(parts.getFirst()), "axis");
    if (parts.size() == 1) {
      return parts.getFirst();
    }
    return c.emit(new Concat(axis), parts.toArray(Value[]::new));
  }

  private static List<Value> unpack(TfNode n, TfContext c) {
    Value x = n.input(0);
    int rank = Tf.rank(x);
    long axis = Tf.axis(n.i("axis", 0), rank, "axis");
    long count = Tf.dim(x, (int) axis, "value");
    List<Value> out = new ArrayList<>();
    List<Dim> dims = new ArrayList<>(x.type().shape().dims());
    dims.remove((int) axis);
    for (long i = 0; i < count; i++) {
      Value s = c.emit(new Slice(List.of(axis), List.of(i), List.of(i + 1), List.of(1L)), x);
      out.add(reshapeTo(c, s, dims));
    }
    return out;
  }

  private static List<Value> split(
    TfContext c,
    Value x,
    long axisValue,
    long num,
    List<Long> sizes
  ) {
    int rank = Tf.rank(x);
    long axis = Tf.axis(axisValue, rank, "axis");
    long extent = Tf.dim(x, (int) axis, "value");
    List<Long> s = new ArrayList<>();
    if (sizes == null) {
      TfError.check(
        num > 0 && extent % num == 0,
        "axis of size %d does not split into %d",
        extent,
        num
      );
      for (long i = 0; i < num; i++) {
        s.add(extent / num);
      }
    } else {
      long known = 0;
      int unknown = -1;
      for (int i = 0; i < sizes.size(); i++) {
        if (sizes.get(i) == -1) {
          TfError.check(unknown < 0, "size_splits has more than one -1");
          unknown = i;
        } else {
          known += sizes.get(i);
        }
        s.add(sizes.get(i));
      }
      if (unknown >= 0) {
        s.set(unknown, extent - known);
      }
      long total = s.stream().mapToLong(Long::longValue).sum();
      TfError.check(total == extent, "size_splits add up to %d, the axis has %d", total, extent);
    }
    List<Value> out = new ArrayList<>();
    long start = 0;
    for (long len : s) {
      out.add(
        c.emit(new Slice(List.of(axis), List.of(start), List.of(start + len), List.of(1L)), x)
      );
      start += len;
    }
    return out;
  }

  private static List<Value> slice(TfNode n, TfContext c) {
    Value x = n.input(0);
    List<Long> begin = Tf.longs(c, n.input(1), "begin");
    List<Long> size = Tf.longs(c, n.input(2), "size");
    int rank = Tf.rank(x);
    TfError.check(
      begin.size() == rank && size.size() == rank,
      "begin and size need %d values",
      rank
    );
    List<Long> axes = new ArrayList<>();
    List<Long> ends = new ArrayList<>();
    List<Long> steps = new ArrayList<>();
    for (int i = 0; i < rank; i++) {
      axes.add((long) i);
      steps.add(1L);
      ends.add(size.get(i) == -1 ? Long.MAX_VALUE : begin.get(i) + size.get(i));
    }
    return List.of(c.emit(new Slice(axes, begin, ends, steps), x));
  }

  private static Value pad(TfNode n, TfContext c, Pad.Mode mode, double value) {
    Value x = n.input(0);
    Tensor p = c.requireConstant(n.input(1), "paddings");
    int rank = Tf.rank(x);
    TfError.check(p.size() == 2L * rank, "paddings holds %d values, needs %d", p.size(), 2 * rank);
    List<Long> pads = new ArrayList<>(Collections.nCopies(2 * rank, 0L));
    for (int i = 0; i < rank; i++) {
      pads.set(i, p.getLong(2 * i));
      pads.set(rank + i, p.getLong(2 * i + 1));
    }
    return c.emit(new Pad(pads, mode, value), x);
  }

  /**
   * {@code MirrorPad} with {@code SYMMETRIC} mode, which repeats the border element: per padded
   * axis of extent {@code d} with pads {@code b, a} (each at most {@code d}), one {@code nn.gather}
   * of indices {@code b-1..0, 0..d-1, d-1..d-a}.
   */
  private static Value symmetricPad(TfNode n, TfContext c) {
    Value x = n.input(0);
    Tensor p = c.requireConstant(n.input(1), "paddings");
    int rank = Tf.rank(x);
    TfError.check(p.size() == 2L * rank, "paddings holds %d values, needs %d", p.size(), 2 * rank);
    for (int axis = 0; axis < rank; axis++) {
      long before = p.getLong(2 * axis);
      long after = p.getLong(2 * axis + 1);
      if (before == 0 && after == 0) {
        continue;
      }
      long d = Tf.dim(x, axis, "MirrorPad");
      TfError.check(
        before >= 0 && after >= 0 && before <= d && after <= d,
        "SYMMETRIC paddings %d, %d on axis %d must be in [0, %d]",
        before,
        after,
        axis,
        d
      );
      List<Long> idx = new ArrayList<>();
      for (long k = before - 1; k >= 0; k--) {
        idx.add(k);
      }
      for (long k = 0; k < d; k++) {
        idx.add(k);
      }
      for (long k = d - 1; k >= d - after; k--) {
        idx.add(k);
      }
      x = c.emit(new Gather(axis), x, Tf.longs(c, ElementType.I64, idx));
    }
    return x;
  }

  private static Value shape(TfNode n, TfContext c, Value x) {
    long[] s = Tf.staticShape(x, "Shape");
    ElementType e = n.type("out_type", ElementType.I32);
    return c.constant(Tensor.ofLongs(TensorType.of(e, s.length), s));
  }

  private static Value like(TfContext c, Value x, double value) {
    long[] s = Tf.staticShape(x, "the input");
    return c.constant(Tensor.splat(new TensorType(x.type().elementType(), Shape.of(s)), value));
  }

  private static List<Value> range(TfNode n, TfContext c) {
    Tensor start = c.requireConstant(n.input(0), "start");
    Tensor limit = c.requireConstant(n.input(1), "limit");
    Tensor delta = c.requireConstant(n.input(2), "delta");
    ElementType e = n.type("Tidx", start.elementType());
    double s = start.getDouble(0);
    double l = limit.getDouble(0);
    double d = delta.getDouble(0);
    TfError.check(d != 0, "delta must not be 0");
    long count = Math.max(0, (long) Math.ceil((l - s) / d));
    Value iota = c.emit(new Iota(count, e));
    Value scaled = c.emit(new dev.kiln.ir.op.Mul(), iota, Tf.scalar(c, e, d));
    return List.of(c.emit(new dev.kiln.ir.op.Add(), scaled, Tf.scalar(c, e, s)));
  }

  private static List<Value> oneHot(TfNode n, TfContext c) {
    Value indices = n.input(0);
    long depth = Tf.scalar(c, n.input(1), "depth");
    Value on = n.input(2);
    Value off = n.input(3);
    int rank = Tf.rank(indices);
    long axis = n.i("axis", -1);
    axis = axis == -1 ? rank : Tf.axis(axis, rank + 1, "axis");
    Value zero = Tf.scalarLike(c, indices, 0);
    Value outside = Tf.scalarLike(c, indices, depth);
    Value safe = c.emit(new Where(), c.emit(new Less(), indices, zero), outside, indices);
    Value values = c.emit(new Concat(0), Tf.reshape(c, off, 1), Tf.reshape(c, on, 1));
    return List.of(c.emit(new OneHot(axis, depth), safe, values));
  }

  private static Value spaceToBatch(TfNode n, TfContext c) {
    Value x = n.input(0);
    List<Long> block = Tf.longs(c, n.input(1), "block_shape");
    Tensor p = c.requireConstant(n.input(2), "paddings");
    int m = block.size();
    long[] s = Tf.staticShape(x, "the input");
    TfError.check(p.size() == 2L * m, "paddings holds %d values, needs %d", p.size(), 2 * m);
    int rank = s.length;
    TfError.check(rank >= m + 1, "input rank %d is too small for %d block dimensions", rank, m);
    List<Long> pads = new ArrayList<>(Collections.nCopies(2 * rank, 0L));
    long[] padded = s.clone();
    for (int i = 0; i < m; i++) {
      pads.set(1 + i, p.getLong(2 * i));
      pads.set(rank + 1 + i, p.getLong(2 * i + 1));
      padded[1 + i] = s[1 + i] + p.getLong(2 * i) + p.getLong(2 * i + 1);
      TfError.check(
        block.get(i) > 0 && padded[1 + i] % block.get(i) == 0,
        "padded size %d of spatial axis %d is not a multiple of block size %d",
        padded[1 + i],
        i,
        block.get(i)
      );
    }
    Value y = c.emit(new Pad(pads, Pad.Mode.CONSTANT, 0), x);
    List<Long> split = new ArrayList<>();
    split.add(s[0]);
    for (int i = 0; i < m; i++) {
      split.add(padded[1 + i] / block.get(i));
      split.add(block.get(i));
    }
    for (int i = m + 1; i < rank; i++) {
      split.add(s[i]);
    }
    y = Tf.reshape(c, y, split);
    List<Long> perm = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      perm.add(2L + 2 * i);
    }
    perm.add(0L);
    for (int i = 0; i < m; i++) {
      perm.add(1L + 2 * i);
    }
    for (int i = m + 1; i < rank; i++) {
      perm.add((long) (m + i));
    }
    y = Tf.transpose(c, y, perm);
    long prod = block.stream().mapToLong(Long::longValue).reduce(1, Math::multiplyExact);
    List<Long> out = new ArrayList<>();
    out.add(s[0] * prod);
    for (int i = 0; i < m; i++) {
      out.add(padded[1 + i] / block.get(i));
    }
    for (int i = m + 1; i < rank; i++) {
      out.add(s[i]);
    }
    return Tf.reshape(c, y, out);
  }

  private static Value batchToSpace(TfNode n, TfContext c) {
    Value x = n.input(0);
    List<Long> block = Tf.longs(c, n.input(1), "block_shape");
    Tensor crops = c.requireConstant(n.input(2), "crops");
    int m = block.size();
    long[] s = Tf.staticShape(x, "the input");
    int rank = s.length;
    TfError.check(rank >= m + 1, "input rank %d is too small for %d block dimensions", rank, m);
    TfError.check(crops.size() == 2L * m, "crops holds %d values, needs %d", crops.size(), 2 * m);
    long prod = block.stream().mapToLong(Long::longValue).reduce(1, Math::multiplyExact);
    TfError.check(
      prod > 0 && s[0] % prod == 0,
      "batch %d is not a multiple of the block product %d",
      s[0],
      prod
    );
    long batch = s[0] / prod;
    List<Long> split = new ArrayList<>(block);
    split.add(batch);
    for (int i = 1; i < rank; i++) {
      split.add(s[i]);
    }
    Value y = Tf.reshape(c, x, split);
    List<Long> perm = new ArrayList<>();
    perm.add((long) m);
    for (int i = 0; i < m; i++) {
      perm.add((long) (m + 1 + i));
      perm.add((long) i);
    }
    for (int i = m + 1; i < rank; i++) {
      perm.add((long) (m + i));
    }
    y = Tf.transpose(c, y, perm);
    List<Long> merged = new ArrayList<>();
    merged.add(batch);
    for (int i = 0; i < m; i++) {
      merged.add(s[1 + i] * block.get(i));
    }
    for (int i = m + 1; i < rank; i++) {
      merged.add(s[i]);
    }
    y = Tf.reshape(c, y, merged);
    List<Long> axes = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    List<Long> ends = new ArrayList<>();
    List<Long> steps = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      long lo = crops.getLong(2 * i);
      long hi = crops.getLong(2 * i + 1);
      TfError.check(
        lo >= 0 && hi >= 0 && lo + hi <= merged.get(1 + i),
        "crops %d, %d do not fit axis of %d",
        lo,
        hi,
        merged.get(1 + i)
      );
      axes.add(1L + i);
      starts.add(lo);
      ends.add(merged.get(1 + i) - hi);
      steps.add(1L);
    }
    return c.emit(new Slice(axes, starts, ends, steps), y);
  }
}

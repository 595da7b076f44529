package dev.kiln.tf.ops;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.op.Cast;
import dev.kiln.ir.op.Reshape;
import dev.kiln.ir.op.Transpose;
import dev.kiln.tf.TfContext;
import dev.kiln.tf.TfError;
import java.util.ArrayList;
import java.util.List;

/** Helpers shared by the TensorFlow converters. */
final class Tf {

  static final List<Long> TO_NCHW = List.of(0L, 3L, 1L, 2L);
  static final List<Long> TO_NHWC = List.of(0L, 2L, 3L, 1L);

  private Tf() {}

  static int rank(Value v) {
    return v.type().rank();
  }

  static long dim(Value v, int i, String what) {
    TfError.check(
      v.type().shape().dim(i).isKnown(),
      "%s: dimension %d of %s must be known",
      what,
      i,
      v.type()
    );
    return v.type().shape().dim(i).size();
  }

  static long[] staticShape(Value v, String what) {
    TfError.check(v.type().shape().isStatic(), "%s needs a known shape, got %s", what, v.type());
    return v.type().shape().sizes();
  }

  static List<Long> longs(TfContext c, Value v, String what) {
    Tensor t = c.requireConstant(v, what);
    List<Long> out = new ArrayList<>();
    for (long x : t.toLongs()) {
      out.add(x);
    }
    return out;
  }

  static long scalar(TfContext c, Value v, String what) {
    Tensor t = c.requireConstant(v, what);
    TfError.check(t.size() == 1, "%s must hold one value, has %d", what, t.size());
    return t.getLong(0);
  }

  static long axis(long a, int rank, String what) {
    long r = a < 0 ? a + rank : a;
    TfError.check(
      r >= 0 && r < Math.max(rank, 1),
      "%s %d is out of range for rank %d",
      what,
      a,
      rank
    );
    return r;
  }

  static Value transpose(TfContext c, Value v, List<Long> perm) {
    return c.emit(new Transpose(perm), v);
  }

  static Value reshape(TfContext c, Value v, List<Long> shape) {
    return c.emit(new Reshape(shape), v);
  }

  static Value reshape(TfContext c, Value v, long... shape) {
    List<Long> s = new ArrayList<>();
    for (long x : shape) {
      s.add(x);
    }
    return reshape(c, v, s);
  }

  static Value cast(TfContext c, Value v, ElementType e) {
    return v.type().elementType() == e ? v : c.emit(new Cast(e), v);
  }

  static Value scalarLike(TfContext c, Value like, double value) {
    return c.constant(Tensor.scalar(like.type().elementType(), value));
  }

  static Value scalar(TfContext c, ElementType e, double value) {
    return c.constant(Tensor.scalar(e, value));
  }

  static Value longs(TfContext c, ElementType e, List<Long> values) {
    long[] a = values.stream().mapToLong(Long::longValue).toArray();
    return c.constant(Tensor.ofLongs(TensorType.of(e, a.length), a));
  }

  static boolean nchw(String dataFormat) {
    TfError.check(
      dataFormat.equals("NHWC") || dataFormat.equals("NCHW"),
      "data_format %s is not supported",
      dataFormat
    );
    return dataFormat.equals("NCHW");
  }

  static Shape shape(long... sizes) {
    return Shape.of(sizes);
  }
}

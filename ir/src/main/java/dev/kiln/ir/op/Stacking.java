package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Slicing a tensor into its sub-tensors along one axis and stacking sub-tensors back. */
final class Stacking {

  private Stacking() {}

  /** The type of one slice of {@code t} along {@code axis}: that dimension removed. */
  static TensorType dropAxis(TensorType t, int axis) {
    List<Dim> dims = new ArrayList<>(t.shape().dims());
    dims.remove(axis);
    return t.withShape(new Shape(dims));
  }

  /** {@code t} with {@code d} inserted at {@code axis}. */
  static TensorType insertAxis(TensorType t, int axis, Dim d) {
    List<Dim> dims = new ArrayList<>(t.shape().dims());
    dims.add(axis, d);
    return t.withShape(new Shape(dims));
  }

  /** The sub-tensor of {@code t} at {@code index} along {@code axis}. */
  static Tensor take(Tensor t, int axis, long index) {
    long[] shape = t.shape().sizes();
    long outer = Strides.product(shape, 0, axis);
    long n = shape[axis];
    int inner = Math.toIntExact(
      Strides.product(shape, axis + 1, shape.length) * t.elementType().byteSize()
    );
    byte[] src = t.bytes();
    byte[] out = new byte[Math.toIntExact(outer * inner)];
    for (long o = 0; o < outer; o++) {
      System.arraycopy(
        src,
        Math.toIntExact((o * n + index) * inner),
        out,
        (int) (o * inner),
        inner
      );
    }
    return Tensor.wrap(dropAxis(t.type(), axis), out);
  }

  /** Stacks equally shaped {@code parts} along a new dimension {@code axis}. */
  static Tensor stack(List<Tensor> parts, TensorType partType, int axis) {
    long n = parts.size();
    long[] shape = partType.shape().sizes();
    TensorType outType = insertAxis(partType, axis, new Dim.Known(n));
    long outer = Strides.product(shape, 0, axis);
    int inner = Math.toIntExact(
      Strides.product(shape, axis, shape.length) * partType.elementType().byteSize()
    );
    byte[] out = new byte[Math.toIntExact(outer * n * inner)];
    for (int k = 0; k < n; k++) {
      Tensor p = parts.get(k);
      OpError.check(
        p.type().equals(partType),
        "stacked slice %d is %s, slice 0 is %s",
        k,
        p.type(),
        partType
      );
      byte[] src = p.bytes();
      for (long o = 0; o < outer; o++) {
        System.arraycopy(src, (int) (o * inner), out, Math.toIntExact((o * n + k) * inner), inner);
      }
    }
    return Tensor.wrap(outType, out);
  }
}

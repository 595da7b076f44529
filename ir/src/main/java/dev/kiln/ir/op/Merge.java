package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** The least precise type two control-flow paths agree on. */
final class Merge {

  private Merge() {}

  static TensorType join(TensorType a, TensorType b, int index) {
    OpError.check(
      a.elementType() == b.elementType(),
      "result %d has element type %s on one path and %s on the other",
      index,
      a.elementType(),
      b.elementType()
    );
    if (a.rank() != b.rank()) {
      throw new OpError(
        "result " +
        index +
        " has rank " +
        a.rank() +
        " on one path and " +
        b.rank() +
        " on the other"
      );
    }
    List<Dim> dims = new ArrayList<>();
    for (int i = 0; i < a.rank(); i++) {
      Dim x = a.shape().dim(i);
      dims.add(x.equals(b.shape().dim(i)) ? x : Dim.UNKNOWN);
    }
    return a.withShape(new Shape(dims));
  }
}

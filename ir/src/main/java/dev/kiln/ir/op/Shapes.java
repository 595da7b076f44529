package dev.kiln.ir.op;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/** Shape arithmetic shared by type inference of several ops. */
public final class Shapes {

  private Shapes() {}

  /**
   * Multidirectional (NumPy) broadcasting: shapes are right-aligned; each dimension pair must be
   * equal or contain a 1, and the result takes the larger. A symbolic dimension against 1 stays
   * symbolic; two different unknowns give an unknown.
   */
  public static Shape broadcast(Shape a, Shape b) {
    int rank = Math.max(a.rank(), b.rank());
    List<Dim> out = new ArrayList<>(rank);
    for (int i = 0; i < rank; i++) {
      int ia = i - (rank - a.rank());
      int ib = i - (rank - b.rank());
      Dim da = ia >= 0 ? a.dim(ia) : Dim.of(1);
      Dim db = ib >= 0 ? b.dim(ib) : Dim.of(1);
      out.add(broadcastDim(da, db, a, b));
    }
    return new Shape(out);
  }

  private static Dim broadcastDim(Dim a, Dim b, Shape sa, Shape sb) {
    if (a.equals(b)) {
      return a;
    }
    if (a.isKnown() && a.size() == 1) {
      return b;
    }
    if (b.isKnown() && b.size() == 1) {
      return a;
    }
    if (a.isKnown() && b.isKnown()) {
      throw new OpError(
        "shapes " + dims(sa) + " and " + dims(sb) + " do not broadcast (" + a + " vs " + b + ")"
      );
    }
    if (a.isKnown()) {
      return a;
    }
    if (b.isKnown()) {
      return b;
    }
    return Dim.UNKNOWN;
  }

  /** A shape as {@code [1, 3, "n", ?]} for messages. */
  public static String dims(Shape s) {
    return s.dims().toString();
  }

  /** Resolves a possibly negative axis against {@code rank}; errors name the op's valid range. */
  public static int axis(long axis, int rank) {
    OpError.check(
      axis >= -rank && axis < Math.max(rank, 1),
      "axis %d is out of range for rank %d",
      axis,
      rank
    );
    return (int) (axis < 0 ? axis + rank : axis);
  }

  /** Requires operand {@code i} to have a floating-point element type. */
  public static void requireFloat(TensorType t, String what) {
    OpError.check(t.elementType().isFloat(), "%s must be floating point, got %s", what, t);
  }

  /** Requires all types to share one element type. */
  public static ElementType sameElementType(List<TensorType> types) {
    ElementType e = types.getFirst().elementType();
    for (TensorType t : types) {
      OpError.check(
        t.elementType() == e,
        "operands must share an element type, got %s and %s",
        e,
        t.elementType()
      );
    }
    return e;
  }

  /** Dim arithmetic on known sizes; anything symbolic becomes unknown. */
  public static Dim map(Dim d, java.util.function.LongUnaryOperator f) {
    return d.isKnown() ? Dim.of(f.applyAsLong(d.size())) : Dim.UNKNOWN;
  }
}

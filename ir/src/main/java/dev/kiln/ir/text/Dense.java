package dev.kiln.ir.text;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.Tensor;

/**
 * The body of a {@code dense<...>} literal: a single element for scalars and splats, otherwise
 * row-major nested lists, one level per dimension.
 */
final class Dense {

  private Dense() {}

  static String literal(Tensor t) {
    if (t.size() > 0 && (t.shape().rank() == 0 || (t.size() > 1 && printsAsSplat(t)))) {
      return element(t, 0);
    }
    StringBuilder b = new StringBuilder();
    long[] sizes = t.shape().sizes();
    nested(b, t, sizes, 0, 0);
    return b.toString();
  }

  /** True when every element prints the same (NaNs with different payloads included). */
  static boolean printsAsSplat(Tensor t) {
    String first = element(t, 0);
    for (long i = 1; i < t.size(); i++) {
      if (!element(t, i).equals(first)) {
        return false;
      }
    }
    return true;
  }

  private static long nested(StringBuilder b, Tensor t, long[] sizes, int dim, long index) {
    b.append('[');
    for (long i = 0; i < sizes[dim]; i++) {
      if (i > 0) {
        b.append(", ");
      }
      if (dim == sizes.length - 1) {
        b.append(element(t, index++));
      } else {
        index = nested(b, t, sizes, dim + 1, index);
      }
    }
    b.append(']');
    return index;
  }

  static String element(Tensor t, long i) {
    ElementType e = t.elementType();
    return switch (e) {
      case F64, F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0, F4E2M1 -> Numbers.formatDouble(
        t.getDouble(i)
      );
      case F16, BF16, F32 -> Numbers.formatFloat((float) t.getDouble(i));
      case BOOL -> t.getLong(i) != 0 ? "true" : "false";
      case U64 -> Long.toUnsignedString(t.getLong(i));
      default -> Long.toString(t.getLong(i));
    };
  }
}

package dev.kiln.ir.op;

import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;

/** Index resolution and element accumulation shared by the gather and scatter ops. */
final class Indexing {

  private Indexing() {}

  /** Resolves index {@code i} against extent {@code n}; negative indices count from the end. */
  static long resolve(long i, long n) {
    OpError.check(i >= -n && i < n, "index %d is out of range [%d, %d)", i, -n, n);
    return i < 0 ? i + n : i;
  }

  /** Requires an integer index operand. */
  static void requireIndices(TensorType t) {
    OpError.check(t.elementType().isInteger(), "indices must be integers, got %s", t);
  }

  /** A mutable copy of a tensor's elements: doubles for floats, exact longs otherwise. */
  static final class Values {

    private final TensorType type;
    private final double[] doubles;
    private final long[] longs;

    Values(Tensor t) {
      type = t.type();
      doubles = t.elementType().isFloat() ? t.toDoubles() : null;
      longs = t.elementType().isFloat() ? null : t.toLongs();
    }

    /** Combines element {@code j} of {@code src} into element {@code i}. */
    void combine(long i, Tensor src, long j, ScatterReduction r) {
      int k = Math.toIntExact(i);
      if (doubles != null) {
        double v = src.getDouble(j);
        double old = doubles[k];
        doubles[k] = switch (r) {
          case NONE -> v;
          case ADD -> old + v;
          case MUL -> old * v;
          case MAX -> Math.max(old, v);
          case MIN -> Math.min(old, v);
        };
      } else {
        long v = src.getLong(j);
        long old = longs[k];
        longs[k] = switch (r) {
          case NONE -> v;
          case ADD -> old + v;
          case MUL -> old * v;
          case MAX -> Math.max(old, v);
          case MIN -> Math.min(old, v);
        };
      }
    }

    Tensor build() {
      Tensor.Builder b = new Tensor.Builder(type);
      for (long i = 0; i < b.size(); i++) {
        int k = (int) i;
        if (doubles != null) {
          b.setDouble(i, doubles[k]);
        } else {
          b.setLong(i, longs[k]);
        }
      }
      return b.build();
    }
  }
}

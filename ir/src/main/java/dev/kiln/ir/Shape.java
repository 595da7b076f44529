package dev.kiln.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The dimensions of a tensor, outermost first. Rank 0 is a scalar. Element counts use checked
 * 64-bit arithmetic, so a shape whose product overflows is reported, not wrapped.
 */
public record Shape(List<Dim> dims) {
  /** The largest rank Kiln accepts anywhere. */
  public static final int MAX_RANK = 64;

  public Shape {
    dims = List.copyOf(dims);
    if (dims.size() > MAX_RANK) {
      throw new IllegalArgumentException("rank " + dims.size() + " exceeds " + MAX_RANK);
    }
  }

  public static final Shape SCALAR = new Shape(List.of());

  public static Shape of(long... sizes) {
    List<Dim> d = new ArrayList<>(sizes.length);
    for (long s : sizes) {
      d.add(Dim.of(s));
    }
    return new Shape(d);
  }

  public static Shape of(List<Long> sizes) {
    return new Shape(sizes.stream().map(Dim::of).toList());
  }

  public int rank() {
    return dims.size();
  }

  public Dim dim(int i) {
    return dims.get(i);
  }

  /** True when every dimension is known. */
  public boolean isStatic() {
    return dims.stream().allMatch(Dim::isKnown);
  }

  /** The known sizes; only for static shapes. */
  public long[] sizes() {
    long[] s = new long[dims.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = dims.get(i).size();
    }
    return s;
  }

  /** The number of elements, or empty when a dimension is not known. Throws on overflow. */
  public Optional<Long> numElements() {
    long n = 1;
    for (Dim d : dims) {
      if (!d.isKnown()) {
        return Optional.empty();
      }
      n = Math.multiplyExact(n, d.size());
    }
    return Optional.of(n);
  }

  /** {@code tensor<...>} body: dims joined by {@code x}, for example {@code 1x3x"h"x?}. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (Dim d : dims) {
      b.append(d).append('x');
    }
    return b.toString();
  }
}

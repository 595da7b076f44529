package dev.kiln.ir;

/** Operand {@code index} of {@code user} reads the value this use is listed on. */
public record Use(Node user, int index) {
  @Override
  public boolean equals(Object o) {
    return o instanceof Use u && u.user == user && u.index == index;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(user) * 31 + index;
  }
}

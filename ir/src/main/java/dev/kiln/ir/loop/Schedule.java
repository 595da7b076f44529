package dev.kiln.ir.loop;

/**
 * How a backend may run a loop; never part of its meaning. {@code vectorize} is a vector width in
 * elements (0: the backend decides, 1: do not vectorize), {@code unroll} a factor (0: the backend
 * decides), {@code parallel} says iterations are independent and may run on several threads.
 */
public record Schedule(int vectorize, int unroll, boolean parallel) {
  /** No annotation: the backend decides everything. */
  public static final Schedule DEFAULT = new Schedule(0, 0, false);

  public Schedule {
    if (vectorize < 0 || unroll < 0) {
      throw new IllegalArgumentException("schedule " + vectorize + ", " + unroll);
    }
  }

  /** Vectorize by {@code width} elements. */
  public static Schedule vectorized(int width) {
    return new Schedule(width, 0, false);
  }

  public boolean isDefault() {
    return equals(DEFAULT);
  }
}

package dev.kiln.ir;

/**
 * One dimension of a shape: a known extent, a named symbol bound later (an ONNX {@code dim_param}
 * such as {@code "batch"}), or unknown. Text form: {@code 224}, {@code "batch"}, {@code ?}.
 */
public sealed interface Dim {
  /** A dimension whose extent is known at compile time. */
  record Known(long size) implements Dim {
    public Known {
      if (size < 0) {
        throw new IllegalArgumentException("negative dimension " + size);
      }
    }

    @Override
    public String toString() {
      return Long.toString(size);
    }
  }

  /** A dimension named by the model, equal wherever the same name appears. */
  record Symbol(String name) implements Dim {
    @Override
    public String toString() {
      return Printing.quote(name);
    }
  }

  /** A dimension nothing is known about. */
  record Unknown() implements Dim {
    @Override
    public String toString() {
      return "?";
    }
  }

  Unknown UNKNOWN = new Unknown();

  static Dim of(long size) {
    return new Known(size);
  }

  default boolean isKnown() {
    return this instanceof Known;
  }

  /** The known extent; callers check {@link #isKnown()} first. */
  default long size() {
    if (this instanceof Known(long s)) {
      return s;
    }
    throw new IllegalStateException("dimension " + this + " is not known");
  }
}

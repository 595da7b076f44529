package dev.kiln.lower;

/** Thrown when a node cannot be lowered to Loop IR; the message says what is missing. */
public final class UnsupportedLowering extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public UnsupportedLowering(String message) {
    super(message, null, false, false);
  }
}

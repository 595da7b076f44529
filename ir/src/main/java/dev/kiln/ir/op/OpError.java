package dev.kiln.ir.op;

/**
 * A rule of an op was broken by its operands or attributes. The message states the rule with the
 * actual numbers ("input channels (3) must equal weight in-channels (2) * group (1)"); whoever
 * catches it attaches the node's location.
 */
public final class OpError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public OpError(String message) {
    super(message, null, false, false);
  }

  /** Throws unless {@code condition} holds. */
  public static void check(boolean condition, String format, Object... args) {
    if (!condition) {
      throw new OpError(String.format(java.util.Locale.ROOT, format, args));
    }
  }
}

package dev.kiln.tf;

/**
 * A problem with one TensorFlow node, worded as the rule and the actual numbers; the importer adds
 * the node name and op type before showing it.
 */
public final class TfError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public TfError(String message) {
    super(message, null, false, false);
  }

  /** Throws unless {@code condition} holds. */
  public static void check(boolean condition, String format, Object... args) {
    if (!condition) {
      throw new TfError(String.format(java.util.Locale.ROOT, format, args));
    }
  }
}

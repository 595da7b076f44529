package dev.kiln.onnx;

/**
 * A problem with one ONNX node, worded as the rule and the actual numbers; the importer adds the
 * file, node name and op type before showing it.
 */
public final class OnnxError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public OnnxError(String message) {
    super(message, null, false, false);
  }

  /** Throws unless {@code condition} holds. */
  public static void check(boolean condition, String format, Object... args) {
    if (!condition) {
      throw new OnnxError(String.format(java.util.Locale.ROOT, format, args));
    }
  }
}

package dev.kiln.testing.filecheck;

/** Formatting of LLVM-style source excerpts: a source line followed by a caret line. */
final class Diagnostics {

  private Diagnostics() {}

  /**
   * The line text, a newline, and a marker line with {@code ^} under one-based {@code column}
   * followed by {@code ~} for the rest of a {@code length}-character range; tabs in the line are
   * reproduced in the marker line so that the caret stays aligned.
   */
  static String excerpt(String lineText, int column, int length) {
    StringBuilder out = new StringBuilder(lineText).append('\n');
    int indent = Math.max(0, column - 1);
    for (int k = 0; k < indent; k++) {
      out.append(k < lineText.length() && lineText.charAt(k) == '\t' ? '\t' : ' ');
    }
    out.append('^');
    int tildes = Math.min(length, Math.max(0, lineText.length() - indent)) - 1;
    if (tildes > 0) {
      out.append("~".repeat(tildes));
    }
    return out.append('\n').toString();
  }
}

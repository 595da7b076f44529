package dev.kiln.testing.filecheck;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A text in FileCheck's canonical form together with a map back to the original text.
 *
 * <p>Canonicalisation follows LLVM FileCheck: every {@code "\r\n"} becomes {@code "\n"} and every
 * run of spaces and tabs becomes a single space. Positions in the canonical text can be mapped
 * back to lines and columns of the original text for diagnostics.
 */
final class CanonicalText {

  private final String original;
  private final String text;
  private final int[] toOriginal;
  private final int[] lineStarts;

  private CanonicalText(String original, String text, int[] toOriginal, int[] lineStarts) {
    this.original = original;
    this.text = text;
    this.toOriginal = toOriginal;
    this.lineStarts = lineStarts;
  }

  static CanonicalText of(String original) {
    int n = original.length();
    StringBuilder out = new StringBuilder(n);
    int[] map = new int[n + 1];
    for (int k = 0; k < n; k++) {
      char c = original.charAt(k);
      if (c == '\r' && k + 1 < n && original.charAt(k + 1) == '\n') {
        continue;
      }
      map[out.length()] = k;
      if (isHorizontalSpace(c)) {
        out.append(' ');
        while (k + 1 < n && isHorizontalSpace(original.charAt(k + 1))) {
          k++;
        }
      } else {
        out.append(c);
      }
    }
    map[out.length()] = n;
    return new CanonicalText(
      original,
      out.toString(),
      Arrays.copyOf(map, out.length() + 1),
      lineStarts(original)
    );
  }

  static boolean isHorizontalSpace(char c) {
    return c == ' ' || c == '\t';
  }

  private static int[] lineStarts(String s) {
    List<Integer> starts = new ArrayList<>();
    starts.add(0);
    for (int k = 0; k < s.length(); k++) {
      if (s.charAt(k) == '\n') {
        starts.add(k + 1);
      }
    }
    return starts.stream().mapToInt(Integer::intValue).toArray();
  }

  String text() {
    return text;
  }

  int originalOffset(int pos) {
    return toOriginal[Math.clamp(pos, 0, text.length())];
  }

  /** One-based line of the original text holding canonical position {@code pos}. */
  int line(int pos) {
    int offset = originalOffset(pos);
    int idx = Arrays.binarySearch(lineStarts, offset);
    return (idx >= 0 ? idx : -idx - 2) + 1;
  }

  /** One-based column within the original line of canonical position {@code pos}. */
  int column(int pos) {
    return originalOffset(pos) - lineStarts[line(pos) - 1] + 1;
  }

  /** The original text of one-based line {@code line}, without its line terminator. */
  String lineText(int line) {
    if (line < 1 || line > lineStarts.length) {
      return "";
    }
    int start = lineStarts[line - 1];
    int end = line < lineStarts.length ? lineStarts[line] - 1 : original.length();
    if (end > start && original.charAt(end - 1) == '\r') {
      end--;
    }
    return original.substring(start, end);
  }
}

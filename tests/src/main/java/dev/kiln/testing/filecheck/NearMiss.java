package dev.kiln.testing.filecheck;

import java.util.Arrays;

/**
 * Finds the stretch of input most similar to a pattern that failed to match, for the
 * {@code possible intended match here} note.
 *
 * <p>Each line of the searched range is compared with the pattern by an edit distance in which the
 * pattern may start and end anywhere on the line for free and each regular-expression part of the
 * pattern matches any text at no cost. The line with the lowest distance wins (the earliest on
 * ties); it is reported only when the distance is at most half the number of literal characters in
 * the pattern.
 */
final class NearMiss {

  private static final int MAX_LINE_LENGTH = 1024;
  private static final int MAX_PATTERN_LENGTH = 256;
  private static final int MAX_LINES = 10_000;
  private static final long MAX_CELLS = 50_000_000L;

  private record Alignment(int cost, int start) {}

  private NearMiss() {}

  /** The position in {@code text} of the best near miss within {@code [from, to)}, or -1. */
  static int find(int[] elements, String text, int from, int to) {
    int[] pattern = elements.length > MAX_PATTERN_LENGTH
      ? Arrays.copyOf(elements, MAX_PATTERN_LENGTH)
      : elements;
    int literals = (int) Arrays.stream(pattern)
      .filter(e -> e != CheckPattern.WILDCARD)
      .count();
    if (literals == 0 || from >= to) {
      return -1;
    }
    int bestCost = Integer.MAX_VALUE;
    int bestPos = -1;
    long cells = 0;
    int lineStart = from;
    for (int lines = 0; lines < MAX_LINES && cells < MAX_CELLS; lines++) {
      int newline = text.indexOf('\n', lineStart);
      int lineEnd = newline < 0 || newline > to ? to : newline;
      int segmentEnd = Math.min(lineEnd, lineStart + MAX_LINE_LENGTH);
      if (segmentEnd > lineStart) {
        Alignment a = align(pattern, text, lineStart, segmentEnd);
        if (a.cost() < bestCost) {
          bestCost = a.cost();
          bestPos = a.start();
        }
        cells += (long) pattern.length * (segmentEnd - lineStart);
      }
      if (lineEnd >= to) {
        break;
      }
      lineStart = lineEnd + 1;
    }
    return bestPos >= 0 && bestCost * 2 <= literals ? bestPos : -1;
  }

  private static Alignment align(int[] pattern, String text, int from, int to) {
    int n = to - from;
    int[] prev = new int[n + 1];
    int[] prevStart = new int[n + 1];
    int[] cur = new int[n + 1];
    int[] curStart = new int[n + 1];
    for (int j = 0; j <= n; j++) {
      prevStart[j] = j;
    }
    for (int element : pattern) {
      cur[0] = element == CheckPattern.WILDCARD ? prev[0] : prev[0] + 1;
      curStart[0] = prevStart[0];
      for (int j = 1; j <= n; j++) {
        if (element == CheckPattern.WILDCARD) {
          if (prev[j] <= cur[j - 1]) {
            cur[j] = prev[j];
            curStart[j] = prevStart[j];
          } else {
            cur[j] = cur[j - 1];
            curStart[j] = curStart[j - 1];
          }
          continue;
        }
        int best = prev[j - 1] + (text.charAt(from + j - 1) == element ? 0 : 1);
        int start = prevStart[j - 1];
        if (prev[j] + 1 < best) {
          best = prev[j] + 1;
          start = prevStart[j];
        }
        if (cur[j - 1] + 1 < best) {
          best = cur[j - 1] + 1;
          start = curStart[j - 1];
        }
        cur[j] = best;
        curStart[j] = start;
      }
      int[] swap = prev;
      prev = cur;
      cur = swap;
      swap = prevStart;
      prevStart = curStart;
      curStart = swap;
    }
    int bestJ = 0;
    for (int j = 1; j <= n; j++) {
      if (prev[j] < prev[bestJ]) {
        bestJ = j;
      }
    }
    return new Alignment(prev[bestJ], from + Math.min(prevStart[bestJ], Math.max(0, n - 1)));
  }
}

package dev.kiln.testing.filecheck;

/**
 * One directive of a check file.
 *
 * @param kind the directive kind
 * @param prefix the check prefix the directive was written with
 * @param count how many consecutive matches are required ({@code n} for {@code PREFIX-COUNT-n}, else 1)
 * @param pattern the parsed pattern
 * @param line one-based line of the directive in the check file
 * @param column one-based column where the pattern starts on that line
 * @param lineText the full text of that line, for diagnostics
 */
record Directive(
  Kind kind,
  String prefix,
  int count,
  CheckPattern pattern,
  int line,
  int column,
  String lineText
) {
  /** Directive kinds; {@link #suffix()} is what follows the prefix before the colon. */
  enum Kind {
    PLAIN(""),
    NEXT("-NEXT"),
    SAME("-SAME"),
    NOT("-NOT"),
    DAG("-DAG"),
    LABEL("-LABEL"),
    EMPTY("-EMPTY");

    private final String suffix;

    Kind(String suffix) {
      this.suffix = suffix;
    }

    String suffix() {
      return suffix;
    }

    /** Whether directives of this kind produce a match that advances the scan position. */
    boolean isPositive() {
      return this != NOT && this != DAG;
    }
  }

  /** The directive name as written, e.g. {@code CHECK-NEXT} or {@code CHECK-COUNT-3}. */
  String description() {
    return count > 1 ? prefix + "-COUNT-" + count : prefix + kind.suffix();
  }
}

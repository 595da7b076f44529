package dev.kiln.testing.filecheck;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Extracts directives from a check file and groups them into {@link CheckStep}s.
 *
 * <p>A directive is recognised anywhere on a line as {@code PREFIX:}, {@code PREFIX-NEXT:},
 * {@code PREFIX-SAME:}, {@code PREFIX-NOT:}, {@code PREFIX-DAG:}, {@code PREFIX-LABEL:},
 * {@code PREFIX-EMPTY:} or {@code PREFIX-COUNT-n:}, provided the prefix is not preceded by a letter,
 * digit, {@code _} or {@code -}. At most one directive is read per line; its pattern is the rest of
 * the line without surrounding whitespace.
 */
final class CheckParser {

  private record Header(String prefix, Directive.Kind kind, int count, int patternFrom) {}

  private final List<String> prefixes;
  private final String fileName;

  CheckParser(List<String> prefixes, String fileName) {
    this.prefixes = List.copyOf(prefixes);
    this.fileName = fileName;
  }

  List<CheckStep> parse(String checkText) throws CheckFailure {
    String[] lines = checkText.split("\n", -1);
    List<CheckStep> steps = new ArrayList<>();
    List<Directive> pending = new ArrayList<>();
    boolean sawAny = false;
    for (int index = 0; index < lines.length; index++) {
      String line = lines[index].endsWith("\r")
        ? lines[index].substring(0, lines[index].length() - 1)
        : lines[index];
      int lineNumber = index + 1;
      Header header = findHeader(line, lineNumber);
      if (header == null) {
        continue;
      }
      sawAny = true;
      Directive directive = directive(header, line, lineNumber);
      Directive.Kind kind = directive.kind();
      if (!kind.isPositive()) {
        pending.add(directive);
        continue;
      }
      if (
        (kind == Directive.Kind.NEXT ||
          kind == Directive.Kind.SAME ||
          kind == Directive.Kind.EMPTY) &&
        steps.isEmpty()
      ) {
        throw error(
          lineNumber,
          directive.column(),
          line,
          "found '" + directive.description() + "' without previous '" + header.prefix() + ": line"
        );
      }
      steps.add(new CheckStep(directive, pending));
      pending.clear();
    }
    if (!sawAny) {
      String quoted = prefixes
        .stream()
        .map(p -> "'" + p + ":'")
        .collect(Collectors.joining(", "));
      throw new CheckFailure(
        fileName +
        ": error: no check strings found with prefix" +
        (prefixes.size() > 1 ? "es " : " ") +
        quoted +
        "\n"
      );
    }
    if (!pending.isEmpty()) {
      steps.add(new CheckStep(null, pending));
    }
    return steps;
  }

  private Directive directive(Header header, String line, int lineNumber) throws CheckFailure {
    int from = header.patternFrom();
    int end = line.length();
    while (from < end && CanonicalText.isHorizontalSpace(line.charAt(from))) {
      from++;
    }
    while (end > from && CanonicalText.isHorizontalSpace(line.charAt(end - 1))) {
      end--;
    }
    String text = line.substring(from, end);
    int column = from + 1;
    String shown = header.prefix() + header.kind().suffix() + ":";
    CheckPattern pattern;
    if (header.kind() == Directive.Kind.EMPTY) {
      if (!text.isEmpty()) {
        throw error(
          lineNumber,
          column,
          line,
          "found non-empty check string for empty check with prefix '" + header.prefix() + ":'"
        );
      }
      pattern = CheckPattern.emptyLine();
    } else {
      if (text.isEmpty()) {
        throw error(
          lineNumber,
          column,
          line,
          "found empty check string with prefix '" + header.prefix() + ":'"
        );
      }
      try {
        pattern = CheckPattern.parse(text, column, lineNumber);
      } catch (CheckPattern.SyntaxError e) {
        throw error(lineNumber, e.column(), line, e.getMessage());
      }
      if (header.kind() == Directive.Kind.LABEL && pattern.hasVariables()) {
        throw error(
          lineNumber,
          column,
          line,
          "found '" + shown + "' with variable definition or use"
        );
      }
    }
    return new Directive(
      header.kind(),
      header.prefix(),
      header.count(),
      pattern,
      lineNumber,
      column,
      line
    );
  }

  private Header findHeader(String line, int lineNumber) throws CheckFailure {
    for (int pos = 0; pos < line.length(); pos++) {
      if (pos > 0 && isWordChar(line.charAt(pos - 1))) {
        continue;
      }
      Header best = null;
      for (String prefix : prefixes) {
        if (!line.startsWith(prefix, pos)) {
          continue;
        }
        Header h = suffix(line, prefix, pos + prefix.length(), lineNumber);
        if (h != null && (best == null || prefix.length() > best.prefix().length())) {
          best = h;
        }
      }
      if (best != null) {
        return best;
      }
    }
    return null;
  }

  private Header suffix(String line, String prefix, int at, int lineNumber) throws CheckFailure {
    if (line.startsWith(":", at)) {
      return new Header(prefix, Directive.Kind.PLAIN, 1, at + 1);
    }
    for (Directive.Kind kind : Directive.Kind.values()) {
      if (kind != Directive.Kind.PLAIN && line.startsWith(kind.suffix() + ":", at)) {
        return new Header(prefix, kind, 1, at + kind.suffix().length() + 1);
      }
    }
    String countTag = "-COUNT-";
    if (line.startsWith(countTag, at)) {
      int colon = line.indexOf(':', at);
      if (colon < 0) {
        return null;
      }
      String digits = line.substring(at + countTag.length(), colon);
      int count = digits.matches("[0-9]{1,9}") ? Integer.parseInt(digits) : 0;
      if (count <= 0) {
        throw error(
          lineNumber,
          at + countTag.length() + 1,
          line,
          "invalid count in -COUNT specification on prefix '" + prefix + "'"
        );
      }
      return new Header(prefix, Directive.Kind.PLAIN, count, colon + 1);
    }
    return null;
  }

  private static boolean isWordChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '-';
  }

  private CheckFailure error(int lineNumber, int column, String line, String message) {
    return new CheckFailure(
      fileName +
      ":" +
      lineNumber +
      ": error: " +
      message +
      "\n" +
      Diagnostics.excerpt(line, column, 1)
    );
  }
}

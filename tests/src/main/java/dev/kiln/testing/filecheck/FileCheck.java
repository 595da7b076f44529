package dev.kiln.testing.filecheck;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A pattern-matching verifier modelled on LLVM's FileCheck.
 *
 * <p>{@link #check} reads directives from a check file and verifies that the input satisfies them.
 * A directive is {@code PREFIX} followed by one of the suffixes below and a colon, anywhere on a
 * line (typically after a comment marker such as {@code //}); the prefix must not be preceded by a
 * letter, digit, {@code _} or {@code -}. Directives whose prefix is not among
 * {@link Options#prefixes()} are ignored.
 *
 * <ul>
 *   <li>{@code CHECK: p} matches {@code p} at or after the current position (a match may start
 *       mid-line); scanning continues after the end of the match.
 *   <li>{@code CHECK-NEXT: p} matches like {@code CHECK:} and then requires the match to be on the
 *       line right after the line where the previous match ended.
 *   <li>{@code CHECK-SAME: p} requires the match to be on the line where the previous match ended.
 *   <li>{@code CHECK-EMPTY:} requires the line after the previous match to be empty.
 *   <li>{@code CHECK-NOT: p} requires {@code p} not to occur between the previous match and the
 *       next positive match (the end of the input when none follows).
 *   <li>{@code CHECK-DAG: p}: consecutive {@code DAG} directives match in any order, without
 *       overlapping each other, after the previous match; the next positive directive is matched
 *       after the end of the last of them. {@code NOT} directives between {@code DAG} groups are
 *       checked between the surrounding groups, as in LLVM.
 *   <li>{@code CHECK-LABEL: p} splits the input into blocks: labels are found first, in order; every
 *       other directive is then matched only within the block between its preceding label and the
 *       next one. Labels may not define or use variables.
 *   <li>{@code CHECK-COUNT-n: p} matches {@code p} {@code n} times in succession, each match starting
 *       after the end of the previous one (as in LLVM, not necessarily on a new line).
 * </ul>
 *
 * <p>Patterns: literal text, in which any run of spaces and tabs matches any run of spaces and tabs
 * in the input (both are canonicalised, as LLVM does by default) and leading and trailing
 * whitespace is ignored; {@code {{regex}}} embeds a {@link Pattern Java regular expression};
 * {@code [[VAR:regex]]} defines {@code VAR} as the text matched by {@code regex}; {@code [[VAR]]}
 * matches the current value of {@code VAR} literally (or, after a definition in the same pattern,
 * the text that definition matched); {@code [[@LINE]]} and {@code [[@LINE+-n]]} match the directive's
 * line number. All other characters, {@code $} included, are literal. Regular expressions see line
 * boundaries: {@code ^}, {@code $} anchor at lines and {@code .} does not match a newline.
 *
 * <p>The check file is malformed, and the check fails, when it contains no directive for any
 * prefix, when a directive other than {@code EMPTY} has an empty pattern, when a {@code NEXT},
 * {@code SAME} or {@code EMPTY} directive comes before any positive directive, or when a pattern is
 * syntactically invalid. A use of an undefined variable fails the check.
 *
 * <p>Failures are reported in LLVM's format: {@code FILE:LINE: error: DIRECTIVE: message}, the
 * directive's line with a caret under the pattern, then notes located in the input as
 * {@code <stdin>:LINE:COLUMN: note: ...}, each with the input line and a caret: where scanning
 * started, the most similar input line when one is close enough ({@code possible intended match
 * here}), the value of each substituted variable, and for {@code NOT} where the excluded string was
 * found.
 */
public final class FileCheck {

  private static final Pattern VALID_PREFIX = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*");

  private FileCheck() {}

  /**
   * Options of a check.
   *
   * @param prefixes the check prefixes to honour (like {@code --check-prefixes=A,B}); at least one;
   *     each must start with a letter and contain only letters, digits, {@code -} and {@code _}
   * @param checkFileName the check file name used in diagnostics
   */
  public record Options(List<String> prefixes, String checkFileName) {
    public Options {
      prefixes = List.copyOf(prefixes);
      Objects.requireNonNull(checkFileName, "checkFileName");
    }

    /** Options with the single prefix {@code CHECK}. */
    public static Options defaults(String checkFileName) {
      return new Options(List.of("CHECK"), checkFileName);
    }
  }

  /**
   * The outcome of a check.
   *
   * @param ok whether the input satisfied every directive
   * @param report the failure diagnostics, empty when {@code ok}
   */
  public record Result(boolean ok, String report) {}

  /**
   * Parses the directives in {@code checkFileText} and matches them against {@code input}.
   *
   * @return a passing result, or a failing one whose report holds every diagnostic
   */
  public static Result check(String checkFileText, String input, Options options) {
    Objects.requireNonNull(checkFileText, "checkFileText");
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(options, "options");
    String invalid = validatePrefixes(options.prefixes());
    if (invalid != null) {
      return new Result(false, "error: " + invalid + "\n");
    }
    try {
      List<CheckStep> steps = new CheckParser(options.prefixes(), options.checkFileName()).parse(
        checkFileText
      );
      String report = new CheckRun(input, options.checkFileName()).run(steps);
      return new Result(report.isEmpty(), report);
    } catch (CheckFailure e) {
      return new Result(false, e.diagnostic());
    }
  }

  private static String validatePrefixes(List<String> prefixes) {
    if (prefixes.isEmpty()) {
      return "no check prefix given";
    }
    Set<String> seen = new HashSet<>();
    for (String prefix : prefixes) {
      if (!VALID_PREFIX.matcher(prefix).matches()) {
        return (
          "supplied check prefix '" +
          prefix +
          "' is invalid: prefixes must start with a letter and " +
          "contain only alphanumeric characters, hyphens and underscores"
        );
      }
      if (!seen.add(prefix)) {
        return "supplied check prefix '" + prefix + "' is not unique";
      }
    }
    return null;
  }
}

package dev.kiln.testing.filecheck;

import java.io.Serial;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The pattern of one directive, parsed into literal text, embedded regular expressions and
 * variable definitions and uses.
 *
 * <p>Syntax, as in LLVM FileCheck: literal text matches itself (after whitespace
 * canonicalisation); {@code {{re}}} embeds a Java regular expression; {@code [[NAME:re]]} matches
 * {@code re} and binds the matched text to {@code NAME}; {@code [[NAME]]} matches the current value
 * of {@code NAME} literally (or, when {@code NAME} was defined earlier in the same pattern, whatever
 * that definition matched); {@code [[@LINE]]}, {@code [[@LINE+n]]} and {@code [[@LINE-n]]} (also
 * spelled {@code [[#@LINE...]]}) match the check-file line number, optionally offset. POSIX
 * bracket classes such as {@code [:digit:]} inside regular expressions are accepted.
 *
 * <p>Regular expressions are compiled with {@link Pattern#MULTILINE} and {@link Pattern#UNIX_LINES},
 * so {@code ^} and {@code $} match at line boundaries and {@code .} does not match a newline.
 */
final class CheckPattern {

  /** A syntactic element of a pattern. */
  sealed interface Piece permits Literal, RegexBlock, VarDef, VarUse {}

  /** Canonicalised literal text. */
  record Literal(String text) implements Piece {}

  /** An embedded regular expression. */
  record RegexBlock(String regex) implements Piece {}

  /** A variable definition {@code [[name:regex]]}. */
  record VarDef(String name, String regex) implements Piece {}

  /** A variable use {@code [[name]]}; {@code column} locates it on the check-file line. */
  record VarUse(String name, int column) implements Piece {}

  /** The outcome of instantiating the pattern with the current variable values. */
  sealed interface Compiled permits Ready, Undefined {}

  /**
   * A regular expression ready for matching.
   *
   * @param regex the compiled expression
   * @param groups the regex group holding the value of each variable the pattern defines
   * @param startSkip how many characters at the start of a regex match precede the reported match
   */
  record Ready(Pattern regex, Map<String, String> groups, int startSkip) implements Compiled {}

  /** The pattern uses a variable that has no value yet. */
  record Undefined(VarUse use) implements Compiled {}

  /** A malformed pattern; {@code column} locates the problem on the check-file line. */
  static final class SyntaxError extends Exception {

    @Serial
    private static final long serialVersionUID = 1L;

    private final int column;

    SyntaxError(String message, int column) {
      super(message, null, false, false);
      this.column = column;
    }

    int column() {
      return column;
    }
  }

  static final int WILDCARD = -1;

  private static final int FLAGS = Pattern.MULTILINE | Pattern.UNIX_LINES;
  private static final Ready EMPTY_LINE = new Ready(
    Pattern.compile("\n(?=\n)", FLAGS),
    Map.of(),
    1
  );
  private static final Pattern NAME = Pattern.compile("\\$?[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern LINE_EXPRESSION = Pattern.compile(
    "#?\\s*@LINE\\s*(?:([+-])\\s*([0-9]{1,9}))?\\s*"
  );
  private static final Map<String, String> POSIX_CLASSES = posixClasses();

  private final List<Piece> pieces;
  private final boolean emptyLine;
  private final Ready fixed;

  private CheckPattern(List<Piece> pieces, boolean emptyLine, Ready fixed) {
    this.pieces = List.copyOf(pieces);
    this.emptyLine = emptyLine;
    this.fixed = fixed;
  }

  /** The pattern of {@code CHECK-EMPTY}: a line with nothing on it. */
  static CheckPattern emptyLine() {
    return new CheckPattern(List.of(), true, EMPTY_LINE);
  }

  /**
   * Parses pattern text taken from a check-file line.
   *
   * @param raw the pattern text, already stripped of surrounding whitespace
   * @param baseColumn the one-based column of {@code raw} on its line
   * @param lineNumber the one-based check-file line, the value of {@code @LINE}
   */
  static CheckPattern parse(String raw, int baseColumn, int lineNumber) throws SyntaxError {
    CanonicalText canon = CanonicalText.of(raw);
    String t = canon.text();
    IntUnaryOperator col = k -> baseColumn + canon.originalOffset(k);
    List<Piece> pieces = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int k = 0;
    while (k < t.length()) {
      if (t.startsWith("{{", k)) {
        flush(literal, pieces);
        int end = t.indexOf("}}", k + 2);
        if (end < 0) {
          throw new SyntaxError("found start of regex string with no end '}}'", col.applyAsInt(k));
        }
        while (end + 2 < t.length() && t.charAt(end + 2) == '}') {
          end++;
        }
        String regex = t.substring(k + 2, end);
        if (regex.isEmpty()) {
          throw new SyntaxError("found empty regex string '{{}}'", col.applyAsInt(k));
        }
        pieces.add(new RegexBlock(translatePosix(regex)));
        k = end + 2;
      } else if (t.startsWith("[[", k)) {
        flush(literal, pieces);
        int end = findVariableEnd(t, k + 2, col);
        pieces.add(parseVariable(t.substring(k + 2, end), col.applyAsInt(k), lineNumber));
        k = end + 2;
      } else {
        literal.append(t.charAt(k));
        k++;
      }
    }
    flush(literal, pieces);
    CheckPattern pattern = new CheckPattern(pieces, false, null);
    try {
      pattern.build(Map.of(), true);
    } catch (PatternSyntaxException e) {
      throw new SyntaxError(
        "invalid regex: " + e.getDescription() + " in '" + e.getPattern() + "'",
        baseColumn
      );
    }
    Compiled exact = pattern.build(Map.of(), false);
    return exact instanceof Ready ready ? new CheckPattern(pieces, false, ready) : pattern;
  }

  private static void flush(StringBuilder literal, List<Piece> pieces) {
    if (!literal.isEmpty()) {
      pieces.add(new Literal(literal.toString()));
      literal.setLength(0);
    }
  }

  private static int findVariableEnd(String t, int from, IntUnaryOperator col) throws SyntaxError {
    int depth = 0;
    int k = from;
    while (k < t.length()) {
      if (depth == 0 && t.startsWith("]]", k)) {
        return k;
      }
      char c = t.charAt(k);
      if (c == '\\') {
        k += 2;
        continue;
      }
      if (c == '[') {
        depth++;
      } else if (c == ']') {
        if (depth == 0) {
          throw new SyntaxError("missing closing \"]\" for regex variable", col.applyAsInt(k));
        }
        depth--;
      }
      k++;
    }
    throw new SyntaxError("invalid variable block, no ']]' found", col.applyAsInt(from - 2));
  }

  private static Piece parseVariable(String body, int column, int lineNumber) throws SyntaxError {
    Matcher line = LINE_EXPRESSION.matcher(body);
    if (line.matches()) {
      int offset = line.group(2) == null ? 0 : Integer.parseInt(line.group(2));
      return new Literal(
        Integer.toString("-".equals(line.group(1)) ? lineNumber - offset : lineNumber + offset)
      );
    }
    if (body.startsWith("#")) {
      throw new SyntaxError(
        "numeric substitution blocks are not supported: '[[" + body + "]]'",
        column
      );
    }
    if (body.startsWith("@")) {
      throw new SyntaxError("invalid pseudo variable '[[" + body + "]]'", column);
    }
    int colon = body.indexOf(':');
    if (colon >= 0) {
      String name = body.substring(0, colon);
      if (!NAME.matcher(name).matches()) {
        throw new SyntaxError("invalid name in string variable definition '" + name + "'", column);
      }
      return new VarDef(name, translatePosix(body.substring(colon + 1)));
    }
    if (!NAME.matcher(body).matches()) {
      throw new SyntaxError("invalid name in string variable use '" + body + "'", column);
    }
    return new VarUse(body, column);
  }

  private static String translatePosix(String regex) {
    String out = regex;
    for (Map.Entry<String, String> e : POSIX_CLASSES.entrySet()) {
      out = out.replace(e.getKey(), e.getValue());
    }
    return out;
  }

  private static Map<String, String> posixClasses() {
    Map<String, String> m = new LinkedHashMap<>();
    for (String name : List.of(
      "alpha",
      "digit",
      "alnum",
      "space",
      "upper",
      "lower",
      "punct",
      "xdigit",
      "blank",
      "cntrl",
      "graph",
      "print"
    )) {
      String javaName = name.equals("xdigit")
        ? "XDigit"
        : Character.toUpperCase(name.charAt(0)) + name.substring(1);
      m.put("[:" + name + ":]", "\\p{" + javaName + "}");
    }
    return Collections.unmodifiableMap(m);
  }

  boolean isEmptyLine() {
    return emptyLine;
  }

  /** Whether the pattern defines or uses any variable. */
  boolean hasVariables() {
    return pieces.stream().anyMatch(p -> p instanceof VarDef || p instanceof VarUse);
  }

  /** Instantiates the pattern with the given variable values. */
  Compiled compile(Map<String, String> variables) {
    return fixed != null ? fixed : build(variables, false);
  }

  private Compiled build(Map<String, String> variables, boolean lenient) {
    StringBuilder re = new StringBuilder();
    Map<String, String> groups = new LinkedHashMap<>();
    int next = 0;
    for (Piece piece : pieces) {
      switch (piece) {
        case Literal l -> re.append(Pattern.quote(l.text()));
        case RegexBlock r -> re.append("(?:").append(r.regex()).append(')');
        case VarDef d -> {
          String group = "fcvar" + next++;
          re.append("(?<").append(group).append('>').append(d.regex()).append(')');
          groups.put(d.name(), group);
        }
        case VarUse u -> {
          String group = groups.get(u.name());
          if (group != null) {
            re.append("\\k<").append(group).append('>');
          } else {
            String value = variables.get(u.name());
            if (value == null) {
              if (!lenient) {
                return new Undefined(u);
              }
              value = "";
            }
            re.append(Pattern.quote(value));
          }
        }
      }
    }
    return new Ready(Pattern.compile(re.toString(), FLAGS), Collections.unmodifiableMap(groups), 0);
  }

  /** The variables this pattern substitutes from earlier matches, with their current values. */
  Map<String, String> substitutions(Map<String, String> variables) {
    Map<String, String> out = new LinkedHashMap<>();
    List<String> local = new ArrayList<>();
    for (Piece piece : pieces) {
      if (piece instanceof VarDef d) {
        local.add(d.name());
      } else if (
        piece instanceof VarUse u && !local.contains(u.name()) && variables.containsKey(u.name())
      ) {
        out.put(u.name(), variables.get(u.name()));
      }
    }
    return out;
  }

  /**
   * The pattern as a sequence for approximate matching: literal characters (variable uses
   * replaced by their values) and {@link #WILDCARD} for each stretch that a regular expression
   * matches.
   */
  int[] fuzzyElements(Map<String, String> variables) {
    List<Integer> out = new ArrayList<>();
    List<String> local = new ArrayList<>();
    for (Piece piece : pieces) {
      String text = switch (piece) {
        case Literal l -> l.text();
        case RegexBlock _ -> null;
        case VarDef d -> {
          local.add(d.name());
          yield null;
        }
        case VarUse u -> local.contains(u.name()) ? null : variables.get(u.name());
      };
      if (text == null) {
        if (out.isEmpty() || out.getLast() != WILDCARD) {
          out.add(WILDCARD);
        }
      } else {
        text.chars().forEach(out::add);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }
}

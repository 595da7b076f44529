package dev.kiln.ir;

/** Lexical helpers shared by the printer and by the {@code toString} of IR records. */
public final class Printing {

  private Printing() {}

  /** A double-quoted string literal with {@code \"}, {@code \\}, {@code \n} and hex escapes. */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /** Inverse of {@link #quote}: the contents of a quoted literal, escapes resolved. */
  public static String unquote(String literal) {
    StringBuilder b = new StringBuilder(literal.length());
    for (int i = 1; i < literal.length() - 1; i++) {
      char c = literal.charAt(i);
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = literal.charAt(++i);
      switch (e) {
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'x' -> {
          b.append((char) Integer.parseInt(literal.substring(i + 1, i + 3), 16));
          i += 2;
        }
        default -> b.append(e);
      }
    }
    return b.toString();
  }

  /**
   * True when {@code s} can be printed bare as an identifier: {@code [A-Za-z_][A-Za-z0-9_.]*}, but
   * not {@code nan} or {@code inf}, which lex as floats.
   */
  public static boolean isIdentifier(String s) {
    if (
      s.isEmpty() ||
      s.equals("nan") ||
      s.equals("inf") ||
      !(Character.isLetter(s.charAt(0)) || s.charAt(0) == '_')
    ) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.'))) {
        return false;
      }
    }
    return true;
  }
}

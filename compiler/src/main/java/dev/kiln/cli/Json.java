package dev.kiln.cli;

import java.util.List;
import java.util.Map;

/** Minimal JSON rendering of maps, lists, strings, numbers and booleans, keys in insertion order. */
final class Json {

  private Json() {}

  static String write(Object v) {
    StringBuilder b = new StringBuilder();
    write(b, v, 0);
    return b.append('\n').toString();
  }

  private static void write(StringBuilder b, Object v, int depth) {
    switch (v) {
      case null -> b.append("null");
      case String s -> string(b, s);
      case Number n -> b.append(n);
      case Boolean x -> b.append(x);
      case Map<?, ?> m -> {
        b.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          b.append(first ? "\n" : ",\n").append("  ".repeat(depth + 1));
          first = false;
          string(b, e.getKey().toString());
          b.append(": ");
          write(b, e.getValue(), depth + 1);
        }
        b.append(first ? "}" : "\n" + "  ".repeat(depth) + "}");
      }
      case List<?> l -> {
        b.append('[');
        for (int i = 0; i < l.size(); i++) {
          b.append(i == 0 ? "" : ", ");
          write(b, l.get(i), depth + 1);
        }
        b.append(']');
      }
      default -> string(b, v.toString());
    }
  }

  private static void string(StringBuilder b, String s) {
    b.append('"');
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}

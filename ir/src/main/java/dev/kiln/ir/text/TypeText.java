package dev.kiln.ir.text;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Printing;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses the text of a {@code tensor<...>} token: dims separated by {@code x} (an integer, {@code
 * ?}, or a quoted symbol name), then the element type name.
 */
final class TypeText {

  /** A malformed type, with the column offset inside the token where it went wrong. */
  static final class Error extends Exception {

    private static final long serialVersionUID = 1L;
    final int offset;

    Error(int offset, String message) {
      super(message, null, false, false);
      this.offset = offset;
    }
  }

  private TypeText() {}

  static TensorType parse(String token) throws Error {
    String body = token.substring("tensor<".length(), token.length() - 1);
    int base = "tensor<".length();
    List<Dim> dims = new ArrayList<>();
    int i = 0;
    while (true) {
      if (i >= body.length()) {
        throw new Error(base + i, "expected an element type in " + token);
      }
      char c = body.charAt(i);
      int start = i;
      Dim d;
      if (c == '?') {
        d = Dim.UNKNOWN;
        i++;
      } else if (c == '"') {
        i++;
        while (i < body.length() && body.charAt(i) != '"') {
          i += body.charAt(i) == '\\' ? 2 : 1;
        }
        if (i >= body.length()) {
          throw new Error(base + start, "unterminated dimension name in " + token);
        }
        i++;
        d = new Dim.Symbol(Printing.unquote(body.substring(start, i)));
      } else if (Character.isDigit(c)) {
        while (i < body.length() && Character.isDigit(body.charAt(i))) {
          i++;
        }
        try {
          d = Dim.of(Long.parseLong(body.substring(start, i)));
        } catch (NumberFormatException e) {
          throw new Error(base + start, "dimension " + body.substring(start, i) + " is too large");
        }
      } else {
        String name = body.substring(i);
        ElementType e = ElementType.fromText(name).orElseThrow(() ->
          new Error(base + start, "unknown element type '" + name + "'")
        );
        if (dims.size() > Shape.MAX_RANK) {
          throw new Error(0, "rank " + dims.size() + " exceeds " + Shape.MAX_RANK);
        }
        return new TensorType(e, new Shape(dims));
      }
      dims.add(d);
      if (i >= body.length() || body.charAt(i) != 'x') {
        throw new Error(base + i, "expected 'x' after dimension in " + token);
      }
      i++;
    }
  }
}

package dev.kiln.cli;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Location;
import dev.kiln.ir.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code --input NAME=VALUE}: VALUE is a shape such as {@code 1x3x224x224} with an optional
 * element type ({@code 1x3x224x224:f32}, {@code :f32} alone for a scalar), or the path of a {@code
 * .npy} or ONNX {@code TensorProto .pb} file.
 */
public record InputSpec(String name, Shape shape, ElementType type, Path file) {
  private static final Pattern SHAPE = Pattern.compile("(\\d+(?:x\\d+)*)?(?::([a-z0-9]+))?");

  public static InputSpec parse(String spec) {
    int eq = spec.indexOf('=');
    if (eq <= 0 || eq == spec.length() - 1) {
      throw bad("--input " + spec + ": expected NAME=DIMS[:type] or NAME=FILE");
    }
    String name = spec.substring(0, eq);
    String value = spec.substring(eq + 1);
    if (value.endsWith(".npy") || value.endsWith(".pb") || value.contains("/")) {
      return new InputSpec(name, null, null, Path.of(value));
    }
    Matcher m = SHAPE.matcher(value);
    if (!m.matches() || (m.group(1) == null && m.group(2) == null)) {
      throw bad("--input " + spec + ": '" + value + "' is neither DIMS[:type] nor a .npy/.pb file");
    }
    Shape shape = Shape.SCALAR;
    if (m.group(1) != null) {
      List<Long> dims = new ArrayList<>();
      for (String d : m.group(1).split("x")) {
        try {
          dims.add(Long.parseLong(d));
        } catch (NumberFormatException e) {
          throw bad("--input " + spec + ": dimension " + d + " is too large");
        }
      }
      if (dims.size() > Shape.MAX_RANK) {
        throw bad("--input " + spec + ": rank " + dims.size() + " exceeds " + Shape.MAX_RANK);
      }
      shape = Shape.of(dims);
      try {
        shape.numElements();
      } catch (ArithmeticException e) {
        throw bad("--input " + spec + ": the element count overflows 64 bits");
      }
    }
    ElementType type = null;
    if (m.group(2) != null) {
      type = ElementType.fromText(m.group(2)).orElseThrow(() ->
        bad("--input " + spec + ": unknown element type '" + m.group(2) + "'")
      );
    }
    return new InputSpec(name, shape, type, null);
  }

  private static DiagnosticException bad(String message) {
    return DiagnosticException.error(Location.UNKNOWN, message);
  }
}

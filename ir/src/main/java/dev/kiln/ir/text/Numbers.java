package dev.kiln.ir.text;

/**
 * Number formatting that round-trips: the shortest decimal that reads back to the same float or
 * double, with {@code nan}, {@code inf} and {@code -inf} for the special values.
 */
final class Numbers {

  private Numbers() {}

  static String formatDouble(double d) {
    if (Double.isNaN(d)) {
      return "nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    return Double.toString(d);
  }

  static String formatFloat(float f) {
    if (Float.isNaN(f)) {
      return "nan";
    }
    if (Float.isInfinite(f)) {
      return f > 0 ? "inf" : "-inf";
    }
    return Float.toString(f);
  }

  static double parseDouble(String text) {
    return switch (text) {
      case "nan" -> Double.NaN;
      case "inf" -> Double.POSITIVE_INFINITY;
      case "-inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text);
    };
  }
}

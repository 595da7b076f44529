package dev.kiln.ir.text;

/**
 * How {@link Printer} renders a module.
 *
 * @param debugInfo print {@code loc(...)} after every node
 * @param inlineLimit constants with at most this many elements print inline as {@code dense<...>};
 *     larger non-splat constants print as {@code resource<name>} with their bytes in the trailing
 *     {@code resources} section
 * @param elideOver constants with more than this many elements keep only their type: the resource
 *     section says {@code elided}; negative means never elide
 */
public record PrintOptions(boolean debugInfo, long inlineLimit, long elideOver) {
  public static final PrintOptions DEFAULT = new PrintOptions(false, 16, -1);

  public PrintOptions withDebugInfo(boolean on) {
    return new PrintOptions(on, inlineLimit, elideOver);
  }

  public PrintOptions withElideOver(long n) {
    return new PrintOptions(debugInfo, inlineLimit, n);
  }
}

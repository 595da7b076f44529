package dev.kiln.ir.op;

import java.util.List;
import java.util.Map;

/**
 * The static description of an op: its textual name, operand and result names, the number of
 * regions, and the default of each attribute that has one (attributes without a default are
 * required). An operand name ending in {@code ?} is optional and in {@code ...} variadic; optional
 * operands come last (a node giving one gives every optional operand before it) and only the last
 * operand may be variadic. Attributes equal to their default are not printed.
 */
public record OpSpec(
  String name,
  List<String> operands,
  List<String> results,
  int regions,
  Map<String, Object> defaults
) {
  public OpSpec {
    operands = List.copyOf(operands);
    results = List.copyOf(results);
    defaults = Map.copyOf(defaults);
  }

  public static OpSpec of(String name, List<String> operands, List<String> results) {
    return new OpSpec(name, operands, results, 0, Map.of());
  }

  public OpSpec withDefaults(Map<String, Object> d) {
    return new OpSpec(name, operands, results, regions, d);
  }

  public OpSpec withRegions(int n) {
    return new OpSpec(name, operands, results, n, defaults);
  }

  /** Fewest operands a node of this op takes. */
  public int minOperands() {
    int n = operands.size();
    if (n > 0 && operands.getLast().endsWith("...")) {
      n--;
    }
    while (n > 0 && operands.get(n - 1).endsWith("?")) {
      n--;
    }
    return n;
  }

  /** Most operands a node of this op takes; {@link Integer#MAX_VALUE} when variadic. */
  public int maxOperands() {
    if (!operands.isEmpty() && operands.getLast().endsWith("...")) {
      return Integer.MAX_VALUE;
    }
    return operands.size();
  }

  /** True when the number of results depends on the node (a variadic result list). */
  public boolean variadicResults() {
    return !results.isEmpty() && results.getLast().endsWith("...");
  }
}

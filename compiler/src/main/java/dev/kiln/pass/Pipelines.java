package dev.kiln.pass;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The optimization levels {@code -O0} .. {@code -O3}, defined here and nowhere else. The pipeline
 * is one ordered list of steps; a step runs at its level and every level above it, so adding a pass
 * to a level is one line in {@link #STEPS}.
 *
 * <ul>
 *   <li>{@code -O0}: nothing; the graph runs as imported.
 *   <li>{@code -O1}: cleanups that keep every op: canonicalization, constant folding, CSE, DCE.
 *   <li>{@code -O2} (the default): {@code -O1} plus the fusions that change which ops exist.
 *   <li>{@code -O3}: {@code -O2} plus transformations that may trade compile time or portability
 *       for speed.
 * </ul>
 */
public final class Pipelines {

  /** The level the CLI uses when none is given. */
  public static final int DEFAULT_LEVEL = 2;

  /** The highest level. */
  public static final int MAX_LEVEL = 3;

  /** One pipeline step: {@code pass} runs at {@code level} and above. */
  private record Step(int level, String pass) {}

  private static final List<Step> STEPS = List.of(
    new Step(1, "canonicalize"),
    new Step(2, "fuse-qdq"),
    new Step(1, "constant-fold"),
    new Step(2, "fold-conv-bn"),
    new Step(2, "fuse-activation"),
    new Step(3, "convert-layout"),
    new Step(1, "cse"),
    new Step(2, "canonicalize"),
    new Step(1, "dce")
  );

  private Pipelines() {}

  /** The pass names of {@code level}, in order. */
  public static List<String> passes(int level) {
    checkLevel(level);
    return STEPS.stream()
      .filter(s -> s.level() <= level)
      .map(Step::pass)
      .toList();
  }

  /**
   * The pass names of {@code level} without those in {@code disabled}, as a comma-separated
   * pipeline for {@link PassManager#parse}. A disabled name that is no registered pass is an error.
   */
  public static String pipeline(int level, Collection<String> disabled) {
    return String.join(",", without(passes(level), disabled));
  }

  /** {@code passes} without every occurrence of the names in {@code disabled}. */
  public static List<String> without(List<String> passes, Collection<String> disabled) {
    List<String> unknown = new ArrayList<>();
    for (String d : disabled) {
      if (PassRegistry.create(d).isEmpty()) {
        unknown.add(d);
      }
    }
    if (!unknown.isEmpty()) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "--disable-pass names unknown pass" +
        (unknown.size() > 1 ? "es " : " ") +
        String.join(", ", unknown) +
        " (known: " +
        String.join(", ", PassRegistry.names()) +
        ")"
      );
    }
    return passes
      .stream()
      .filter(p -> !disabled.contains(p))
      .toList();
  }

  /** A pass manager for {@code level} without the {@code disabled} passes. */
  public static PassManager manager(
    int level,
    Collection<String> disabled,
    PassManager.Options options
  ) {
    return PassManager.parse(pipeline(level, disabled), options);
  }

  private static void checkLevel(int level) {
    if (level < 0 || level > MAX_LEVEL) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "optimization level " + level + " is not one of 0.." + MAX_LEVEL
      );
    }
  }
}

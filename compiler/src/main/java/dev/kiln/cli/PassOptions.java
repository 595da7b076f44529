package dev.kiln.cli;

import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.ir.text.PrintOptions;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * The pipeline options every command that runs passes shares ({@code opt}, {@code run}, {@code
 * inspect}, {@code conformance}), as a picocli mixin: the optimization level, passes left out, and
 * the pass manager's instrumentation. Dumps and reports go to stderr.
 */
final class PassOptions {

  /** How models print in IR dumps: constants over 64 elements without their data. */
  static final PrintOptions MODEL_DUMPS = PrintOptions.DEFAULT.withElideOver(64);

  @Option(
    names = "-O",
    paramLabel = "LEVEL",
    description = "Optimization level: -O0 (none) .. -O3; default -O" +
    Pipelines.DEFAULT_LEVEL +
    " (opt: none unless given)."
  )
  private Integer level;

  @Option(
    names = "--disable-pass",
    paramLabel = "NAME",
    split = ",",
    description = "Leave every run of pass NAME out of the pipeline (repeatable)."
  )
  private List<String> disabled = new ArrayList<>();

  @Option(
    names = "--print-ir-after",
    split = ",",
    paramLabel = "PASS",
    description = "Print the IR to stderr after these passes."
  )
  private Set<String> printIrAfter = new LinkedHashSet<>();

  @Option(names = "--print-ir-after-all", description = "Print the IR to stderr after every pass.")
  private boolean printIrAfterAll;

  @Option(
    names = "--verify-each",
    negatable = true,
    defaultValue = "true",
    fallbackValue = "true",
    description = "Verify the IR after every pass (default: on)."
  )
  private boolean verifyEach;

  @Option(names = "--time-passes", description = "Report the time each pass took, on stderr.")
  private boolean timePasses;

  @Option(
    names = "--rewrite-stats",
    description = "Report, on stderr, which rewrites applied and why others did not."
  )
  private boolean rewriteStats;

  /** The level given with {@code -O}, else {@code fallback}. */
  int level(int fallback) {
    return level == null ? fallback : level;
  }

  /** The instrumentation switches; IR dumps print with {@code print}. */
  PassManager.Options options(PrintOptions print) {
    return new PassManager.Options(
      verifyEach,
      printIrAfterAll,
      Set.copyOf(printIrAfter),
      timePasses,
      rewriteStats,
      print
    );
  }

  /** The names of the pipeline's passes: the {@code -O} level's, or {@code fallback}'s. */
  List<String> passes(int fallback) {
    return Pipelines.without(Pipelines.passes(level(fallback)), disabled);
  }

  /**
   * The pass manager for an explicit comma-separated pipeline ({@code kiln opt --passes}), which
   * excludes {@code -O}, or, when {@code explicit} is null, for the {@code -O} level (default
   * {@code fallback}); either without the disabled passes.
   */
  PassManager manager(String explicit, int fallback, PrintOptions print) {
    List<String> names;
    if (explicit != null) {
      if (level != null) {
        throw DiagnosticException.error(Location.UNKNOWN, "--passes and -O exclude each other");
      }
      names = Pipelines.without(
        Arrays.stream(explicit.split(","))
          .map(String::strip)
          .filter(s -> !s.isEmpty())
          .toList(),
        disabled
      );
    } else {
      names = passes(fallback);
    }
    return PassManager.parse(String.join(",", names), options(print));
  }
}

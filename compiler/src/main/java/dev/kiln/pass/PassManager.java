package dev.kiln.pass;

import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.ir.Module;
import dev.kiln.ir.Rewriter;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.PrintOptions;
import dev.kiln.ir.text.Printer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs a pipeline of passes given as text ({@code "dce,cse"}), with the instrumentation the CLI
 * exposes: IR dumps after chosen passes or all, verification after each pass, per-pass timing and
 * rewrite statistics. Dumps and reports go to {@code log}.
 */
public final class PassManager {

  /** Instrumentation switches. */
  public record Options(
    boolean verifyEach,
    boolean printIrAfterAll,
    Set<String> printIrAfter,
    boolean timePasses,
    boolean rewriteStats,
    PrintOptions printOptions
  ) {
    public static Options defaults() {
      return new Options(false, false, Set.of(), false, false, PrintOptions.DEFAULT);
    }
  }

  private final List<Pass> passes;
  private final Options options;

  private PassManager(List<Pass> passes, Options options) {
    this.passes = List.copyOf(passes);
    this.options = options;
  }

  /**
   * Builds a pipeline from comma-separated pass names; an empty string is the empty pipeline.
   * Unknown names are a {@link DiagnosticException} listing the known ones.
   */
  public static PassManager parse(String pipeline, Options options) {
    List<Pass> passes = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    for (String raw : pipeline.split(",")) {
      String name = raw.strip();
      if (name.isEmpty()) {
        continue;
      }
      PassRegistry.create(name).ifPresentOrElse(passes::add, () -> unknown.add(name));
    }
    if (!unknown.isEmpty()) {
      throw DiagnosticException.error(
        Location.UNKNOWN,
        "unknown pass" +
        (unknown.size() > 1 ? "es " : " ") +
        String.join(", ", unknown) +
        " (known: " +
        String.join(", ", PassRegistry.names()) +
        ")"
      );
    }
    for (String name : options.printIrAfter()) {
      if (PassRegistry.create(name).isEmpty()) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "--print-ir-after names unknown pass " + name
        );
      }
    }
    return new PassManager(passes, options);
  }

  public List<Pass> passes() {
    return passes;
  }

  /** Runs every pass in order on {@code module}. */
  public void run(Module module, PrintStream log) {
    Rewriter rewriter = new Rewriter();
    PassContext ctx = new PassContext(rewriter);
    List<Long> times = new ArrayList<>();
    long total = 0;
    for (Pass p : passes) {
      long start = System.nanoTime();
      try {
        p.run(module, ctx);
      } catch (RuntimeException e) {
        if (e instanceof DiagnosticException) {
          throw e;
        }
        throw new IllegalStateException("while running pass " + p.name(), e);
      }
      long took = System.nanoTime() - start;
      total += took;
      times.add(took);
      if (options.verifyEach()) {
        List<Diagnostic> errors = Verifier.verify(module);
        if (!errors.isEmpty()) {
          throw new IllegalStateException(
            "pass " + p.name() + " left invalid IR: " + errors.getFirst().message()
          );
        }
      }
      if (options.printIrAfterAll() || options.printIrAfter().contains(p.name())) {
        log.print("// -----// IR Dump After " + p.name() + " //----- //\n");
        log.print(Printer.print(module, options.printOptions()));
      }
    }
    if (options.timePasses()) {
      log.print(
        "===-------------------------------------------------------------------------===\n"
      );
      log.print("                          Pass execution timing report\n");
      log.print(
        "===-------------------------------------------------------------------------===\n"
      );
      for (int i = 0; i < passes.size(); i++) {
        double ms = times.get(i) / 1e6;
        double pct = total == 0 ? 0 : (100.0 * times.get(i)) / total;
        log.print(
          String.format(Locale.ROOT, "  %10.3f ms (%5.1f%%)  %s%n", ms, pct, passes.get(i).name())
        );
      }
      log.print(String.format(Locale.ROOT, "  %10.3f ms (100.0%%)  total%n", total / 1e6));
    }
    if (options.rewriteStats()) {
      log.print("rewrite statistics:\n");
      for (Map.Entry<String, Integer> e : rewriter.appliedCounts().entrySet()) {
        log.print(String.format(Locale.ROOT, "  %6d applied  %s%n", e.getValue(), e.getKey()));
      }
      for (Map.Entry<String, Integer> e : rewriter.failureCounts().entrySet()) {
        log.print(String.format(Locale.ROOT, "  %6d not applied  %s%n", e.getValue(), e.getKey()));
      }
    }
  }
}

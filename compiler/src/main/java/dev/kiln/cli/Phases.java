package dev.kiln.cli;

import dev.kiln.backend.PhaseTimer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The phases of one {@code kiln compile} and their wall times, the backend's included (it gets this
 * as its {@link PhaseTimer}). With {@code live} (stderr is a terminal and no {@code --quiet}) each
 * phase is announced as it starts and its time printed when it ends; {@link #table} prints every
 * phase's time (a phase run twice, once per line, summed) and the total ({@code --time-phases}).
 * Phases do not nest.
 */
final class Phases implements PhaseTimer {

  private static final class Phase {

    final String name;
    long nanos;

    Phase(String name) {
      this.name = name;
    }
  }

  private final PrintStream err;
  private final boolean live;
  private final List<Phase> done = new ArrayList<>();

  Phases(PrintStream err, boolean live) {
    this.err = err;
    this.live = live;
  }

  /** Whether {@code System.console()} is an interactive terminal. */
  static boolean terminal() {
    java.io.Console c = System.console();
    return c != null && c.isTerminal();
  }

  @Override
  public <T> T time(String name, Supplier<T> body) {
    if (live) {
      err.printf("kiln compile: %s ...", name);
      err.flush();
    }
    long start = System.nanoTime();
    T result = body.get();
    long nanos = System.nanoTime() - start;
    Phase p = done
      .stream()
      .filter(d -> d.name.equals(name))
      .findFirst()
      .orElse(null);
    if (p == null) {
      p = new Phase(name);
      done.add(p);
    }
    p.nanos += nanos;
    if (live) {
      err.printf(" %s%n", seconds(nanos));
    }
    return result;
  }

  /** Every phase's time, one per line, then the total. */
  void table() {
    int width = "total".length();
    for (Phase p : done) {
      width = Math.max(width, p.name.length());
    }
    long total = 0;
    for (Phase p : done) {
      err.printf("  %-" + width + "s %10s%n", p.name, seconds(p.nanos));
      total += p.nanos;
    }
    err.printf("  %-" + width + "s %10s%n", "total", seconds(total));
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.3f s", nanos / 1e9);
  }
}

package dev.kiln.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The phases of one {@code kiln compile} and their wall times. With {@code live} (stderr is a
 * terminal and no {@code --quiet}) each phase is announced as it starts and its time printed when
 * it ends; {@link #table} prints every phase's time and the total ({@code --time-phases}).
 */
final class Phases {

  private record Phase(String name, long nanos) {}

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

  /** Runs {@code body} as the phase {@code name}, timing it. */
  <T> T run(String name, Supplier<T> body) {
    if (live) {
      err.printf("kiln compile: %s ...", name);
      err.flush();
    }
    long start = System.nanoTime();
    T result = body.get();
    long nanos = System.nanoTime() - start;
    done.add(new Phase(name, nanos));
    if (live) {
      err.printf(" %s%n", seconds(nanos));
    }
    return result;
  }

  /** Every phase's time, one per line, then the total. */
  void table() {
    int width = "total".length();
    for (Phase p : done) {
      width = Math.max(width, p.name().length());
    }
    long total = 0;
    for (Phase p : done) {
      err.printf("  %-" + width + "s %10s%n", p.name(), seconds(p.nanos()));
      total += p.nanos();
    }
    err.printf("  %-" + width + "s %10s%n", "total", seconds(total));
  }

  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.3f s", nanos / 1e9);
  }
}

package dev.kiln.cli;

import dev.kiln.analysis.MemoryNeeds;
import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.ir.Node;
import dev.kiln.ir.op.Constant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The resource limits of {@code compile} and {@code inspect}, as a picocli mixin: the workspace a
 * compiled model may ask its caller for ({@code --max-workspace}) and the bytes of constants it may
 * carry in its object ({@code --max-weights}); 2 GiB each by default, 0 for no limit. A model over
 * a limit is bad input (exit 2) named by its largest buffer or constant, so that a build system
 * never gets a header asking for 32 GiB without a word.
 */
final class LimitOptions {

  /** The default of both limits: 2 GiB. */
  static final long DEFAULT_LIMIT = 1L << 31;

  /** Above this, {@code inspect} warns about a workspace or weights even within the limits. */
  static final long WARN_ABOVE = 256L << 20;

  @Option(
    names = "--max-workspace",
    paramLabel = "BYTES",
    converter = ByteCount.class,
    defaultValue = "2GiB",
    description = "Refuse models needing a larger workspace (default 2GiB; K/M/G suffixes; 0: no limit)."
  )
  long maxWorkspace = DEFAULT_LIMIT;

  @Option(
    names = "--max-weights",
    paramLabel = "BYTES",
    converter = ByteCount.class,
    defaultValue = "2GiB",
    description = "Refuse models whose constants take more bytes (default 2GiB; K/M/G suffixes; 0: no limit)."
  )
  long maxWeights = DEFAULT_LIMIT;

  /**
   * Throws when {@code workspaceBytes} (what the compiled code asks its caller for, which may
   * differ a little from the graph's plan) is over {@code --max-workspace}; {@code workspace}
   * names the largest buffer.
   */
  void checkWorkspace(MemoryNeeds workspace, long workspaceBytes) {
    if (maxWorkspace > 0 && workspaceBytes > maxWorkspace) {
      throw new DiagnosticException(
        describe(Diagnostic.Severity.ERROR, "workspace", workspace, workspaceBytes, maxWorkspace)
      );
    }
  }

  /** Throws when the constants of {@code weights} are over {@code --max-weights}. */
  void checkWeights(MemoryNeeds weights) {
    if (maxWeights > 0 && weights.bytes() > maxWeights) {
      throw new DiagnosticException(
        describe(Diagnostic.Severity.ERROR, "weights", weights, weights.bytes(), maxWeights)
      );
    }
  }

  /** Warnings for a workspace or weights over {@link #WARN_ABOVE}. */
  static List<Diagnostic> warnings(MemoryNeeds workspace, MemoryNeeds weights) {
    List<Diagnostic> out = new ArrayList<>();
    if (workspace != null && workspace.bytes() > WARN_ABOVE) {
      out.add(
        describe(Diagnostic.Severity.WARNING, "workspace", workspace, workspace.bytes(), WARN_ABOVE)
      );
    }
    if (weights.bytes() > WARN_ABOVE) {
      out.add(
        describe(Diagnostic.Severity.WARNING, "weights", weights, weights.bytes(), WARN_ABOVE)
      );
    }
    return out;
  }

  private static Diagnostic describe(
    Diagnostic.Severity severity,
    String kind,
    MemoryNeeds needs,
    long bytes,
    long limit
  ) {
    boolean error = severity == Diagnostic.Severity.ERROR;
    Node n = needs.largest();
    String total = String.format(
      Locale.ROOT,
      "the %s need%s %d bytes (%s), %s %d (%s)",
      kind.equals("workspace") ? "workspace" : "constants",
      kind.equals("workspace") ? "s" : "",
      bytes,
      human(bytes),
      error ? "more than --max-" + kind : "over",
      limit,
      human(limit) + (error ? "; 0: no limit" : "")
    );
    if (n == null) {
      return new Diagnostic(severity, Location.UNKNOWN, total, List.of());
    }
    String largest = n.op() instanceof Constant
      ? "this constant " + n.results().getFirst().type() + " is the largest"
      : n.regions().isEmpty()
        ? "this node's result " + n.results().getFirst().type() + " is its largest buffer"
        : "the scratch of this node's regions is its largest buffer";
    return new Diagnostic(
      severity,
      n.location(),
      n.op().name() + ": " + total + "; " + largest + " (" + needs.largestBytes() + " bytes)",
      List.of()
    );
  }

  /** {@code bytes} in the largest binary unit that leaves at least 1, one decimal. */
  static String human(long bytes) {
    String[] units = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    int u = 0;
    double v = bytes;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0
      ? bytes + " bytes"
      : String.format(Locale.ROOT, v == Math.rint(v) ? "%.0f %s" : "%.1f %s", v, units[u]);
  }

  /** A byte count: digits with an optional binary suffix K, M, G, T (also KiB, MiB, ...). */
  static final class ByteCount implements CommandLine.ITypeConverter<Long> {

    @Override
    public Long convert(String text) {
      String s = text.trim();
      String digits = s.replaceFirst("(?i)([KMGT])(iB)?$", "");
      int shift = switch (
        s.substring(digits.length()).isEmpty()
          ? ' '
          : Character.toUpperCase(s.charAt(digits.length()))
      ) {
        case 'K' -> 10;
        case 'M' -> 20;
        case 'G' -> 30;
        case 'T' -> 40;
        default -> 0;
      };
      if (!digits.matches("[0-9]{1,19}")) {
        throw new CommandLine.TypeConversionException(
          "'" + text + "' is not a byte count (digits, optional K, M, G or T suffix)"
        );
      }
      try {
        long n = Long.parseLong(digits);
        if (n > Long.MAX_VALUE >> shift) {
          throw new NumberFormatException();
        }
        return n << shift;
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + text + "' is too large a byte count");
      }
    }
  }
}

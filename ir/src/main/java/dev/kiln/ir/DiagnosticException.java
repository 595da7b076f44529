package dev.kiln.ir;

import java.util.List;

/**
 * Thrown when user input is wrong (a malformed file, an ill-typed op): carries the diagnostics to
 * show. The CLI prints them and exits with status 2; it is never a bug.
 */
public class DiagnosticException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient List<Diagnostic> diagnostics;

  public DiagnosticException(List<Diagnostic> diagnostics) {
    super(diagnostics.isEmpty() ? "error" : diagnostics.getFirst().message(), null, false, false);
    this.diagnostics = List.copyOf(diagnostics);
  }

  public DiagnosticException(Diagnostic diagnostic) {
    this(List.of(diagnostic));
  }

  public static DiagnosticException error(Location location, String message) {
    return new DiagnosticException(Diagnostic.error(location, message));
  }

  public List<Diagnostic> diagnostics() {
    return diagnostics;
  }
}

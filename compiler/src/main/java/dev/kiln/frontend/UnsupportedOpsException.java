package dev.kiln.frontend;

import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import java.util.List;

/**
 * The model uses operators Kiln has no converter for. Carries one diagnostic per node, all at once;
 * the CLI exits with status 3.
 */
public final class UnsupportedOpsException extends DiagnosticException {

  private static final long serialVersionUID = 1L;

  public UnsupportedOpsException(List<Diagnostic> diagnostics) {
    super(diagnostics);
  }

  /** One unsupported construct, described by {@code message}. */
  public static UnsupportedOpsException of(String message) {
    return new UnsupportedOpsException(List.of(Diagnostic.error(Location.UNKNOWN, message)));
  }
}

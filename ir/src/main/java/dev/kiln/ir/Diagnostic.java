package dev.kiln.ir;

import java.util.List;

/**
 * A problem reported to the user: severity, where, the rule broken with the actual numbers, and
 * notes pointing at related places. Rendered by {@link DiagnosticRenderer} as {@code
 * file:line:col: error: message}.
 */
public record Diagnostic(Severity severity, Location location, String message, List<Note> notes) {
  public Diagnostic {
    notes = List.copyOf(notes);
  }

  /** How bad a diagnostic is. */
  public enum Severity {
    ERROR,
    WARNING,
    NOTE,
    REMARK;

    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A secondary message attached to a diagnostic. */
  public record Note(Location location, String message) {}

  public static Diagnostic error(Location location, String message) {
    return new Diagnostic(Severity.ERROR, location, message, List.of());
  }

  public static Diagnostic warning(Location location, String message) {
    return new Diagnostic(Severity.WARNING, location, message, List.of());
  }

  public Diagnostic withNote(Location location, String message) {
    var n = new java.util.ArrayList<>(notes);
    n.add(new Note(location, message));
    return new Diagnostic(severity, this.location, this.message, n);
  }
}

package dev.kiln.cli;

import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.Location;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks produced diagnostics against {@code expected-error} comments in the input, as MLIR's
 * {@code -verify-diagnostics} does. A comment {@code // expected-error {{text}}} expects an error
 * on its own line whose message contains {@code text}; {@code @+N}, {@code @-N}, {@code @above}
 * and {@code @below} move the expected line. Severities {@code warning}, {@code note} and {@code
 * remark} work the same way.
 */
final class DiagnosticVerifier {

  private static final Pattern EXPECTED = Pattern.compile(
    "expected-(error|warning|note|remark)\\s*(?:@(above|below|[+-]\\d+))?\\s*\\{\\{(.*?)\\}\\}"
  );

  private record Expected(String severity, int line, String text, int commentLine) {}

  private final String file;
  private final List<Expected> expected = new ArrayList<>();

  DiagnosticVerifier(String file, String source) {
    this.file = file;
    String[] lines = source.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      Matcher m = EXPECTED.matcher(lines[i]);
      while (m.find()) {
        int line = i + 1;
        String where = m.group(2);
        if (where != null) {
          line += switch (where) {
            case "above" -> -1;
            case "below" -> 1;
            default -> Integer.parseInt(where);
          };
        }
        expected.add(new Expected(m.group(1), line, m.group(3), i + 1));
      }
    }
  }

  /** Returns the mismatches, one message per line; empty when produced and expected agree. */
  List<String> check(List<Diagnostic> produced) {
    List<Expected> open = new ArrayList<>(expected);
    List<String> problems = new ArrayList<>();
    for (Diagnostic d : produced) {
      match(open, d.severity().toString(), d.location(), d.message(), problems);
      for (Diagnostic.Note n : d.notes()) {
        match(open, "note", n.location(), n.message(), problems);
      }
    }
    for (Expected e : open) {
      problems.add(
        file +
        ":" +
        e.commentLine() +
        ": error: expected " +
        e.severity() +
        " on line " +
        e.line() +
        " \"" +
        e.text() +
        "\" was not produced"
      );
    }
    return problems;
  }

  private void match(
    List<Expected> open,
    String severity,
    Location loc,
    String message,
    List<String> problems
  ) {
    Location.FileLine pos = loc.filePosition();
    int line = pos == null ? -1 : pos.line();
    for (int i = 0; i < open.size(); i++) {
      Expected e = open.get(i);
      if (e.severity().equals(severity) && e.line() == line && message.contains(e.text())) {
        open.remove(i);
        return;
      }
    }
    problems.add(
      (pos == null ? file : file + ":" + line + ":" + pos.column()) +
      ": error: unexpected " +
      severity +
      ": " +
      message
    );
  }
}

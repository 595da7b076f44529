package dev.kiln.ir;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders diagnostics as {@code file:line:col: error: message}, followed, when the source text of
 * the file is known, by the offending line and a caret under the column. An error without a file
 * position renders as one line {@code file: message} (with {@code node "name": } when the location
 * names a source node), the form model-level errors take: {@code model.onnx: node "conv1" (Conv):
 * input channels (3) must equal weight in-channels (2) * group (1)}. Control characters in
 * messages are escaped, so each diagnostic takes one line (plus the quoted source and caret).
 */
public final class DiagnosticRenderer {

  private final Map<String, List<String>> sources = new HashMap<>();
  private final String defaultFile;

  /** @param defaultFile the name used when a location carries no file (the input's name) */
  public DiagnosticRenderer(String defaultFile) {
    this.defaultFile = defaultFile;
  }

  /** Registers the text of {@code file} so that rendered diagnostics quote its lines. */
  public DiagnosticRenderer withSource(String file, String text) {
    sources.put(file, text.lines().toList());
    return this;
  }

  public String render(List<Diagnostic> diagnostics) {
    StringBuilder b = new StringBuilder();
    for (Diagnostic d : diagnostics) {
      b.append(render(d));
    }
    return b.toString();
  }

  public String render(Diagnostic d) {
    StringBuilder b = new StringBuilder();
    line(b, d.location(), d.severity().toString(), d.message());
    for (Diagnostic.Note n : d.notes()) {
      line(b, n.location(), "note", n.message());
    }
    return b.toString();
  }

  /**
   * {@code message} with line breaks and other control characters escaped ({@code \n}, {@code
   * \x01}), so that a name taken from a hostile file cannot split or forge diagnostic lines.
   */
  static String oneLine(String message) {
    StringBuilder b = new StringBuilder(message.length());
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      if (c == '\n') {
        b.append("\\n");
      } else if (c == '\r') {
        b.append("\\r");
      } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private void line(StringBuilder b, Location loc, String severity, String message) {
    Location.FileLine pos = loc.filePosition();
    List<String> names = loc.names();
    if (pos != null) {
      b.append(pos.file()).append(':').append(pos.line()).append(':').append(pos.column());
    } else {
      b.append(defaultFile);
    }
    b.append(": ");
    if (pos != null || !severity.equals("error")) {
      b.append(severity).append(": ");
    }
    if (pos == null && !names.isEmpty()) {
      b.append("node ").append(Printing.quote(names.getFirst())).append(": ");
    }
    b.append(oneLine(message)).append('\n');
    if (pos != null) {
      List<String> text = sources.get(pos.file());
      if (text != null && pos.line() >= 1 && pos.line() <= text.size()) {
        String src = text.get(pos.line() - 1);
        b.append(src).append('\n');
        StringBuilder caret = new StringBuilder();
        for (int i = 0; i < pos.column() - 1 && i < src.length(); i++) {
          caret.append(src.charAt(i) == '\t' ? '\t' : ' ');
        }
        b.append(caret).append("^\n");
      }
    }
  }
}

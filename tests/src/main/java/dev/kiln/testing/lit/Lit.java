package dev.kiln.testing.lit;

import dev.kiln.cli.Main;
import dev.kiln.testing.filecheck.FileCheck;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A lit-style runner for golden files. A file holds {@code // RUN:} lines (a trailing {@code \}
 * continues a line) and is split into chunks at {@code // -----} lines; each chunk runs every RUN
 * line on its own, with {@code %s} standing for a copy of the file in which the other chunks are
 * blanked out (so line numbers stay those of the original). Commands run in-process: {@code kiln}
 * (the CLI), {@code filecheck} (the {@link FileCheck} matcher, {@code --check-prefix},
 * {@code --check-prefixes}), and {@code not} to expect failure; {@code |} pipes stdout, {@code
 * 2>&1} merges stderr. A pipeline passes when every command exits 0, like lit with pipefail.
 */
public final class Lit {

  /** One chunk: its 1-based index, first line, and the text with other chunks blanked. */
  public record Chunk(int index, int firstLine, String text) {}

  /** The outcome of running a chunk: ok, or a report of what failed and why. */
  public record Outcome(boolean ok, String report) {}

  private record Result(int status, byte[] out, String err) {}

  private Lit() {}

  /** The chunks of {@code fileText}, split at lines that are exactly {@code // -----}. */
  public static List<Chunk> chunks(String fileText) {
    String[] lines = fileText.split("\n", -1);
    List<int[]> ranges = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].strip().equals("// -----")) {
        ranges.add(new int[] { start, i });
        start = i + 1;
      }
    }
    ranges.add(new int[] { start, lines.length });
    List<Chunk> out = new ArrayList<>();
    for (int c = 0; c < ranges.size(); c++) {
      int[] r = ranges.get(c);
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < lines.length; i++) {
        boolean inside = i >= r[0] && i < r[1];
        boolean run = lines[i].contains("RUN:");
        b.append(inside || run ? lines[i] : "");
        if (i < lines.length - 1) {
          b.append('\n');
        }
      }
      out.add(new Chunk(c + 1, r[0] + 1, b.toString()));
    }
    return out;
  }

  /** The RUN commands of a file, continuation lines joined. */
  public static List<String> runLines(String fileText) {
    List<String> out = new ArrayList<>();
    StringBuilder pending = null;
    for (String line : fileText.split("\n")) {
      int at = line.indexOf("RUN:");
      if (at < 0) {
        continue;
      }
      String cmd = line.substring(at + 4).strip();
      boolean cont = cmd.endsWith("\\");
      if (cont) {
        cmd = cmd.substring(0, cmd.length() - 1).strip();
      }
      pending = pending == null ? new StringBuilder(cmd) : pending.append(' ').append(cmd);
      if (!cont) {
        out.add(pending.toString());
        pending = null;
      }
    }
    if (pending != null) {
      out.add(pending.toString());
    }
    return out;
  }

  /** Runs every RUN line of the file at {@code source} on {@code chunk}, in {@code workDir}. */
  public static Outcome run(Path source, Chunk chunk, Path workDir) {
    List<String> commands = runLines(chunk.text());
    if (commands.isEmpty()) {
      return new Outcome(false, source + ": no RUN: line");
    }
    Path copy = workDir.resolve(source.getFileName());
    try {
      Files.createDirectories(workDir);
      Files.writeString(copy, chunk.text());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StringBuilder report = new StringBuilder();
    boolean ok = true;
    for (String command : commands) {
      String expanded = command
        .replace("%s", copy.toString())
        .replace("%S", source.toAbsolutePath().getParent().toString())
        .replace("%t", workDir.resolve("tmp").toString());
      String failure = pipeline(expanded);
      if (failure != null) {
        ok = false;
        report.append("RUN: ").append(command).append('\n').append(failure).append('\n');
      }
    }
    return new Outcome(ok, report.toString());
  }

  private static String pipeline(String line) {
    byte[] stdin = new byte[0];
    StringBuilder log = new StringBuilder();
    for (String stage : splitPipes(line)) {
      List<String> args = Words.split(stage);
      boolean negate = false;
      while (!args.isEmpty() && args.getFirst().equals("not")) {
        negate = !negate;
        args.removeFirst();
      }
      boolean merge = args.remove("2>&1");
      if (args.isEmpty()) {
        return "empty command in: " + line;
      }
      Result r = command(args, stdin);
      boolean passed = negate ? r.status() != 0 : r.status() == 0;
      if (!passed) {
        log
          .append("command ")
          .append(String.join(" ", args))
          .append(" exited ")
          .append(r.status())
          .append(negate ? " (expected failure)" : "")
          .append('\n');
        if (!r.err().isEmpty()) {
          log.append("stderr:\n").append(r.err());
        }
        return log.toString();
      }
      if (merge) {
        byte[] err = r.err().getBytes(StandardCharsets.UTF_8);
        byte[] both = new byte[r.out().length + err.length];
        System.arraycopy(r.out(), 0, both, 0, r.out().length);
        System.arraycopy(err, 0, both, r.out().length, err.length);
        stdin = both;
      } else {
        stdin = r.out();
      }
    }
    return null;
  }

  private static List<String> splitPipes(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    char quote = 0;
    for (char c : line.toCharArray()) {
      if (quote != 0) {
        quote = c == quote ? 0 : quote;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '|') {
        out.add(cur.toString());
        cur.setLength(0);
        continue;
      }
      cur.append(c);
    }
    out.add(cur.toString());
    return out;
  }

  private static Result command(List<String> args, byte[] stdin) {
    String tool = args.getFirst();
    List<String> rest = args.subList(1, args.size());
    return switch (tool) {
      case "kiln" -> kiln(rest, stdin);
      case "filecheck" -> filecheck(rest, stdin);
      default -> new Result(127, new byte[0], "unknown command " + tool + "\n");
    };
  }

  private static Result kiln(List<String> args, byte[] stdin) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    try (
      PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
      PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)
    ) {
      status = Main.run(args.toArray(String[]::new), new ByteArrayInputStream(stdin), o, e);
    }
    return new Result(status, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
  }

  private static Result filecheck(List<String> args, byte[] stdin) {
    List<String> prefixes = new ArrayList<>();
    String checkFile = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--check-prefix") && i + 1 < args.size()) {
        prefixes.add(args.get(++i));
      } else if (a.startsWith("--check-prefix=")) {
        prefixes.add(a.substring("--check-prefix=".length()));
      } else if (a.startsWith("--check-prefixes=")) {
        prefixes.addAll(List.of(a.substring("--check-prefixes=".length()).split(",")));
      } else if (a.startsWith("-")) {
        return new Result(2, new byte[0], "filecheck: unknown option " + a + "\n");
      } else {
        checkFile = a;
      }
    }
    if (checkFile == null) {
      return new Result(2, new byte[0], "filecheck: no check file\n");
    }
    String checks;
    try {
      checks = Files.readString(Path.of(checkFile));
    } catch (IOException e) {
      return new Result(2, new byte[0], "filecheck: cannot read " + checkFile + "\n");
    }
    String name = Path.of(checkFile).getFileName().toString();
    FileCheck.Options opts = prefixes.isEmpty()
      ? FileCheck.Options.defaults(name)
      : new FileCheck.Options(prefixes, name);
    FileCheck.Result r = FileCheck.check(checks, new String(stdin, StandardCharsets.UTF_8), opts);
    return new Result(r.ok() ? 0 : 1, new byte[0], r.ok() ? "" : r.report());
  }
}

package dev.kiln.testing;

import dev.kiln.cli.Main;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the kiln CLI in process and captures what it prints. */
public final class Cli {

  private Cli() {}

  /** Exit status and the text written to stdout and stderr. */
  public record Result(int status, String out, String err) {}

  public static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(
      args,
      new ByteArrayInputStream(new byte[0]),
      new PrintStream(out, true, StandardCharsets.UTF_8),
      new PrintStream(err, true, StandardCharsets.UTF_8)
    );
    return new Result(
      status,
      out.toString(StandardCharsets.UTF_8),
      err.toString(StandardCharsets.UTF_8)
    );
  }
}

package dev.kiln.cli;

import dev.kiln.frontend.UnsupportedOpsException;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.DiagnosticRenderer;
import dev.kiln.lower.UnsupportedLowering;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code kiln} command line. Exit codes: 0 success, 1 internal error (a bug, with a stack
 * trace), 2 bad usage or bad input (one clear message per problem), 3 unsupported operators.
 */
@Command(
  name = "kiln",
  mixinStandardHelpOptions = true,
  versionProvider = Version.class,
  description = "Kiln: an ahead-of-time compiler for neural-network models.",
  subcommands = {
    CompileCommand.class,
    DemoCommand.class,
    OptCommand.class,
    RunCommand.class,
    InspectCommand.class,
    ConformanceCommand.class,
    BenchCommand.class,
    CommandLine.HelpCommand.class,
  }
)
public final class Main implements Runnable {

  /** Exit status of a successful run. */
  public static final int OK = 0;

  /** Exit status of an internal error. */
  public static final int INTERNAL_ERROR = 1;

  /** Exit status for bad usage or bad input. */
  public static final int BAD_INPUT = 2;

  /** Exit status when the model uses operators Kiln does not support. */
  public static final int UNSUPPORTED = 3;

  final InputStream in;
  final PrintStream out;
  final PrintStream err;

  Main(InputStream in, PrintStream out, PrintStream err) {
    this.in = in;
    this.out = out;
    this.err = err;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(out);
  }

  public static void main(String[] args) {
    int status = run(args, System.in, System.out, System.err);
    System.out.flush();
    System.exit(status);
  }

  private static String fileArgument(CommandLine.ParseResult result) {
    CommandLine.ParseResult sub = result;
    while (sub.hasSubcommand()) {
      sub = sub.subcommand();
    }
    List<CommandLine.Model.PositionalParamSpec> positional = sub.matchedPositionals();
    if (positional.isEmpty()) {
      return "kiln";
    }
    Object value = positional.getFirst().getValue();
    return String.valueOf(value);
  }

  /** The exception's message on one line; its class too when that is not what Kiln throws. */
  private static String oneLine(Exception e) {
    String message = e instanceof IllegalStateException && e.getMessage() != null
      ? e.getMessage()
      : e.toString();
    return message.strip().replaceAll("\\s*\n\\s*", "; ");
  }

  /** Writes the stack trace to a temporary file and says where, or nothing when it cannot. */
  private static String savedStackTrace(Exception e) {
    try {
      Path file = Files.createTempFile("kiln-internal-error-", ".txt");
      try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
        e.printStackTrace(w);
      }
      return " (stack trace in " + file + ")";
    } catch (IOException | SecurityException io) {
      return "";
    }
  }

  /** Runs {@code kiln args} in-process with the given streams and returns the exit status. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    Main main = new Main(in, out, err);
    CommandLine cmd = new CommandLine(main);
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    cmd.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    cmd.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof DiagnosticException d) {
        err.print(new DiagnosticRenderer(fileArgument(parseResult)).render(d.diagnostics()));
        return d instanceof UnsupportedOpsException ? UNSUPPORTED : BAD_INPUT;
      }
      if (e instanceof UnsupportedLowering u) {
        err.println(fileArgument(parseResult) + ": error: " + u.getMessage());
        return UNSUPPORTED;
      }
      err.println(
        fileArgument(parseResult) +
        ": internal error: " +
        oneLine(e) +
        "; please report" +
        savedStackTrace(e)
      );
      return INTERNAL_ERROR;
    });
    int status = cmd.execute(args);
    out.flush();
    err.flush();
    return status;
  }
}

package dev.kiln.cli;

import dev.kiln.ir.Diagnostic;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.DiagnosticRenderer;
import dev.kiln.ir.Func;
import dev.kiln.ir.Location;
import dev.kiln.ir.Module;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopParser;
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.ir.text.PrintOptions;
import dev.kiln.ir.text.Printer;
import dev.kiln.lower.Lowering;
import dev.kiln.pass.PassManager;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kiln opt FILE.kir --passes a,b} (or {@code -O2}): parses Graph IR text, runs passes,
 * prints the result. Without {@code --passes} or {@code -O} it runs nothing, which makes it the
 * round-trip tool the golden tests use. {@code --lower} prints the Loop IR of each function
 * instead. A {@code .loop} file (or input whose first text is {@code loop.func}) is Loop IR: it is
 * parsed and printed back, the round trip of the {@code .loop} golden tests; passes and {@code
 * --lower} do not apply to it.
 */
@Command(
  name = "opt",
  mixinStandardHelpOptions = true,
  description = "Run Graph IR passes on a .kir file and print the result; print a .loop file back."
)
final class OptCommand implements Callable<Integer> {

  @ParentCommand
  private Main main;

  @Parameters(
    index = "0",
    paramLabel = "FILE",
    description = "Input Graph IR (.kir) or Loop IR (.loop) text ('-' for stdin)."
  )
  private String input;

  @Option(
    names = "--passes",
    paramLabel = "a,b",
    description = "Comma-separated pass pipeline (instead of -O)."
  )
  private String passes;

  @Mixin
  private PassOptions passOptions;

  @Option(
    names = "--elide-constants-over",
    paramLabel = "N",
    description = "Print constants with more than N elements without their data."
  )
  private long elideOver = -1;

  @Option(names = "--print-debuginfo", description = "Print node locations.")
  private boolean debugInfo;

  @Option(
    names = "--verify-diagnostics",
    description = "Check diagnostics against expected-error comments in the input."
  )
  private boolean verifyDiagnostics;

  @Option(
    names = "--lower",
    description = "Print the Loop IR of each function (as native code computes it, with " +
    "micro-kernel calls) instead of the Graph IR."
  )
  private boolean lower;

  @Option(
    names = "--target",
    paramLabel = "TRIPLE",
    description = "With --lower: the target whose kernels are chosen (default: the host)."
  )
  private String target;

  @Option(
    names = "--cpu",
    paramLabel = "NAME",
    description = "With --lower: the CPU (default: the target's baseline)."
  )
  private String cpu;

  @Option(names = "-o", paramLabel = "FILE", description = "Write the result to FILE.")
  private Path output;

  @Override
  public Integer call() {
    String name = input.equals("-") ? "<stdin>" : input;
    String text = "";
    PrintOptions print = PrintOptions.DEFAULT.withDebugInfo(debugInfo).withElideOver(elideOver);
    Module module;
    try {
      text = InputFiles.readText(input, main.in);
      PassManager pm = passOptions.manager(passes, 0, print);
      if (isLoopIr(name, text)) {
        if (lower || !pm.passes().isEmpty()) {
          throw DiagnosticException.error(
            Location.UNKNOWN,
            "--lower, --passes and -O apply to Graph IR, not to Loop IR"
          );
        }
        StringBuilder loops = new StringBuilder();
        for (LoopFunc f : LoopParser.parseAll(text, name)) {
          loops.append(LoopPrinter.print(f));
        }
        return verifyDiagnostics ? failed(name, text, List.of()) : write(loops.toString());
      }
      module = ModuleParser.parse(text, name);
      Verifier.check(module);
      pm.run(module, main.err);
    } catch (DiagnosticException e) {
      return failed(name, text, e.diagnostics());
    }
    if (verifyDiagnostics) {
      return failed(name, text, List.of());
    }
    String result;
    if (lower) {
      StringBuilder loops = new StringBuilder();
      dev.kiln.ir.loop.TargetInfo info = dev.kiln.emit.Backends.forTarget(target, cpu).target();
      for (Func f : module.funcs()) {
        loops.append(Lowering.lower(f, f.name(), List.of(), List.of(), info));
      }
      result = loops.toString();
    } else {
      result = Printer.print(module, print);
    }
    return write(result);
  }

  private int write(String result) {
    if (output != null) {
      OutputFiles.write(output, result);
    } else {
      main.out.print(result);
    }
    return Main.OK;
  }

  /** A {@code .loop} file, or text whose first token after comments is {@code loop.func}. */
  private static boolean isLoopIr(String name, String text) {
    if (name.endsWith(".loop")) {
      return true;
    }
    for (String line : text.split("\n", -1)) {
      String s = line.strip();
      if (!s.isEmpty() && !s.startsWith("//")) {
        return s.startsWith("loop.func");
      }
    }
    return false;
  }

  private int failed(String name, String text, List<Diagnostic> diagnostics) {
    if (verifyDiagnostics) {
      List<String> problems = new DiagnosticVerifier(name, text).check(diagnostics);
      problems.forEach(main.err::println);
      return problems.isEmpty() ? Main.OK : Main.INTERNAL_ERROR;
    }
    main.err.print(new DiagnosticRenderer(name).withSource(name, text).render(diagnostics));
    return Main.BAD_INPUT;
  }
}

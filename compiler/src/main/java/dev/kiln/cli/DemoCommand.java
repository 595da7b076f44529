package dev.kiln.cli;

import dev.kiln.backend.CHeader;
import dev.kiln.backend.llvm.Targets;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.TempDir;
import dev.kiln.emit.Toolchain;
import dev.kiln.frontend.ImportOptions;
import dev.kiln.frontend.ImportedModel;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.Location;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.lower.Lowering;
import dev.kiln.pass.PassManager;
import dev.kiln.pass.Pipelines;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code kiln demo}: compiles the embedded example ({@code examples/digits.onnx}, a digit
 * classifier) for the host at {@code -O2}, links it with {@code examples/main.c} using the system
 * C compiler, runs it, and prints what it prints: a prediction per digit and the time per
 * inference. Everything happens in a temporary directory that is removed afterwards.
 */
@Command(
  name = "demo",
  mixinStandardHelpOptions = true,
  description = "Compile, link and run the embedded example model (a digit classifier)."
)
final class DemoCommand implements Callable<Integer> {

  private static final String NAME = "digits";

  @ParentCommand
  private Main main;

  @Override
  public Integer call() {
    Targets.Resolved host = NativeCompiler.resolve(null, null);
    Toolchain cc = Toolchain.forTarget(host);
    try (TempDir tmp = TempDir.create("kiln-demo")) {
      Path dir = tmp.path();
      Path model = dir.resolve(NAME + ".onnx");
      Files.write(model, resource(NAME + ".onnx"));
      Files.write(dir.resolve("main.c"), resource("main.c"));
      ImportedModel m = Frontends.importFile(model, ImportOptions.defaults(), List.of());
      Pipelines.manager(Pipelines.DEFAULT_LEVEL, List.of(), PassManager.Options.defaults()).run(
        m.module(),
        main.err
      );
      LoopFunc f = Lowering.lower(
        m.module().funcs().getFirst(),
        NAME,
        m.inputNames(),
        m.outputNames(),
        Targets.info(host)
      );
      byte[] object = NativeCompiler.object(f, host);
      Files.write(dir.resolve(NAME + ".o"), object);
      Files.writeString(dir.resolve(NAME + ".h"), CHeader.of(f, NAME, "examples/digits.onnx"));
      main.out.println(
        "kiln: compiled examples/digits.onnx for " +
        host.target().name() +
        " (" +
        host.cpuName() +
        "): " +
        NAME +
        ".o " +
        object.length +
        " bytes, " +
        NAME +
        ".h, workspace " +
        f.workspaceBytes() +
        " bytes"
      );
      Path exe = dir.resolve("demo");
      cc.link(List.of(dir.resolve("main.c"), dir.resolve(NAME + ".o")), dir, exe, true);
      main.out.println("kiln: linked with examples/main.c; running it:");
      main.out.flush();
      Toolchain.Result r = cc.run(exe, List.of(), dir, 300);
      main.out.print(r.output());
      if (r.exit() != 0) {
        throw DiagnosticException.error(
          Location.UNKNOWN,
          "the demo program exited with status " + r.exit()
        );
      }
      return Main.OK;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = DemoCommand.class.getResourceAsStream("/dev/kiln/demo/" + name)) {
      if (in == null) {
        throw new IllegalStateException("the demo resource " + name + " is missing from the build");
      }
      return in.readAllBytes();
    }
  }
}

package dev.kiln.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.cli.Main;
import dev.kiln.io.Npy;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.DiagnosticRenderer;
import dev.kiln.ir.Module;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopParser;
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.ir.text.Printer;
import dev.kiln.testing.Cli;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Jazzer fuzz targets for everything Kiln reads from files it did not write: ONNX models, TensorFlow
 * GraphDefs, {@code .kir} and Loop IR text, {@code .npy} tensors, and small models compiled down to
 * an object. The only acceptable outcomes are success and a diagnostic (exit 2, or 3 for
 * unsupported operators); an internal error (exit 1), an exception or error escaping the CLI or the
 * parser, or a message over several lines is a finding. What parses must print and parse back to
 * the same text.
 *
 * <p>In {@code mvn verify} each target runs once per file of its seed corpus ({@code
 * src/test/resources/dev/kiln/fuzz/KilnFuzzTestInputs/METHOD/}: node-test models, shared models,
 * bad-input cases and every past finding). {@code tests/fuzz/run DURATION} fuzzes each target for
 * that long ({@code JAZZER_FUZZ=1}).
 */
class KilnFuzzTest {

  private static Path dir;

  @BeforeAll
  static void createDir() throws IOException {
    dir = Files.createTempDirectory("kiln-fuzz");
  }

  @AfterAll
  static void deleteDir() throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** {@code kiln inspect} of the bytes as an ONNX model: import, -O2, memory plan, limits. */
  @FuzzTest(maxDuration = "10m")
  void onnx_import(byte[] data) {
    cli(data, "model.onnx", "inspect", "{}");
  }

  /** {@code kiln inspect} of the bytes as a TensorFlow GraphDef (binary or text). */
  @FuzzTest(maxDuration = "10m")
  void tf_import(byte[] data) {
    cli(data, "graph.pb", "inspect", "{}");
  }

  /**
   * The {@code .kir} parser and verifier: a module that parses and verifies prints, and its text
   * parses back to the same text; otherwise a diagnostic.
   */
  @FuzzTest(maxDuration = "10m")
  void kir_parse(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    String printed;
    try {
      Module m = ModuleParser.parse(text, "module.kir");
      Verifier.check(m);
      printed = Printer.print(m);
    } catch (DiagnosticException e) {
      eachOneLine(e, "module.kir", text);
      return;
    }
    assertEquals(printed, Printer.print(ModuleParser.parse(printed, "printed.kir")));
  }

  /**
   * The Loop IR parser: functions that parse print, and their text parses back to the same text;
   * otherwise a diagnostic.
   */
  @FuzzTest(maxDuration = "10m")
  void loop_parse(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    List<LoopFunc> funcs;
    try {
      funcs = LoopParser.parseAll(text, "func.loop");
    } catch (DiagnosticException e) {
      eachOneLine(e, "func.loop", text);
      return;
    }
    for (LoopFunc f : funcs) {
      String printed = LoopPrinter.print(f);
      assertEquals(printed, LoopPrinter.print(LoopParser.parse(printed, "printed.loop")));
    }
  }

  /** The {@code .npy} reader: a tensor, which encodes back to the same tensor, or a diagnostic. */
  @FuzzTest(maxDuration = "10m")
  void npy_read(byte[] data) {
    Tensor t;
    try {
      t = Npy.decode(data, "x.npy");
    } catch (DiagnosticException e) {
      oneLine(e.getMessage());
      return;
    }
    assertEquals(t, Npy.decode(Npy.encode(t), "again.npy"));
  }

  /** {@code kiln compile} of the bytes as an ONNX model: import, -O2, lower, LLVM object. */
  @FuzzTest(maxDuration = "10m")
  void compile_pipeline(byte[] data) {
    cli(data, "model.onnx", "compile", "{}", "-o", dir.resolve("out").toString());
  }

  /** Runs the CLI with {@code {}} in {@code args} replaced by a file holding {@code data}. */
  private static void cli(byte[] data, String fileName, String... args) {
    Path file = dir.resolve(fileName);
    try {
      Files.write(file, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command = new ArrayList<>();
    for (String a : args) {
      command.add(a.equals("{}") ? file.toString() : a);
    }
    Cli.Result r = Cli.run(command.toArray(String[]::new));
    if (r.status() == Main.OK) {
      return;
    }
    if (r.status() != Main.BAD_INPUT && r.status() != Main.UNSUPPORTED) {
      throw new AssertionError("exit " + r.status() + ": " + r.err());
    }
    if (r.status() == Main.BAD_INPUT) {
      oneLine(r.err());
    }
  }

  /** Every diagnostic of {@code e} about {@code file} (holding {@code text}) passes {@link #oneLine}. */
  private static void eachOneLine(DiagnosticException e, String file, String text) {
    DiagnosticRenderer r = new DiagnosticRenderer(file).withSource(file, text);
    e.diagnostics().forEach(d -> oneLine(r.render(d)));
  }

  /**
   * A diagnostic is one line, or three when it points into text: the message, the source line and
   * a caret.
   */
  private static void oneLine(String message) {
    List<String> lines = message.lines().toList();
    boolean caret = lines.size() == 3 && lines.get(2).strip().equals("^");
    if (lines.size() != 1 && !caret) {
      throw new AssertionError("diagnostic of " + lines.size() + " lines: " + message);
    }
  }
}

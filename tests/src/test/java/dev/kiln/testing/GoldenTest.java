package dev.kiln.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Module;
import dev.kiln.ir.loop.LoopFunc;
import dev.kiln.ir.loop.LoopParser;
import dev.kiln.ir.loop.LoopPrinter;
import dev.kiln.ir.text.ModuleParser;
import dev.kiln.ir.text.Printer;
import dev.kiln.testing.lit.Lit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every golden {@code .kir} (Graph IR) and {@code .loop} (Loop IR) file under {@code
 * tests/golden}: one dynamic test per {@code // -----} chunk executes the file's RUN lines; chunks
 * without {@code expected-error} also round-trip through print, parse and print unchanged.
 */
class GoldenTest {

  static final Path ROOT = Path.of("golden");

  @TempDir
  Path work;

  @TestFactory
  Stream<DynamicNode> golden() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(ROOT)) {
      files = s
        .filter(p -> p.toString().endsWith(".kir") || p.toString().endsWith(".loop"))
        .sorted()
        .toList();
    }
    assertFalse(files.isEmpty(), "no golden files under " + ROOT.toAbsolutePath());
    return files.stream().map(this::file);
  }

  private DynamicNode file(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    String name = ROOT.relativize(file).toString();
    List<Lit.Chunk> chunks = Lit.chunks(text);
    return DynamicContainer.dynamicContainer(
      name,
      chunks
        .stream()
        .map(c ->
          DynamicTest.dynamicTest("chunk " + c.index() + " (line " + c.firstLine() + ")", () ->
            chunk(file, name, c)
          )
        )
    );
  }

  private static String printLoops(List<LoopFunc> funcs) {
    StringBuilder b = new StringBuilder();
    funcs.forEach(f -> b.append(LoopPrinter.print(f)));
    return b.toString();
  }

  private void chunk(Path file, String name, Lit.Chunk c) {
    Lit.Outcome o = Lit.run(file, c, work.resolve(name + "." + c.index()));
    assertTrue(o.ok(), () -> file + " chunk " + c.index() + ":\n" + o.report());
    if (c.text().contains("expected-error")) {
      return;
    }
    if (name.endsWith(".loop")) {
      String once = printLoops(LoopParser.parseAll(c.text(), name));
      assertEquals(once, printLoops(LoopParser.parseAll(once, name)), "round trip of " + name);
    } else {
      Module m = ModuleParser.parse(c.text(), name);
      String once = Printer.print(m);
      assertEquals(once, Printer.print(ModuleParser.parse(once, name)), "round trip of " + name);
    }
  }
}

package dev.kiln.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Module;
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
 * Runs every golden {@code .kir} file under {@code tests/golden}: one dynamic test per {@code //
 * -----} chunk executes the file's RUN lines; chunks that parse also round-trip through print,
 * parse and print unchanged.
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
        .filter(p -> p.toString().endsWith(".kir"))
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

  private void chunk(Path file, String name, Lit.Chunk c) {
    Lit.Outcome o = Lit.run(file, c, work.resolve(name + "." + c.index()));
    assertTrue(o.ok(), () -> file + " chunk " + c.index() + ":\n" + o.report());
    if (!c.text().contains("expected-error")) {
      Module m = ModuleParser.parse(c.text(), name);
      String once = Printer.print(m);
      assertEquals(once, Printer.print(ModuleParser.parse(once, name)), "round trip of " + name);
    }
  }
}

package dev.kiln.nativecode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.backend.llvm.Targets;
import dev.kiln.emit.NativeCompiler;
import dev.kiln.emit.Toolchain;
import dev.kiln.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code kiln compile --emit test}: the self-test of {@code examples/digits.onnx} builds with the
 * strict warnings, passes on the host and on AArch64 under qemu (skipped with a message without the
 * cross tools), and fails, naming the element, once a reference value in it is changed.
 */
class SelfTestEmitTest {

  static final Path DIGITS = Path.of("../examples/digits.onnx");

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = { "x86_64-linux-gnu", "aarch64-linux-gnu" })
  void digits_self_test_passes_and_catches_a_wrong_reference(String triple, @TempDir Path dir)
    throws Exception {
    Targets.Resolved target = NativeCompiler.resolve(triple, null);
    assumeTrue(Toolchain.available(target), "skipped: no toolchain to link and run " + triple);
    Cli.Result r = Cli.run(
      "compile",
      DIGITS.toString(),
      "--target",
      triple,
      "--emit",
      "obj,test",
      "-o",
      dir.toString()
    );
    assertEquals(0, r.status(), r.err());
    Toolchain tc = Toolchain.forTarget(target);
    Path source = dir.resolve("digits_test.c");
    Path exe = dir.resolve("digits_test");
    tc.link(List.of(source, dir.resolve("digits.o")), dir, exe, false);
    Toolchain.Result ok = tc.run(exe, List.of(), dir, 120);
    assertEquals(0, ok.exit(), ok.output());
    assertEquals("1 passed, 0 failed", ok.output().strip());

    String text = Files.readString(source);
    int at = text.indexOf("want_0[10] = {\n  ") + "want_0[10] = {\n  ".length();
    int end = text.indexOf(',', at);
    Files.writeString(source, text.substring(0, at) + "0x1.0p3f" + text.substring(end));
    tc.link(List.of(source, dir.resolve("digits.o")), dir, exe, false);
    Toolchain.Result bad = tc.run(exe, List.of(), dir, 120);
    assertEquals(1, bad.exit(), bad.output());
    assertTrue(bad.output().contains("probabilities[0]: got "), bad.output());
    assertTrue(bad.output().strip().endsWith("0 passed, 1 failed"), bad.output());
  }
}

package dev.kiln.badinput;

import static dev.kiln.testing.OnnxModels.floats;
import static dev.kiln.testing.OnnxModels.input;
import static dev.kiln.testing.OnnxModels.longs;
import static dev.kiln.testing.OnnxModels.model;
import static dev.kiln.testing.OnnxModels.node;
import static dev.kiln.testing.OnnxModels.output;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.Main;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --max-workspace} and {@code --max-weights}: a model over a limit is refused by {@code
 * compile} and {@code inspect} with one line naming its largest buffer or constant (exit 2), and
 * nothing is written; {@code inspect} warns above 256 MiB.
 */
class ResourceLimitsTest {

  @TempDir
  Path dir;

  /** x[1,4] tiled 2^31 times along the last axis (32 GiB of f32), then summed: y[1,1]. */
  Path tile32GiB() throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 1, 4))
      .addInitializer(longs("repeats", new long[] { 2 }, 1, 1L << 31))
      .addInitializer(longs("axes", new long[] { 1 }, 1))
      .addNode(node("Tile", "tile", List.of("x", "repeats"), List.of("t")))
      .addNode(node("ReduceSum", "sum", List.of("t", "axes"), List.of("y")))
      .addOutput(output("y"));
    return write(g);
  }

  /** y = x + w with a constant w of {@code n} floats 1, 2, ... */
  Path weights(int n) throws IOException {
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = i + 1;
    }
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", n))
      .addInitializer(floats("w", new long[] { n }, w))
      .addNode(node("Add", "add", List.of("x", "w"), List.of("y")))
      .addOutput(output("y"));
    return write(g);
  }

  Path write(GraphProto.Builder g) throws IOException {
    Path file = dir.resolve("model.onnx");
    Files.write(file, model(g).toByteArray());
    return file;
  }

  static void assertOneLine(Cli.Result r, int status, String... parts) {
    assertEquals(status, r.status(), r.err());
    assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    assertFalse(r.err().contains("Exception"), r.err());
    for (String p : parts) {
      assertTrue(r.err().contains(p), "expected '" + p + "' in: " + r.err());
    }
  }

  @Test
  void tile_of_32_gib_fails_to_compile() throws IOException {
    Path model = tile32GiB();
    Path out = dir.resolve("out");
    Cli.Result r = Cli.run("compile", model.toString(), "-o", out.toString());
    assertOneLine(
      r,
      Main.BAD_INPUT,
      model + ": node \"tile\": nn.tile: the workspace needs ",
      "more than --max-workspace 2147483648 (2 GiB; 0: no limit)",
      "this node's result tensor<1x8589934592xf32> is its largest buffer (34359738368 bytes)"
    );
    assertFalse(Files.exists(out.resolve("model.h")), "nothing written");
  }

  @Test
  void tile_of_32_gib_fails_to_inspect() throws IOException {
    Path model = tile32GiB();
    Cli.Result r = Cli.run("inspect", model.toString());
    assertOneLine(
      r,
      Main.BAD_INPUT,
      "node \"tile\": nn.tile: the workspace needs 34359738368 bytes (32 GiB)",
      "this node's result tensor<1x8589934592xf32>"
    );
  }

  @Test
  void no_limit_inspects_with_a_warning() throws IOException {
    Path model = tile32GiB();
    Cli.Result r = Cli.run("inspect", model.toString(), "--max-workspace", "0");
    assertOneLine(
      r,
      Main.OK,
      model + ": warning: node \"tile\": nn.tile: the workspace needs 34359738368 bytes (32 GiB)",
      "over 268435456 (256 MiB)"
    );
    assertTrue(r.out().contains("arena: 34359738368 bytes"), r.out());
  }

  @Test
  void weights_over_the_limit_fail_to_compile_and_inspect() throws IOException {
    Path model = weights(4096);
    for (String cmd : List.of("compile", "inspect")) {
      Cli.Result r = cmd.equals("compile")
        ? Cli.run(cmd, model.toString(), "-o", dir.toString(), "--max-weights", "8K")
        : Cli.run(cmd, model.toString(), "--max-weights", "8K");
      assertOneLine(
        r,
        Main.BAD_INPUT,
        "nn.constant: the constants need 16384 bytes (16 KiB), more than --max-weights 8192 (8 KiB",
        "this constant tensor<4096xf32> is the largest (16384 bytes)"
      );
    }
    assertEquals(0, Cli.run("inspect", model.toString(), "--max-weights", "16K").status());
  }

  @Test
  void workspace_within_the_limit_compiles() throws IOException {
    Path model = weights(16);
    Cli.Result r = Cli.run(
      "compile",
      model.toString(),
      "-o",
      dir.toString(),
      "--emit",
      "header",
      "--max-workspace",
      "1M"
    );
    assertEquals(0, r.status(), r.err());
  }

  @Test
  void byte_count_must_be_a_number() throws IOException {
    Cli.Result r = Cli.run("inspect", weights(4).toString(), "--max-workspace", "lots");
    assertEquals(Main.BAD_INPUT, r.status(), r.err());
    assertTrue(r.err().contains("'lots' is not a byte count"), r.err());
  }
}

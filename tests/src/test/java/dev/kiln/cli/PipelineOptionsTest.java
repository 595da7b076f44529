package dev.kiln.cli;

import static dev.kiln.testing.OnnxModels.floats;
import static dev.kiln.testing.OnnxModels.input;
import static dev.kiln.testing.OnnxModels.longs;
import static dev.kiln.testing.OnnxModels.model;
import static dev.kiln.testing.OnnxModels.node;
import static dev.kiln.testing.OnnxModels.output;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.io.Npy;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code -O}, {@code --disable-pass} and the pass dumps work the same in {@code inspect} and {@code run}. */
class PipelineOptionsTest {

  @TempDir
  Path dir;

  Path file;

  /** x[2,3] -> Reshape to [6] -> Reshape to [2,3] -> Mul by ones -> Relu: one real op. */
  @BeforeEach
  void writeModel() throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 2, 3))
      .addInitializer(longs("flat", new long[] { 1 }, 6))
      .addInitializer(longs("shape", new long[] { 2 }, 2, 3))
      .addInitializer(floats("ones", new long[] { 3 }, 1, 1, 1))
      .addNode(node("Reshape", "flatten", List.of("x", "flat"), List.of("f")))
      .addNode(node("Reshape", "reshape", List.of("f", "shape"), List.of("r")))
      .addNode(node("Mul", "mul", List.of("r", "ones"), List.of("m")))
      .addNode(node("Relu", "relu", List.of("m"), List.of("y")))
      .addOutput(output("y"));
    file = dir.resolve("noops.onnx");
    Files.write(file, model(g).toByteArray());
  }

  @Test
  void inspect_reports_the_graph_after_the_level() {
    Cli.Result o0 = Cli.run("inspect", file.toString(), "-O0", "--json");
    assertEquals(0, o0.status(), o0.err());
    assertTrue(o0.out().contains("\"ops\": 4"), o0.out());
    assertTrue(o0.out().contains("\"optLevel\": 0"), o0.out());

    Cli.Result o2 = Cli.run("inspect", file.toString(), "--json");
    assertEquals(0, o2.status(), o2.err());
    assertTrue(o2.out().contains("\"ops\": 1"), o2.out());
    assertTrue(o2.out().contains("\"optLevel\": 2"), o2.out());
    assertTrue(o2.out().contains("\"canonicalize\""), o2.out());

    Cli.Result kept = Cli.run(
      "inspect",
      file.toString(),
      "-O2",
      "--disable-pass",
      "canonicalize",
      "--json"
    );
    assertEquals(0, kept.status(), kept.err());
    assertTrue(kept.out().contains("\"ops\": 4"), kept.out());
  }

  @Test
  void inspect_prints_dumps_and_statistics_on_stderr() {
    Cli.Result r = Cli.run(
      "inspect",
      file.toString(),
      "--json",
      "--print-ir-after-all",
      "--rewrite-stats"
    );
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("{"), r.out());
    assertTrue(r.err().contains("IR Dump After canonicalize"), r.err());
    assertTrue(r.err().contains("1 applied  FoldMulByOne"), r.err());
  }

  @Test
  void run_gives_the_same_outputs_at_every_level() throws IOException {
    Tensor x = Tensor.ofDoubles(
      TensorType.of(dev.kiln.ir.ElementType.F32, 2, 3),
      -1,
      2,
      -3,
      4,
      0,
      6
    );
    Path in = dir.resolve("x.npy");
    Files.write(in, Npy.encode(x));
    byte[] first = null;
    for (String level : List.of("-O0", "-O1", "-O2", "-O3")) {
      Path out = dir.resolve("out" + level);
      Cli.Result r = Cli.run(
        "run",
        file.toString(),
        level,
        "--input",
        "x=" + in,
        "--output-dir",
        out.toString()
      );
      assertEquals(0, r.status(), r.err());
      byte[] got = Files.readAllBytes(out.resolve("output_0.npy"));
      if (first == null) {
        first = got;
      }
      assertArrayEquals(first, got, level);
    }
  }

  @Test
  void bad_level_and_unknown_disabled_pass_are_usage_errors() {
    Cli.Result level = Cli.run("inspect", file.toString(), "-O9");
    assertEquals(Main.BAD_INPUT, level.status());
    assertTrue(level.err().contains("optimization level 9 is not one of 0..3"), level.err());

    Cli.Result pass = Cli.run(
      "run",
      file.toString(),
      "--disable-pass",
      "frob",
      "--output-dir",
      "."
    );
    assertEquals(Main.BAD_INPUT, pass.status());
    assertTrue(pass.err().contains("--disable-pass names unknown pass frob"), pass.err());
  }
}

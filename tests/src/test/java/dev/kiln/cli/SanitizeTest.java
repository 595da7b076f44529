package dev.kiln.cli;

import static dev.kiln.testing.OnnxModels.floats;
import static dev.kiln.testing.OnnxModels.input;
import static dev.kiln.testing.OnnxModels.model;
import static dev.kiln.testing.OnnxModels.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln conformance --sanitize}: the test program (generated C and harness) is built with
 * {@code -fsanitize}; it applies only to backends that build programs.
 */
class SanitizeTest {

  @TempDir
  Path dir;

  /** One node test: y = Relu(x) on [-1, 2, -3, 4]. */
  Path reluTest() throws IOException {
    Path test = dir.resolve("tests/test_relu_sanitized");
    Path data = test.resolve("test_data_set_0");
    Files.createDirectories(data);
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 4))
      .addNode(node("Relu", "relu", List.of("x"), List.of("y")))
      .addOutput(input("y", 4));
    Files.write(test.resolve("model.onnx"), model(g).toByteArray());
    Files.write(
      data.resolve("input_0.pb"),
      floats("x", new long[] { 4 }, -1, 2, -3, 4).toByteArray()
    );
    Files.write(
      data.resolve("output_0.pb"),
      floats("y", new long[] { 4 }, 0, 2, 0, 4).toByteArray()
    );
    return test.getParent();
  }

  /** {@code kiln conformance} of the relu test with the C backend and {@code --sanitize KINDS}. */
  Cli.Result sanitizedC(String kinds) throws IOException {
    return Cli.run("conformance", reluTest().toString(), "--backend", "c", "--sanitize", kinds);
  }

  @Test
  void c_backend_passes_under_address_and_undefined_sanitizers() throws IOException {
    Cli.Result r = sanitizedC("address,undefined");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("1 passed, 0 failed"), r.out() + r.err());
  }

  @Test
  void sanitize_needs_a_backend_that_builds_programs() throws IOException {
    Cli.Result r = Cli.run("conformance", reluTest().toString(), "--sanitize", "address");
    assertEquals(Main.BAD_INPUT, r.status(), r.err());
    assertTrue(
      r.err().endsWith("--sanitize applies to --backend native and c, which build programs\n"),
      r.err()
    );
  }

  @Test
  void address_and_thread_exclude_each_other() throws IOException {
    Cli.Result r = sanitizedC("address,thread");
    assertEquals(Main.BAD_INPUT, r.status(), r.err());
    assertTrue(r.err().contains("--sanitize: address and thread cannot be combined"), r.err());
  }
}

package dev.kiln.cli;

import static dev.kiln.testing.OnnxModels.floats;
import static dev.kiln.testing.OnnxModels.input;
import static dev.kiln.testing.OnnxModels.model;
import static dev.kiln.testing.OnnxModels.node;
import static dev.kiln.testing.OnnxModels.output;
import static dev.kiln.testing.OnnxModels.withInts;
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

/** {@code kiln inspect} counts the FLOPs of a model small enough to count by hand. */
class InspectFlopsTest {

  @TempDir
  Path dir;

  /**
   * x[1,3,8,8] -> Conv(4 filters 3x3, pads 1) -> Relu -> Flatten -> Gemm(256 -> 10) -> Add(x2).
   *
   * <pre>
   * conv: 2 * (3 * 3 * 3) MACs per output * (1 * 4 * 8 * 8) outputs = 13,824
   * relu: one per element, 256
   * gemm: 2 * 256 (K) * (1 * 10) outputs                           =  5,120
   * add:  one per element, 10
   * total                                                           = 19,210
   * </pre>
   */
  @Test
  void conv_relu_gemm_add_flops_counted_by_hand() throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(input("x", 1, 3, 8, 8))
      .addInput(input("r", 1, 10))
      .addInitializer(floats("w", new long[] { 4, 3, 3, 3 }, new float[108]))
      .addInitializer(floats("b", new long[] { 256, 10 }, new float[2560]))
      .addInitializer(floats("c", new long[] { 10 }, new float[10]))
      .addNode(withInts(node("Conv", "conv", List.of("x", "w"), List.of("h")), "pads", 1, 1, 1, 1))
      .addNode(node("Relu", "relu", List.of("h"), List.of("a")))
      .addNode(node("Flatten", "flat", List.of("a"), List.of("f")))
      .addNode(node("Gemm", "fc", List.of("f", "b", "c"), List.of("z")))
      .addNode(node("Add", "res", List.of("z", "r"), List.of("y")))
      .addOutput(output("y"));
    Path file = dir.resolve("small.onnx");
    Files.write(file, model(g).toByteArray());

    Cli.Result text = Cli.run("inspect", file.toString());
    assertEquals(0, text.status(), text.err());
    assertTrue(
      text
        .out()
        .lines()
        .anyMatch(l -> l.equals("flops: 19210")),
      text.out()
    );

    Cli.Result json = Cli.run("inspect", file.toString(), "--json");
    assertEquals(0, json.status(), json.err());
    assertTrue(json.out().contains("\"flops\": 19210"), json.out());
  }
}

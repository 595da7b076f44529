package dev.kiln.cli;

import static dev.kiln.testing.OnnxModels.convReluGemmAdd;
import static dev.kiln.testing.OnnxModels.model;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    GraphProto.Builder g = convReluGemmAdd();
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

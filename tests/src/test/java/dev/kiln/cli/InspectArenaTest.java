package dev.kiln.cli;

import static dev.kiln.testing.OnnxModels.convReluGemmAdd;
import static dev.kiln.testing.OnnxModels.model;
import static dev.kiln.testing.OnnxModels.node;
import static dev.kiln.testing.OnnxModels.output;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.onnx.proto.OnnxProto;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ValueInfoProto;
import dev.kiln.testing.Cli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln inspect} reports the workspace arena of a model small enough to plan by hand. */
class InspectArenaTest {

  @TempDir
  Path dir;

  /**
   * x[1,3,8,8] -> Conv(4 filters 3x3, pads 1) -> Relu -> Flatten -> Gemm(256 -> 10) -> Add(r), as
   * imported ({@code -O0}: the relu stays a node of its own).
   *
   * <pre>
   * conv h: 1x4x8x8 f32 = 1024 bytes, live conv .. flatten
   * relu:   writes over h (same size, h dies there)
   * flat f: 1024 bytes, live flatten .. gemm
   * gemm z: 40 bytes (64 aligned), live gemm .. add; y is the caller's output
   * lower bound: h and f at the flatten = 2048 = arena
   * </pre>
   */
  @Test
  void conv_relu_gemm_arena_planned_by_hand() throws IOException {
    GraphProto.Builder g = convReluGemmAdd();
    Path file = dir.resolve("small.onnx");
    Files.write(file, model(g).toByteArray());

    Cli.Result text = Cli.run("inspect", file.toString(), "-O0");
    assertEquals(0, text.status(), text.err());
    assertTrue(
      text
        .out()
        .lines()
        .anyMatch(l -> l.equals("arena: 2048 bytes (lower bound 2048)")),
      text.out()
    );

    Cli.Result json = Cli.run("inspect", file.toString(), "-O0", "--json");
    assertEquals(0, json.status(), json.err());
    assertTrue(json.out().contains("\"arenaBytes\": 2048"), json.out());
    assertTrue(json.out().contains("\"arenaLowerBound\": 2048"), json.out());

    Cli.Result plan = Cli.run("inspect", file.toString(), "-O0", "--memory-plan");
    assertEquals(0, plan.status(), plan.err());
    assertTrue(plan.out().contains("in place"), plan.out());
    assertTrue(plan.out().contains("nn.conv %h <- nn.relu %a"), plan.out());
  }

  @Test
  void dynamic_model_says_why_there_is_no_arena() throws IOException {
    ValueInfoProto x = ValueInfoProto.newBuilder()
      .setName("x")
      .setType(
        OnnxProto.TypeProto.newBuilder().setTensorType(
          OnnxProto.TypeProto.Tensor.newBuilder()
            .setElemType(OnnxProto.TensorProto.DataType.FLOAT_VALUE)
            .setShape(
              OnnxProto.TensorShapeProto.newBuilder()
                .addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(8))
            )
        )
      )
      .build();
    GraphProto.Builder g = GraphProto.newBuilder()
      .addInput(x)
      .addNode(node("Exp", "e", List.of("x"), List.of("a")))
      .addNode(node("Neg", "n", List.of("a"), List.of("y")))
      .addOutput(output("y"));
    Path file = dir.resolve("dynamic.onnx");
    Files.write(file, model(g).toByteArray());

    Cli.Result text = Cli.run("inspect", file.toString());
    assertEquals(0, text.status(), text.err());
    assertTrue(
      text
        .out()
        .lines()
        .anyMatch(
          l ->
            l.startsWith("arena: not planned: the memory plan needs static shapes: ") &&
            l.contains("\"e\"")
        ),
      text.out()
    );

    Cli.Result json = Cli.run("inspect", file.toString(), "--json");
    assertEquals(0, json.status(), json.err());
    assertTrue(json.out().contains("\"arenaBytes\": null"), json.out());
    assertTrue(json.out().contains("\"arenaUnplanned\": \"the memory plan needs"), json.out());

    Cli.Result bound = Cli.run("inspect", file.toString(), "--input", "x=2x8", "--json");
    assertEquals(0, bound.status(), bound.err());
    assertTrue(bound.out().contains("\"arenaBytes\": 64"), bound.out());
  }
}

package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.IndexingConvertersTest.importNode;
import static dev.kiln.onnx.ops.IndexingConvertersTest.info;
import static dev.kiln.onnx.ops.IndexingConvertersTest.node;
import static dev.kiln.onnx.ops.IndexingConvertersTest.opNames;
import static dev.kiln.onnx.ops.IndexingConvertersTest.stringAttr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.OnnxImporter;
import dev.kiln.onnx.proto.OnnxProto.AttributeProto;
import dev.kiln.onnx.proto.OnnxProto.GraphProto;
import dev.kiln.onnx.proto.OnnxProto.ModelProto;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import dev.kiln.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The resampling converters on small models (Resize with constant scales, its errors) and the
 * importer's ordering of nodes whose subgraphs read values produced later in the node list.
 */
class SamplingConvertersTest {

  private static final int FLOAT = 1;
  private static final int BOOL = 9;

  static TensorProto floats(String name, float... values) {
    TensorProto.Builder t = TensorProto.newBuilder()
      .setName(name)
      .setDataType(FLOAT)
      .addDims(values.length);
    for (float v : values) {
      t.addFloatData(v);
    }
    return t.build();
  }

  static Tensor x13() {
    return Tensor.ofDoubles(TensorType.of(ElementType.F32, 1, 1, 1, 2), 1, 3);
  }

  @Test
  void resizeWithConstantScalesBecomesResize() {
    Func f = importNode(
      19,
      node("Resize", List.of("x", "", "s"), stringAttr("mode", "linear")),
      List.of(floats("s", 1, 1, 1, 2)),
      List.of(info("x", FLOAT, 1, 1, 1, 2)),
      info("y", FLOAT, 1, 1, 1, 4)
    );
    assertEquals(List.of("nn.resize"), opNames(f));
    Tensor y = Interpreter.run(f, List.of(x13())).getFirst();
    assertEquals(Shape.of(1, 1, 1, 4), y.shape());
    assertArrayEquals(new double[] { 1, 1.5, 2.5, 3 }, y.toDoubles(), 1e-9);
  }

  @Test
  void resizeWithRuntimeScalesIsAnError() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      importNode(
        19,
        node("Resize", List.of("x", "", "s")),
        List.of(),
        List.of(info("x", FLOAT, 1, 1, 1, 2), info("s", FLOAT, 4)),
        info("y", FLOAT, 1, 1, 1, 4)
      )
    );
    assertEquals(
      "node \"n\" (Resize): input 'scales' must be a constant known at compile time",
      e.getMessage()
    );
  }

  @Test
  void resizeRejectsUnknownCoordinateMode() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      importNode(
        19,
        node(
          "Resize",
          List.of("x", "", "s"),
          stringAttr("coordinate_transformation_mode", "corner")
        ),
        List.of(floats("s", 1, 1, 1, 2)),
        List.of(info("x", FLOAT, 1, 1, 1, 2)),
        info("y", FLOAT, 1, 1, 1, 4)
      )
    );
    assertEquals(
      "node \"n\" (Resize): coordinate_transformation_mode 'corner' is not supported",
      e.getMessage()
    );
  }

  /** {@code If(true) { Identity(a) }} listed before the {@code Neg} that produces {@code a}. */
  @Test
  void subgraphReadsOfLaterNodesAreOrderedFirst() {
    GraphProto then = GraphProto.newBuilder()
      .setName("then")
      .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("a").addOutput("t"))
      .addOutput(info("t", FLOAT, 2))
      .build();
    GraphProto otherwise = GraphProto.newBuilder()
      .setName("else")
      .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("x").addOutput("e"))
      .addOutput(info("e", FLOAT, 2))
      .build();
    NodeProto ifNode = NodeProto.newBuilder()
      .setOpType("If")
      .setName("if")
      .addInput("c")
      .addOutput("y")
      .addAttribute(
        AttributeProto.newBuilder()
          .setName("then_branch")
          .setType(AttributeProto.AttributeType.GRAPH)
          .setG(then)
      )
      .addAttribute(
        AttributeProto.newBuilder()
          .setName("else_branch")
          .setType(AttributeProto.AttributeType.GRAPH)
          .setG(otherwise)
      )
      .build();
    NodeProto neg = NodeProto.newBuilder().setOpType("Neg").addInput("x").addOutput("a").build();
    TensorProto c = TensorProto.newBuilder().setName("c").setDataType(BOOL).addInt32Data(1).build();
    GraphProto g = GraphProto.newBuilder()
      .setName("g")
      .addNode(ifNode)
      .addNode(neg)
      .addInitializer(c)
      .addInput(info("x", FLOAT, 2))
      .addOutput(info("y", FLOAT, 2))
      .build();
    ModelProto m = ModelProto.newBuilder()
      .setIrVersion(8)
      .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(19))
      .setGraph(g)
      .build();
    Func f = OnnxImporter.importModel(m, Path.of("test.onnx"), ImportOptions.defaults())
      .module()
      .func("main")
      .orElseThrow();
    Tensor x = Tensor.ofDoubles(TensorType.of(ElementType.F32, 2), 1, -2);
    assertArrayEquals(
      new double[] { -1, 2 },
      Interpreter.run(f, List.of(x)).getFirst().toDoubles()
    );
  }
}

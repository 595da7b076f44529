package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.IndexingConvertersTest.info;
import static dev.kiln.onnx.ops.IndexingConvertersTest.intAttr;
import static dev.kiln.onnx.ops.IndexingConvertersTest.ints;
import static dev.kiln.onnx.ops.IndexingConvertersTest.opNames;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import dev.kiln.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Loop and Scan on small models: a loop with a constant trip count is unrolled, one with a runtime
 * trip count becomes nn.loop, Scan becomes nn.scan (one per batch entry in opset 8), and the values
 * the interpreter computes; Unique of a runtime tensor is reported as not supported.
 */
class LoopConvertersTest {

  private static final int FLOAT = 1;
  private static final int INT64 = 7;
  private static final int BOOL = 9;

  static NodeProto node(String op, List<String> in, List<String> out, AttributeProto... attrs) {
    return NodeProto.newBuilder()
      .setOpType(op)
      .addAllInput(in)
      .addAllOutput(out)
      .addAllAttribute(List.of(attrs))
      .build();
  }

  static AttributeProto graphAttr(String name, GraphProto g) {
    return AttributeProto.newBuilder()
      .setName(name)
      .setType(AttributeProto.AttributeType.GRAPH)
      .setG(g)
      .build();
  }

  static Func importGraph(
    int opset,
    List<NodeProto> nodes,
    List<TensorProto> inits,
    List<ValueInfoProto> in,
    List<ValueInfoProto> out
  ) {
    GraphProto g = GraphProto.newBuilder()
      .setName("g")
      .addAllNode(nodes)
      .addAllInitializer(inits)
      .addAllInput(in)
      .addAllOutput(out)
      .build();
    ModelProto m = ModelProto.newBuilder()
      .setIrVersion(8)
      .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
      .setGraph(g)
      .build();
    return OnnxImporter.importModel(m, Path.of("test.onnx"), ImportOptions.defaults())
      .module()
      .func("main")
      .orElseThrow();
  }

  /** Body {@code (i, cond, s) -> (cond, s + x, s + x)} with {@code x} from the outer graph. */
  static GraphProto accumulateBody() {
    return GraphProto.newBuilder()
      .setName("body")
      .addInput(info("i", INT64))
      .addInput(info("cond", BOOL))
      .addInput(info("s", FLOAT, 2))
      .addNode(node("Identity", List.of("cond"), List.of("cond_out")))
      .addNode(node("Add", List.of("s", "x"), List.of("s_out")))
      .addNode(node("Identity", List.of("s_out"), List.of("slice")))
      .addOutput(info("cond_out", BOOL))
      .addOutput(info("s_out", FLOAT, 2))
      .addOutput(info("slice", FLOAT, 2))
      .build();
  }

  static Tensor f32(long[] shape, double... v) {
    return Tensor.ofDoubles(new TensorType(ElementType.F32, Shape.of(shape)), v);
  }

  @Test
  void loopWithConstantTripCountIsUnrolled() {
    Func f = importGraph(
      13,
      List.of(
        node(
          "Loop",
          List.of("n", "", "s0"),
          List.of("s", "stacked"),
          graphAttr("body", accumulateBody())
        )
      ),
      List.of(ints("n", INT64, new long[] {}, 3)),
      List.of(info("x", FLOAT, 2), info("s0", FLOAT, 2)),
      List.of(info("s", FLOAT, 2), info("stacked", FLOAT, 3, 2))
    );
    assertTrue(!opNames(f).contains("nn.loop"), opNames(f).toString());
    List<Tensor> out = Interpreter.run(
      f,
      List.of(f32(new long[] { 2 }, 1, 10), f32(new long[] { 2 }, 0, 5))
    );
    assertArrayEquals(new double[] { 3, 35 }, out.get(0).toDoubles());
    assertEquals(Shape.of(3, 2), out.get(1).shape());
    assertArrayEquals(new double[] { 1, 15, 2, 25, 3, 35 }, out.get(1).toDoubles());
  }

  @Test
  void loopWithRuntimeTripCountBecomesNnLoop() {
    Func f = importGraph(
      13,
      List.of(
        node(
          "Loop",
          List.of("n", "", "s0"),
          List.of("s", "stacked"),
          graphAttr("body", accumulateBody())
        )
      ),
      List.of(),
      List.of(info("n", INT64), info("x", FLOAT, 2), info("s0", FLOAT, 2)),
      List.of(info("s", FLOAT, 2), info("stacked", FLOAT, 2, 2))
    );
    assertEquals(List.of("nn.loop"), opNames(f));
    List<Tensor> out = Interpreter.run(
      f,
      List.of(
        Tensor.ofLongs(TensorType.of(ElementType.I64), 2),
        f32(new long[] { 2 }, 1, 10),
        f32(new long[] { 2 }, 0, 5)
      )
    );
    assertArrayEquals(new double[] { 2, 25 }, out.get(0).toDoubles());
    assertArrayEquals(new double[] { 1, 15, 2, 25 }, out.get(1).toDoubles());
  }

  /** Body {@code (sum, next) -> (sum + next, sum + next)}. */
  static GraphProto sumBody() {
    return GraphProto.newBuilder()
      .setName("body")
      .addInput(info("sum", FLOAT, 2))
      .addInput(info("next", FLOAT, 2))
      .addNode(node("Add", List.of("sum", "next"), List.of("sum_out")))
      .addNode(node("Identity", List.of("sum_out"), List.of("scan_out")))
      .addOutput(info("sum_out", FLOAT, 2))
      .addOutput(info("scan_out", FLOAT, 2))
      .build();
  }

  @Test
  void scan8RunsOneScanPerBatchEntry() {
    Func f = importGraph(
      8,
      List.of(
        node(
          "Scan",
          List.of("", "init", "xs"),
          List.of("y", "z"),
          graphAttr("body", sumBody()),
          intAttr("num_scan_inputs", 1)
        )
      ),
      List.of(),
      List.of(info("init", FLOAT, 2, 2), info("xs", FLOAT, 2, 3, 2)),
      List.of(info("y", FLOAT, 2, 2), info("z", FLOAT, 2, 3, 2))
    );
    assertEquals(
      2,
      opNames(f)
        .stream()
        .filter(n -> n.equals("nn.scan"))
        .count()
    );
    List<Tensor> out = Interpreter.run(
      f,
      List.of(
        f32(new long[] { 2, 2 }, 0, 0, 100, 100),
        f32(new long[] { 2, 3, 2 }, 1, 2, 3, 4, 5, 6, 1, 1, 1, 1, 1, 1)
      )
    );
    assertArrayEquals(new double[] { 9, 12, 103, 103 }, out.get(0).toDoubles());
    assertArrayEquals(
      new double[] { 1, 2, 4, 6, 9, 12, 101, 101, 102, 102, 103, 103 },
      out.get(1).toDoubles()
    );
  }

  @Test
  void uniqueOfARuntimeTensorIsNotSupported() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      importGraph(
        11,
        List.of(node("Unique", List.of("x"), List.of("y"))),
        List.of(),
        List.of(info("x", FLOAT, 4)),
        List.of(info("y", FLOAT, 4))
      )
    );
    String message = e.diagnostics().getFirst().message();
    assertTrue(message.contains("is not supported"), message);
    assertTrue(message.contains("known at compile time"), message);
  }
}

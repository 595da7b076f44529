package dev.kiln.onnx.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.frontend.ImportOptions;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Node;
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
import dev.kiln.onnx.proto.OnnxProto.TensorShapeProto;
import dev.kiln.onnx.proto.OnnxProto.TypeProto;
import dev.kiln.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The indexing converters on one-node models: what they lower to (Compress to a gather of
 * constant indices, CenterCropPad to a slice and a pad, NonZero of a constant to a constant) and
 * the values the interpreter computes from the result, plus the errors for non-constant inputs.
 */
class IndexingConvertersTest {

  private static final int FLOAT = 1;
  private static final int INT64 = 7;
  private static final int BOOL = 9;

  static ValueInfoProto info(String name, int elemType, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder()
      .setName(name)
      .setType(
        TypeProto.newBuilder().setTensorType(
          TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)
        )
      )
      .build();
  }

  static TensorProto ints(String name, int dataType, long[] dims, long... values) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(dataType);
    Arrays.stream(dims).forEach(t::addDims);
    Arrays.stream(values).forEach(t::addInt64Data);
    return t.build();
  }

  static TensorProto bools(String name, long... values) {
    TensorProto.Builder t = TensorProto.newBuilder()
      .setName(name)
      .setDataType(BOOL)
      .addDims(values.length);
    Arrays.stream(values).forEach(v -> t.addInt32Data((int) v));
    return t.build();
  }

  static AttributeProto intAttr(String name, long v) {
    return AttributeProto.newBuilder()
      .setName(name)
      .setType(AttributeProto.AttributeType.INT)
      .setI(v)
      .build();
  }

  static AttributeProto stringAttr(String name, String v) {
    return AttributeProto.newBuilder()
      .setName(name)
      .setType(AttributeProto.AttributeType.STRING)
      .setS(com.google.protobuf.ByteString.copyFromUtf8(v))
      .build();
  }

  static Func importNode(
    int opset,
    NodeProto node,
    List<TensorProto> initializers,
    List<ValueInfoProto> inputs,
    ValueInfoProto output
  ) {
    GraphProto.Builder g = GraphProto.newBuilder()
      .setName("g")
      .addNode(node)
      .addAllInitializer(initializers)
      .addAllInput(inputs)
      .addOutput(output);
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

  static NodeProto node(String opType, List<String> inputs, AttributeProto... attrs) {
    return NodeProto.newBuilder()
      .setOpType(opType)
      .setName("n")
      .addAllInput(inputs)
      .addOutput("y")
      .addAllAttribute(List.of(attrs))
      .build();
  }

  /** The names of the computing ops of {@code f}: everything but constants and the return. */
  static List<String> opNames(Func f) {
    return f
      .entry()
      .nodes()
      .stream()
      .map(Node::op)
      .map(op -> op.name())
      .filter(n -> !n.equals("nn.constant") && !n.equals("return"))
      .toList();
  }

  static Tensor x2x3() {
    return Tensor.ofDoubles(TensorType.of(ElementType.F32, 2, 3), 1, 2, 3, 4, 5, 6);
  }

  @Test
  void compressWithAxisBecomesGatherOfConstantIndices() {
    Func f = importNode(
      11,
      node("Compress", List.of("x", "c"), intAttr("axis", 1)),
      List.of(bools("c", 1, 0, 1)),
      List.of(info("x", FLOAT, 2, 3)),
      info("y", FLOAT, 2, 2)
    );
    assertEquals(List.of("nn.gather"), opNames(f));
    Tensor y = Interpreter.run(f, List.of(x2x3())).getFirst();
    assertEquals(Shape.of(2, 2), y.shape());
    assertArrayEquals(new double[] { 1, 3, 4, 6 }, y.toDoubles());
  }

  @Test
  void compressWithoutAxisFlattensFirst() {
    Func f = importNode(
      11,
      node("Compress", List.of("x", "c")),
      List.of(bools("c", 0, 1, 0, 0, 1)),
      List.of(info("x", FLOAT, 2, 3)),
      info("y", FLOAT, 2)
    );
    assertArrayEquals(
      new double[] { 2, 5 },
      Interpreter.run(f, List.of(x2x3())).getFirst().toDoubles()
    );
  }

  @Test
  void centerCropPadCropsOneAxisAndPadsTheOther() {
    Func f = importNode(
      18,
      node("CenterCropPad", List.of("x", "s")),
      List.of(ints("s", INT64, new long[] { 2 }, 1, 6)),
      List.of(info("x", FLOAT, 2, 3)),
      info("y", FLOAT, 1, 6)
    );
    assertEquals(List.of("nn.slice", "nn.pad"), opNames(f));
    Tensor y = Interpreter.run(f, List.of(x2x3())).getFirst();
    assertEquals(Shape.of(1, 6), y.shape());
    assertArrayEquals(new double[] { 0, 1, 2, 3, 0, 0 }, y.toDoubles());
  }

  @Test
  void nonZeroOfAConstantIsAConstant() {
    Func f = importNode(
      13,
      node("NonZero", List.of("c")),
      List.of(ints("c", INT64, new long[] { 2, 2 }, 1, 0, 0, 3)),
      List.of(),
      info("y", INT64, 2, 2)
    );
    assertEquals(List.of(), opNames(f));
    assertArrayEquals(
      new long[] { 0, 1, 0, 1 },
      Interpreter.run(f, List.of()).getFirst().toLongs()
    );
  }

  @Test
  void nonZeroOfARuntimeInputIsAnError() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      importNode(
        13,
        node("NonZero", List.of("x")),
        List.of(),
        List.of(info("x", FLOAT, 2, 3)),
        info("y", INT64, 2, 6)
      )
    );
    assertEquals(
      "node \"n\" (NonZero): the output shape of NonZero depends on the data of its input, which" +
      " must be a constant known at compile time",
      e.getMessage()
    );
  }

  @Test
  void scatterElementsRejectsUnknownReduction() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      importNode(
        18,
        node("ScatterElements", List.of("x", "i", "u"), stringAttr("reduction", "avg")),
        List.of(),
        List.of(info("x", FLOAT, 3), info("i", INT64, 1), info("u", FLOAT, 1)),
        info("y", FLOAT, 3)
      )
    );
    assertEquals(
      "node \"n\" (ScatterElements): reduction 'avg' is not one of none, add, mul, max, min",
      e.getMessage()
    );
  }

  @Test
  void scatterOfOpset9IsScatterElements() {
    Func f = importNode(
      9,
      node("Scatter", List.of("x", "i", "u"), intAttr("axis", 0)),
      List.of(),
      List.of(info("x", FLOAT, 3), info("i", INT64, 1), info("u", FLOAT, 1)),
      info("y", FLOAT, 3)
    );
    assertEquals(List.of("nn.scatter_elements"), opNames(f));
    Tensor x = Tensor.ofDoubles(TensorType.of(ElementType.F32, 3), 1, 2, 3);
    Tensor i = Tensor.ofLongs(TensorType.of(ElementType.I64, 1), -1);
    Tensor u = Tensor.ofDoubles(TensorType.of(ElementType.F32, 1), 9);
    assertArrayEquals(
      new double[] { 1, 2, 9 },
      Interpreter.run(f, List.of(x, i, u)).getFirst().toDoubles()
    );
  }
}

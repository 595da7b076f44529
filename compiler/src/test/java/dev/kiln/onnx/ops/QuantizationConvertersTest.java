package dev.kiln.onnx.ops;

import static dev.kiln.onnx.ops.IndexingConvertersTest.importNode;
import static dev.kiln.onnx.ops.IndexingConvertersTest.info;
import static dev.kiln.onnx.ops.IndexingConvertersTest.intAttr;
import static dev.kiln.onnx.ops.IndexingConvertersTest.node;
import static dev.kiln.onnx.ops.IndexingConvertersTest.opNames;
import static dev.kiln.onnx.ops.IndexingConvertersTest.stringAttr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kiln.interp.Interpreter;
import dev.kiln.ir.DiagnosticException;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Func;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.proto.OnnxProto.NodeProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The quantization converters and low-precision casts on one-node models: the core ops they emit,
 * the element types they choose, and the values the interpreter computes.
 */
class QuantizationConvertersTest {

  private static final int FLOAT = 1;
  private static final int UINT8 = 2;
  private static final int FLOAT8E4M3FN = 17;
  private static final int INT4 = 22;
  private static final int FLOAT8E8M0 = 24;

  private static TensorProto scalarF32(String name, float v) {
    return TensorProto.newBuilder().setName(name).setDataType(FLOAT).addFloatData(v).build();
  }

  private static Tensor f32(double... v) {
    return Tensor.ofDoubles(TensorType.of(ElementType.F32, v.length), v);
  }

  @Test
  void quantizeWithPackedInt4ZeroPoint() {
    TensorProto zp = TensorProto.newBuilder()
      .setName("z")
      .setDataType(INT4)
      .setRawData(ByteString.copyFrom(new byte[] { 0x0f }))
      .build();
    Func f = importNode(
      21,
      node("QuantizeLinear", List.of("x", "s", "z")),
      List.of(scalarF32("s", 2), zp),
      List.of(info("x", FLOAT, 4)),
      info("y", INT4, 4)
    );
    assertEquals(List.of("nn.quantize_linear"), opNames(f));
    Tensor y = Interpreter.run(f, List.of(f32(1, 3, 100, -100))).getFirst();
    assertEquals(ElementType.I4, y.elementType());
    assertArrayEquals(new long[] { -1, 1, 7, -8 }, y.toLongs());
  }

  @Test
  void quantizeWithoutZeroPointUsesOutputDtype() {
    Func f = importNode(
      21,
      node("QuantizeLinear", List.of("x", "s"), intAttr("output_dtype", FLOAT8E4M3FN)),
      List.of(scalarF32("s", 1)),
      List.of(info("x", FLOAT, 2)),
      info("y", FLOAT8E4M3FN, 2)
    );
    Tensor y = Interpreter.run(f, List.of(f32(1000, 0.3))).getFirst();
    assertEquals(ElementType.F8E4M3FN, y.elementType());
    assertArrayEquals(new double[] { 448, 0.3125 }, y.toDoubles());
  }

  @Test
  void outputDtypeMustAgreeWithZeroPoint() {
    TensorProto zp = TensorProto.newBuilder()
      .setName("z")
      .setDataType(UINT8)
      .addInt32Data(0)
      .build();
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      importNode(
        21,
        node("QuantizeLinear", List.of("x", "s", "z"), intAttr("output_dtype", INT4)),
        List.of(scalarF32("s", 1), zp),
        List.of(info("x", FLOAT, 2)),
        info("y", UINT8, 2)
      )
    );
    assertTrue(
      e.getMessage().contains("output_dtype 22 differs from the zero point type u8"),
      e.getMessage()
    );
  }

  @Test
  void dequantizeKeepsTheScaleType() {
    Func f = importNode(
      21,
      node("DequantizeLinear", List.of("x", "s")),
      List.of(scalarF32("s", 0.5f)),
      List.of(info("x", INT4, 3)),
      info("y", FLOAT, 3)
    );
    assertEquals(List.of("nn.dequantize_linear"), opNames(f));
    Tensor x = Tensor.ofLongs(TensorType.of(ElementType.I4, 3), -8, 0, 7);
    assertArrayEquals(
      new double[] { -4, 0, 3.5 },
      Interpreter.run(f, List.of(x)).getFirst().toDoubles()
    );
  }

  @Test
  void dynamicQuantizeReturnsValuesScaleAndZeroPoint() {
    NodeProto n = NodeProto.newBuilder()
      .setOpType("DynamicQuantizeLinear")
      .setName("n")
      .addInput("x")
      .addOutput("y")
      .addOutput("s")
      .addOutput("z")
      .build();
    dev.kiln.onnx.proto.OnnxProto.GraphProto g =
      dev.kiln.onnx.proto.OnnxProto.GraphProto.newBuilder()
        .setName("g")
        .addNode(n)
        .addInput(info("x", FLOAT, 4))
        .addOutput(info("y", UINT8, 4))
        .addOutput(info("s", FLOAT))
        .addOutput(info("z", UINT8))
        .build();
    dev.kiln.onnx.proto.OnnxProto.ModelProto m =
      dev.kiln.onnx.proto.OnnxProto.ModelProto.newBuilder()
        .setIrVersion(8)
        .addOpsetImport(
          dev.kiln.onnx.proto.OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(11)
        )
        .setGraph(g)
        .build();
    Func f = dev.kiln.onnx.OnnxImporter.importModel(
      m,
      java.nio.file.Path.of("test.onnx"),
      dev.kiln.frontend.ImportOptions.defaults()
    )
      .module()
      .func("main")
      .orElseThrow();
    List<Tensor> out = Interpreter.run(f, List.of(f32(0, 2, -4, 4.5)));
    assertArrayEquals(new long[] { 120, 180, 0, 255 }, out.get(0).toLongs());
    assertEquals((float) (8.5 / 255), (float) out.get(1).getDouble(0));
    assertEquals(120, out.get(2).getLong(0));
  }

  @Test
  void castToE8M0HonoursRoundMode() {
    Func f = importNode(
      25,
      node(
        "Cast",
        List.of("x"),
        intAttr("to", FLOAT8E8M0),
        intAttr("saturate", 0),
        stringAttr("round_mode", "nearest")
      ),
      List.of(),
      List.of(info("x", FLOAT, 3)),
      info("y", FLOAT8E8M0, 3)
    );
    assertEquals(List.of("nn.cast"), opNames(f));
    double[] y = Interpreter.run(f, List.of(f32(1.4, 1.5, Float.POSITIVE_INFINITY)))
      .getFirst()
      .toDoubles();
    assertArrayEquals(new double[] { 1, 2 }, java.util.Arrays.copyOf(y, 2));
    assertTrue(Double.isNaN(y[2]));
  }

  @Test
  void badRoundModeIsAnError() {
    DiagnosticException e = assertThrows(DiagnosticException.class, () ->
      importNode(
        25,
        node("Cast", List.of("x"), intAttr("to", FLOAT8E8M0), stringAttr("round_mode", "zero")),
        List.of(),
        List.of(info("x", FLOAT, 3)),
        info("y", FLOAT8E8M0, 3)
      )
    );
    assertTrue(
      e.getMessage().contains("round_mode must be 'up', 'down' or 'nearest', got 'zero'"),
      e.getMessage()
    );
  }
}

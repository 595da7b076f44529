package dev.kiln.ir.op;

import static dev.kiln.ir.op.IndexingOpsTest.eval;
import static dev.kiln.ir.op.IndexingOpsTest.f32;
import static dev.kiln.ir.op.IndexingOpsTest.infer;
import static dev.kiln.ir.op.IndexingOpsTest.s;
import static dev.kiln.ir.op.TypeInferenceTest.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kiln.ir.ElementType;
import dev.kiln.ir.LowPrecision;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Type inference and reference semantics of quantize, dequantize and low-precision casts. */
class QuantizationOpsTest {

  private static Tensor of(ElementType e, long[] shape, double... v) {
    return Tensor.ofDoubles(new TensorType(e, Shape.of(shape)), v);
  }

  static Stream<Arguments> inference() {
    QuantizeLinear q8 = new QuantizeLinear(1, 0, ElementType.U8, true);
    return Stream.of(
      arguments(q8, List.of("2x3xf32", "f32"), "2x3xu8"),
      arguments(q8, List.of("2x3xf32", "f32", "u8"), "2x3xu8"),
      arguments(q8, List.of("2x3xf32", "3xf32", "3xu8"), "2x3xu8"),
      arguments(q8, List.of("Nx?xf32", "3xf16"), "Nx?xu8"),
      arguments(
        new QuantizeLinear(0, 2, ElementType.I4, true),
        List.of("5x3xf32", "3x3xf32"),
        "5x3xi4"
      ),
      arguments(
        new QuantizeLinear(-1, 0, ElementType.F8E4M3FN, false),
        List.of("4xf16", "f16", "1xf8e4m3fn"),
        "4xf8e4m3fn"
      ),
      arguments(
        new DequantizeLinear(1, 0, ElementType.F32),
        List.of("2x3xi8", "3xf32", "3xi8"),
        "2x3xf32"
      ),
      arguments(new DequantizeLinear(1, 0, ElementType.F16), List.of("4xf8e5m2", "f16"), "4xf16"),
      arguments(
        new DequantizeLinear(1, 2, ElementType.F32),
        List.of("1x4x3xu2", "1x2x3xf32", "1x2x3xu2"),
        "1x4x3xf32"
      ),
      arguments(
        new Cast(ElementType.F4E2M1, false, LowPrecision.RoundMode.DOWN),
        List.of("2xf32"),
        "2xf4e2m1"
      )
    );
  }

  @ParameterizedTest
  @MethodSource("inference")
  void infersTypes(Op op, List<String> operands, String result) {
    assertEquals(t(result), infer(op, operands.toArray(String[]::new)));
  }

  static Stream<Arguments> inferenceErrors() {
    QuantizeLinear q8 = new QuantizeLinear(1, 0, ElementType.U8, true);
    return Stream.of(
      arguments(
        q8,
        List.of("2x3xi32", "f32"),
        "quantize_linear input must be floating point, got tensor<2x3xi32>"
      ),
      arguments(
        new QuantizeLinear(1, 0, ElementType.I32, true),
        List.of("2xf32", "f32"),
        "quantize_linear output type must be i8, u8, i16, u16, i4, u4, i2, u2 or a float8/float4 type, got i32"
      ),
      arguments(
        q8,
        List.of("2x3xf32", "f32", "i8"),
        "quantize_linear zero point type i8 must equal the output type u8"
      ),
      arguments(
        q8,
        List.of("2x3xf32", "2xf32"),
        "quantize_linear per-axis scale length (2) must equal input extent (3) on axis 1"
      ),
      arguments(
        q8,
        List.of("2x3xf32", "3xf32", "u8"),
        "quantize_linear zero point shape [] must equal scale shape [3]"
      ),
      arguments(
        q8,
        List.of("2x3xf32", "1x3xf32"),
        "quantize_linear scale must be a scalar or 1-D without block_size, got rank 2"
      ),
      arguments(
        new QuantizeLinear(0, 2, ElementType.U8, true),
        List.of("5x3xf32", "2x3xf32"),
        "quantize_linear blocked scale extent (2) on axis 0 must be 3 for input extent 5 and block_size 2"
      ),
      arguments(
        new QuantizeLinear(0, 2, ElementType.U8, true),
        List.of("5x3xf32", "3xf32"),
        "quantize_linear blocked scale rank (1) must equal input rank (2)"
      ),
      arguments(
        new DequantizeLinear(1, 0, ElementType.F32),
        List.of("2xf32", "f32"),
        "dequantize_linear input type must be i8, u8, i16, u16, i32, i4, u4, i2, u2 or a float8/float4 type, got f32"
      ),
      arguments(
        new DequantizeLinear(1, 0, ElementType.I32),
        List.of("2xi8", "f32"),
        "dequantize_linear output type must be a float type, got i32"
      ),
      arguments(
        new DequantizeLinear(1, 0, ElementType.F32),
        List.of("2xi8", "f32", "u8"),
        "dequantize_linear zero point type u8 must equal the input type i8"
      )
    );
  }

  @ParameterizedTest
  @MethodSource("inferenceErrors")
  void rejectsBadOperands(Op op, List<String> operands, String message) {
    OpError e = assertThrows(OpError.class, () -> infer(op, operands.toArray(String[]::new)));
    assertEquals(message, e.getMessage());
  }

  @Test
  void quantizeRoundsHalfToEvenAndSaturates() {
    Tensor x = f32(s(7), 0, 2.5, 3.5, -2.5, 1000, -1000, Double.NaN);
    Tensor y = eval(
      new QuantizeLinear(1, 0, ElementType.U8, true),
      x,
      f32(s(), 1),
      of(ElementType.U8, s(), 10)
    );
    assertArrayEquals(new long[] { 10, 12, 14, 8, 255, 0, 10 }, y.toLongs());
    Tensor i4 = eval(new QuantizeLinear(1, 0, ElementType.I4, true), x, f32(s(), 0.5));
    assertArrayEquals(new long[] { 0, 5, 7, -5, 7, -8, 0 }, i4.toLongs());
  }

  @Test
  void quantizePerAxisAndBlocked() {
    Tensor x = f32(s(2, 4), 1, 2, 3, 4, 5, 6, 7, 8);
    Tensor perAxis = eval(
      new QuantizeLinear(0, 0, ElementType.I8, true),
      x,
      f32(s(2), 1, 2),
      of(ElementType.I8, s(2), 0, -1)
    );
    assertArrayEquals(new long[] { 1, 2, 3, 4, 1, 2, 3, 3 }, perAxis.toLongs());
    Tensor blocked = eval(
      new QuantizeLinear(1, 3, ElementType.U2, true),
      x,
      f32(s(2, 2), 1, 4, 4, 8)
    );
    assertArrayEquals(new long[] { 1, 2, 3, 1, 1, 2, 2, 1 }, blocked.toLongs());
  }

  @Test
  void quantizeToFloat8SaturatesOrNot() {
    Tensor x = f32(s(4), 1, 200, 100000, Double.NEGATIVE_INFINITY);
    Tensor sat = eval(new QuantizeLinear(1, 0, ElementType.F8E4M3FN, true), x, f32(s(), 2));
    assertArrayEquals(new double[] { 0.5, 96, 448, -448 }, sat.toDoubles());
    Tensor raw = eval(new QuantizeLinear(1, 0, ElementType.F8E5M2, false), x, f32(s(), 2));
    assertArrayEquals(new double[] { 0.5, 96, 49152, Double.NEGATIVE_INFINITY }, raw.toDoubles());
  }

  @Test
  void dequantizeSubtractsZeroPointAndScales() {
    Tensor x = of(ElementType.I4, s(2, 2), -8, 7, 0, 1);
    Tensor y = eval(
      new DequantizeLinear(0, 0, ElementType.F32),
      x,
      f32(s(2), 0.5, 2),
      of(ElementType.I4, s(2), 1, -1)
    );
    assertArrayEquals(new double[] { -4.5, 3, 2, 4 }, y.toDoubles());
    Tensor f8 = eval(
      new DequantizeLinear(1, 0, ElementType.F16),
      of(ElementType.F8E4M3FN, s(3), 1, -208 / 2.0, 448),
      of(ElementType.F16, s(), 2)
    );
    assertArrayEquals(new double[] { 2, -208, 896 }, f8.toDoubles());
    Tensor blocked = eval(
      new DequantizeLinear(0, 2, ElementType.F32),
      of(ElementType.U8, s(3), 1, 2, 3),
      f32(s(2), 10, 100)
    );
    assertArrayEquals(new double[] { 10, 20, 300 }, blocked.toDoubles());
  }

  @Test
  void castHonoursSaturateAndRoundMode() {
    Tensor x = f32(s(3), 1000, Double.POSITIVE_INFINITY, 0.124);
    assertArrayEquals(
      new double[] { 448, 448, 0.125 },
      eval(new Cast(ElementType.F8E4M3FN), x).toDoubles()
    );
    double[] raw = eval(
      new Cast(ElementType.F8E4M3FN, false, LowPrecision.RoundMode.UP),
      x
    ).toDoubles();
    assertEquals(Double.NaN, raw[0]);
    assertEquals(Double.NaN, raw[1]);
    assertArrayEquals(
      new double[] { 512, 0x1p127, 0.0625 },
      eval(new Cast(ElementType.F8E8M0, true, LowPrecision.RoundMode.DOWN), x).toDoubles()
    );
    assertArrayEquals(
      new long[] { 7, -8, 0 },
      eval(new Cast(ElementType.I4), f32(s(3), 23, 8.9, Double.NaN)).toLongs()
    );
    assertArrayEquals(
      new double[] { -8, 7 },
      eval(new Cast(ElementType.F32), of(ElementType.I4, s(2), -8, 7)).toDoubles()
    );
  }
}

package dev.kiln.ir;

import static dev.kiln.ir.ElementType.F4E2M1;
import static dev.kiln.ir.ElementType.F8E4M3FN;
import static dev.kiln.ir.ElementType.F8E4M3FNUZ;
import static dev.kiln.ir.ElementType.F8E5M2;
import static dev.kiln.ir.ElementType.F8E5M2FNUZ;
import static dev.kiln.ir.ElementType.F8E8M0;
import static dev.kiln.ir.LowPrecision.RoundMode.DOWN;
import static dev.kiln.ir.LowPrecision.RoundMode.NEAREST;
import static dev.kiln.ir.LowPrecision.RoundMode.UP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class LowPrecisionTest {

  private static final double INF = Double.POSITIVE_INFINITY;
  private static final double NAN = Double.NaN;

  @ParameterizedTest
  @EnumSource(names = { "F8E4M3FN", "F8E4M3FNUZ", "F8E5M2", "F8E5M2FNUZ", "F8E8M0", "F4E2M1" })
  void everyCodeDecodesAndEncodesBack(ElementType e) {
    int codes = e == F4E2M1 ? 16 : 256;
    for (int c = 0; c < codes; c++) {
      double v = LowPrecision.decode(e, c);
      if (Double.isNaN(v)) {
        assertTrue(Double.isNaN(LowPrecision.decode(e, LowPrecision.encode(e, v))));
        continue;
      }
      for (LowPrecision.RoundMode mode : LowPrecision.RoundMode.values()) {
        assertEquals(c, LowPrecision.encode(e, v, false, mode), e + " code " + c + " = " + v);
      }
    }
  }

  static Stream<Arguments> encodings() {
    return Stream.of(
      arguments(F8E4M3FN, 1.0, true, 0x38),
      arguments(F8E4M3FN, 448.0, false, 0x7e),
      arguments(F8E4M3FN, 464.0, false, 0x7e),
      arguments(F8E4M3FN, 480.0, false, 0x7f),
      arguments(F8E4M3FN, 480.0, true, 0x7e),
      arguments(F8E4M3FN, INF, true, 0x7e),
      arguments(F8E4M3FN, -INF, true, 0xfe),
      arguments(F8E4M3FN, -INF, false, 0xff),
      arguments(F8E4M3FN, NAN, true, 0x7f),
      arguments(F8E4M3FN, 0x1p-9, true, 0x01),
      arguments(F8E4M3FN, 0x1p-10, true, 0x00),
      arguments(F8E4M3FN, 0x1.8p-10, true, 0x01),
      arguments(F8E4M3FN, -0x1p-11, true, 0x80),
      arguments(F8E4M3FN, 1.0625, true, 0x38),
      arguments(F8E4M3FN, 1.1875, true, 0x3a),
      arguments(F8E4M3FNUZ, 1.0, true, 0x40),
      arguments(F8E4M3FNUZ, 240.0, true, 0x7f),
      arguments(F8E4M3FNUZ, -240.0, true, 0xff),
      arguments(F8E4M3FNUZ, 256.0, true, 0x7f),
      arguments(F8E4M3FNUZ, 256.0, false, 0x80),
      arguments(F8E4M3FNUZ, -0x1p-12, true, 0x00),
      arguments(F8E4M3FNUZ, -0.0, true, 0x00),
      arguments(F8E4M3FNUZ, NAN, true, 0x80),
      arguments(F8E5M2, 1.0, true, 0x3c),
      arguments(F8E5M2, 57344.0, false, 0x7b),
      arguments(F8E5M2, 61439.0, false, 0x7b),
      arguments(F8E5M2, 61440.0, false, 0x7c),
      arguments(F8E5M2, -INF, false, 0xfc),
      arguments(F8E5M2, INF, true, 0x7b),
      arguments(F8E5M2, 0x1p-16, true, 0x01),
      arguments(F8E5M2FNUZ, 1.0, true, 0x40),
      arguments(F8E5M2FNUZ, INF, false, 0x80),
      arguments(F8E5M2FNUZ, -INF, true, 0xff),
      arguments(F4E2M1, 0.25, false, 0x0),
      arguments(F4E2M1, 0.75, false, 0x2),
      arguments(F4E2M1, 2.5, false, 0x4),
      arguments(F4E2M1, 5.0, false, 0x6),
      arguments(F4E2M1, 100.0, false, 0x7),
      arguments(F4E2M1, -INF, false, 0xf),
      arguments(F4E2M1, -0.1, false, 0x8),
      arguments(F4E2M1, NAN, false, 0x8)
    );
  }

  @ParameterizedTest
  @MethodSource("encodings")
  void roundsToNearestEvenAndSaturates(ElementType e, double v, boolean saturate, int code) {
    assertEquals(code, LowPrecision.encode(e, v, saturate, UP));
  }

  static Stream<Arguments> e8m0() {
    return Stream.of(
      arguments(0.124, UP, true, 0x7c),
      arguments(0.124, DOWN, true, 0x7b),
      arguments(0.125, UP, true, 0x7c),
      arguments(1.4, NEAREST, true, 0x7f),
      arguments(1.5, NEAREST, true, 0x80),
      arguments(-2.0, UP, true, 0x80),
      arguments(0.0, UP, true, 0x00),
      arguments(NAN, UP, true, 0xff),
      arguments(0x1p128, UP, true, 0xfe),
      arguments(0x1p128, UP, false, 0xff),
      arguments(0x1.8p127, UP, false, 0xff),
      arguments(0x1.8p127, DOWN, false, 0xfe),
      arguments(INF, DOWN, true, 0xfe)
    );
  }

  @ParameterizedTest
  @MethodSource("e8m0")
  void e8m0RoundsByMode(double v, LowPrecision.RoundMode mode, boolean saturate, int code) {
    assertEquals(code, LowPrecision.encode(F8E8M0, v, saturate, mode));
  }

  @Test
  void specialCodes() {
    assertTrue(Double.isNaN(LowPrecision.decode(F8E4M3FN, 0xff)));
    assertTrue(Double.isNaN(LowPrecision.decode(F8E4M3FNUZ, 0x80)));
    assertTrue(Double.isNaN(LowPrecision.decode(F8E5M2FNUZ, 0x80)));
    assertTrue(Double.isNaN(LowPrecision.decode(F8E5M2, 0xfd)));
    assertTrue(Double.isNaN(LowPrecision.decode(F8E8M0, 0xff)));
    assertEquals(-INF, LowPrecision.decode(F8E5M2, 0xfc));
    assertEquals(0x1p-127, LowPrecision.decode(F8E8M0, 0));
    assertEquals(-0.0, LowPrecision.decode(F8E4M3FN, 0x80));
    assertEquals(0x1p-10, LowPrecision.decode(F8E4M3FNUZ, 0x01));
    assertEquals(0x1p-17, LowPrecision.decode(F8E5M2FNUZ, 0x01));
    assertEquals(-6.0, LowPrecision.decode(F4E2M1, 0xf));
  }

  @Test
  void subByteIntegersWrap() {
    TensorType i4 = TensorType.of(ElementType.I4, 4);
    assertArrayEquals(new long[] { -7, 7, -8, -1 }, Tensor.ofLongs(i4, 9, -9, 8, 15).toLongs());
    TensorType u4 = TensorType.of(ElementType.U4, 2);
    assertArrayEquals(new long[] { 15, 0 }, Tensor.ofLongs(u4, -1, 16).toLongs());
    TensorType i2 = TensorType.of(ElementType.I2, 3);
    assertArrayEquals(new long[] { -2, 1, -1 }, Tensor.ofDoubles(i2, 2, -3, 3).toLongs());
    TensorType u2 = TensorType.of(ElementType.U2, 2);
    assertArrayEquals(new long[] { 1, 3 }, Tensor.ofLongs(u2, 5, -1).toLongs());
  }

  @Test
  void tensorsRejectNonCanonicalSubByteElements() {
    assertThrows(IllegalArgumentException.class, () ->
      Tensor.wrap(TensorType.of(ElementType.I4, 1), new byte[] { 0x0f })
    );
    assertThrows(IllegalArgumentException.class, () ->
      Tensor.wrap(TensorType.of(ElementType.U2, 1), new byte[] { 4 })
    );
    assertThrows(IllegalArgumentException.class, () ->
      Tensor.wrap(TensorType.of(ElementType.F4E2M1, 1), new byte[] { 0x10 })
    );
    assertEquals(-1, Tensor.wrap(TensorType.of(ElementType.I4, 1), new byte[] { -1 }).getLong(0));
  }

  @Test
  void storageWidths() {
    assertEquals(1, ElementType.F8E5M2.byteSize());
    assertEquals(1, ElementType.I2.byteSize());
    assertEquals(4, ElementType.U4.bits());
    assertTrue(ElementType.F4E2M1.isSubByte() && ElementType.F4E2M1.isLowPrecisionFloat());
    assertEquals(ElementType.F8E4M3FNUZ, ElementType.fromText("f8e4m3fnuz").orElseThrow());
  }
}

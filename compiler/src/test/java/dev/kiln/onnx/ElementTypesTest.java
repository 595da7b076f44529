package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.ir.ElementType;
import dev.kiln.onnx.proto.OnnxProto.TensorProto.DataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ElementTypesTest {

  @ParameterizedTest
  @CsvSource(
    {
      "FLOAT, F32",
      "UINT8, U8",
      "INT8, I8",
      "UINT16, U16",
      "INT16, I16",
      "INT32, I32",
      "INT64, I64",
      "BOOL, BOOL",
      "FLOAT16, F16",
      "DOUBLE, F64",
      "UINT32, U32",
      "UINT64, U64",
      "BFLOAT16, BF16",
      "FLOAT8E4M3FN, F8E4M3FN",
      "FLOAT8E4M3FNUZ, F8E4M3FNUZ",
      "FLOAT8E5M2, F8E5M2",
      "FLOAT8E5M2FNUZ, F8E5M2FNUZ",
      "FLOAT8E8M0, F8E8M0",
      "FLOAT4E2M1, F4E2M1",
      "INT4, I4",
      "UINT4, U4",
      "INT2, I2",
      "UINT2, U2",
    }
  )
  void mapsBothWays(DataType onnx, ElementType kiln) {
    assertEquals(kiln, ElementTypes.fromOnnx(onnx.getNumber()));
    assertEquals(onnx.getNumber(), ElementTypes.toOnnx(kiln));
  }

  @ParameterizedTest
  @EnumSource(ElementType.class)
  void everyKilnTypeRoundTrips(ElementType e) {
    assertEquals(e, ElementTypes.fromOnnx(ElementTypes.toOnnx(e)));
  }

  @ParameterizedTest
  @EnumSource(value = DataType.class, names = { "UNDEFINED", "STRING", "COMPLEX64", "COMPLEX128" })
  void unsupportedTypesAreNamed(DataType d) {
    OnnxError e = assertThrows(OnnxError.class, () -> ElementTypes.fromOnnx(d.getNumber()));
    assertEquals("element type " + d + " is not supported", e.getMessage());
  }

  @Test
  void unknownNumber() {
    OnnxError e = assertThrows(OnnxError.class, () -> ElementTypes.fromOnnx(99));
    assertEquals("unknown element type 99", e.getMessage());
  }
}

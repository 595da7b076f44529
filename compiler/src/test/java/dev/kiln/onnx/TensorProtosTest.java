package dev.kiln.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto;
import dev.kiln.onnx.proto.OnnxProto.TensorProto.DataLocation;
import dev.kiln.onnx.proto.OnnxProto.TensorProto.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TensorProtosTest {

  @TempDir
  Path dir;

  private static Tensor sample(ElementType e) {
    TensorType type = TensorType.of(e, 2, 3);
    double[] values = e.isBool()
      ? new double[] { 1, 0, 1, 1, 0, 0 }
      : e.isFloat()
        ? new double[] { -1.5, 0, 2.25, 65504, -0.125, 3 }
        : e.kind() == ElementType.Kind.SIGNED
          ? new double[] { -128, -1, 0, 1, 2, 127 }
          : new double[] { 0, 1, 2, 3, 200, 255 };
    return Tensor.ofDoubles(type, values);
  }

  @ParameterizedTest
  @EnumSource(ElementType.class)
  void rawDataRoundTrip(ElementType e) throws IOException {
    Tensor t = sample(e);
    TensorProto p = TensorProtos.encode("x", t);
    assertEquals("x", p.getName());
    assertEquals(ElementTypes.toOnnx(e), p.getDataType());
    assertEquals(List.of(2L, 3L), p.getDimsList());
    assertEquals(t, TensorProtos.decode(p, dir));
    assertEquals(t, TensorProtos.decode(TensorProto.parseFrom(p.toByteString()), dir));
  }

  @Test
  void scalarAndEmpty() {
    Tensor scalar = Tensor.scalar(ElementType.I64, 7);
    assertEquals(scalar, TensorProtos.decode(TensorProtos.encode("s", scalar), dir));
    Tensor empty = Tensor.wrap(TensorType.of(ElementType.F32, 0, 4), new byte[0]);
    assertEquals(empty, TensorProtos.decode(TensorProtos.encode("e", empty), dir));
  }

  @ParameterizedTest
  @EnumSource(ElementType.class)
  void typedFieldsMatchRawData(ElementType e) {
    Tensor t = sample(e);
    TensorProto.Builder b = TensorProto.newBuilder()
      .setName("t")
      .setDataType(ElementTypes.toOnnx(e))
      .addDims(2)
      .addDims(3);
    if (e.isSubByte()) {
      for (byte packed : TensorProtos.pack(t)) {
        b.addInt32Data(packed & 0xff);
      }
      assertEquals(t, TensorProtos.decode(b.build(), dir));
      return;
    }
    for (int i = 0; i < 6; i++) {
      switch (e) {
        case F32 -> b.addFloatData((float) t.getDouble(i));
        case F64 -> b.addDoubleData(t.getDouble(i));
        case I64 -> b.addInt64Data(t.getLong(i));
        case U32, U64 -> b.addUint64Data(t.getLong(i));
        case F16, BF16 -> {
          byte[] raw = t.bytes();
          b.addInt32Data((raw[2 * i] & 0xff) | ((raw[2 * i + 1] & 0xff) << 8));
        }
        case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, F8E8M0 -> b.addInt32Data(
          t.bytes()[i] & 0xff
        );
        default -> b.addInt32Data((int) t.getLong(i));
      }
    }
    assertEquals(t, TensorProtos.decode(b.build(), dir));
  }

  @Test
  void floatBitsAreKeptExactly() {
    float nan = Float.intBitsToFloat(0x7fc00001);
    TensorProto p = TensorProto.newBuilder()
      .setDataType(DataType.FLOAT_VALUE)
      .addDims(3)
      .addFloatData(nan)
      .addFloatData(-0.0f)
      .addFloatData(Float.MIN_VALUE)
      .build();
    ByteBuffer raw = ByteBuffer.wrap(TensorProtos.decode(p, dir).bytes()).order(
      ByteOrder.LITTLE_ENDIAN
    );
    assertEquals(0x7fc00001, raw.getInt(0));
    assertEquals(0x80000000, raw.getInt(4));
    assertEquals(1, raw.getInt(8));
  }

  @Test
  void unsignedValuesFromWideFields() {
    TensorProto u64 = TensorProto.newBuilder()
      .setDataType(DataType.UINT64_VALUE)
      .addDims(1)
      .addUint64Data(-1L)
      .build();
    assertEquals(-1L, TensorProtos.decode(u64, dir).getLong(0));
    TensorProto u32 = TensorProto.newBuilder()
      .setDataType(DataType.UINT32_VALUE)
      .addDims(1)
      .addUint64Data(0xffff_fffeL)
      .build();
    assertEquals(0xffff_fffeL, TensorProtos.decode(u32, dir).getLong(0));
    TensorProto bool = TensorProto.newBuilder()
      .setDataType(DataType.BOOL_VALUE)
      .addDims(2)
      .setRawData(ByteString.copyFrom(new byte[] { 0, 5 }))
      .build();
    assertArrayEquals(new byte[] { 0, 1 }, TensorProtos.decode(bool, dir).bytes());
  }

  @Test
  void subByteTypesUnpackLowBitsFirst() {
    TensorProto i4 = TensorProto.newBuilder()
      .setDataType(DataType.INT4_VALUE)
      .addDims(3)
      .setRawData(ByteString.copyFrom(new byte[] { (byte) 0x87, 0x0f }))
      .build();
    Tensor t = TensorProtos.decode(i4, dir);
    assertArrayEquals(new long[] { 7, -8, -1 }, t.toLongs());
    assertArrayEquals(new byte[] { 7, -8, -1 }, t.bytes());
    TensorProto u4 = i4.toBuilder().setDataType(DataType.UINT4_VALUE).build();
    assertArrayEquals(new long[] { 7, 8, 15 }, TensorProtos.decode(u4, dir).toLongs());
    TensorProto i2 = TensorProto.newBuilder()
      .setDataType(DataType.INT2_VALUE)
      .addDims(5)
      .addInt32Data(0b11100100)
      .addInt32Data(0b01)
      .build();
    assertArrayEquals(new long[] { 0, 1, -2, -1, 1 }, TensorProtos.decode(i2, dir).toLongs());
    TensorProto u2 = i2.toBuilder().setDataType(DataType.UINT2_VALUE).build();
    assertArrayEquals(new long[] { 0, 1, 2, 3, 1 }, TensorProtos.decode(u2, dir).toLongs());
    TensorProto f4 = TensorProto.newBuilder()
      .setDataType(DataType.FLOAT4E2M1_VALUE)
      .addDims(4)
      .setRawData(ByteString.copyFrom(new byte[] { 0x71, (byte) 0x9e }))
      .build();
    assertArrayEquals(new double[] { 0.5, 6, -4, -0.5 }, TensorProtos.decode(f4, dir).toDoubles());
    assertArrayEquals(
      new byte[] { 0x71, (byte) 0x9e },
      TensorProtos.encode("f", TensorProtos.decode(f4, dir)).getRawData().toByteArray()
    );
  }

  @Test
  void float8CodesFromRawDataAndInt32Data() {
    TensorProto raw = TensorProto.newBuilder()
      .setDataType(DataType.FLOAT8E4M3FN_VALUE)
      .addDims(4)
      .setRawData(ByteString.copyFrom(new byte[] { 0x38, (byte) 0xb8, 0x7e, 0x7f }))
      .build();
    double[] v = TensorProtos.decode(raw, dir).toDoubles();
    assertArrayEquals(new double[] { 1, -1, 448 }, java.util.Arrays.copyOf(v, 3));
    assertEquals(Double.NaN, v[3]);
    TensorProto typed = TensorProto.newBuilder()
      .setDataType(DataType.FLOAT8E5M2_VALUE)
      .addDims(3)
      .addInt32Data(0x3c)
      .addInt32Data(0x7c)
      .addInt32Data(0xfb)
      .build();
    assertArrayEquals(
      new double[] { 1, Double.POSITIVE_INFINITY, -57344 },
      TensorProtos.decode(typed, dir).toDoubles()
    );
  }

  private static TensorProto.Builder f32(String name, long... dims) {
    TensorProto.Builder b = TensorProto.newBuilder()
      .setName(name)
      .setDataType(DataType.FLOAT_VALUE);
    for (long d : dims) {
      b.addDims(d);
    }
    return b;
  }

  private String error(TensorProto p) {
    return assertThrows(OnnxError.class, () -> TensorProtos.decode(p, dir)).getMessage();
  }

  @Test
  void malformedTensorsAreNamed() {
    assertEquals(
      "tensor 'w': raw_data has 4 bytes, shape [2] of f32 needs 8",
      error(f32("w", 2).setRawData(ByteString.copyFrom(new byte[4])).build())
    );
    assertEquals(
      "tensor 'w': float_data has 1 values, 2 elements of f32 expected",
      error(f32("w", 2).addFloatData(1).build())
    );
    assertEquals("tensor 'w': dimension -1 in [2, -1] is negative", error(f32("w", 2, -1).build()));
    assertEquals(
      "tensor 'w': shape [4294967296, 4294967296] has more elements than a 64-bit count holds",
      error(f32("w", 1L << 32, 1L << 32).build())
    );
    assertEquals(
      "tensor 'w': payload of 17179869184 bytes exceeds the maximum 2147483639",
      error(f32("w", 1L << 32).build())
    );
    assertEquals(
      "tensor 'q': element type COMPLEX64 is not supported",
      error(TensorProto.newBuilder().setName("q").setDataType(DataType.COMPLEX64_VALUE).build())
    );
    assertEquals(
      "tensor 'p': the padding bits of the last packed i4 byte are not zero",
      error(
        TensorProto.newBuilder()
          .setName("p")
          .setDataType(DataType.INT4_VALUE)
          .addDims(3)
          .setRawData(ByteString.copyFrom(new byte[] { 0x21, (byte) 0xf3 }))
          .build()
      )
    );
    assertEquals(
      "tensor 'p': int32_data has 1 values, 2 packed bytes of 3 u4 elements expected",
      error(
        TensorProto.newBuilder()
          .setName("p")
          .setDataType(DataType.UINT4_VALUE)
          .addDims(3)
          .addInt32Data(0x21)
          .build()
      )
    );
    assertEquals(
      "tensor 'p': raw_data has 1 bytes, shape [5] of u2 needs 2",
      error(
        TensorProto.newBuilder()
          .setName("p")
          .setDataType(DataType.UINT2_VALUE)
          .addDims(5)
          .setRawData(ByteString.copyFrom(new byte[] { 0x21 }))
          .build()
      )
    );
    assertEquals(
      "tensor 's': element type STRING is not supported",
      error(TensorProto.newBuilder().setName("s").setDataType(DataType.STRING_VALUE).build())
    );
    assertEquals(
      "tensor: data_type is missing",
      error(TensorProto.newBuilder().addDims(1).build())
    );
    assertEquals(
      "tensor 'w': segmented tensors are not supported",
      error(f32("w", 1).setSegment(TensorProto.Segment.newBuilder().setBegin(0).setEnd(1)).build())
    );
    assertEquals(
      "tensor 'w': rank 65 exceeds the maximum " + Shape.MAX_RANK,
      error(f32("w", new long[65]).build())
    );
  }

  private static TensorProto external(String location, String offset, String length, long... dims) {
    TensorProto.Builder b = f32("w", dims).setDataLocation(DataLocation.EXTERNAL);
    b.addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location));
    if (offset != null) {
      b.addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(offset));
    }
    if (length != null) {
      b.addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(length));
    }
    return b.build();
  }

  private void weights(String name, int bytes) throws IOException {
    byte[] data = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      data[i] = (byte) i;
    }
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.write(file, data);
  }

  @Test
  void externalDataWithOffsetAndLength() throws IOException {
    weights("sub/w.bin", 32);
    Tensor t = TensorProtos.decode(external("sub/w.bin", "8", "16", 2, 2), dir);
    byte[] want = new byte[16];
    for (int i = 0; i < 16; i++) {
      want[i] = (byte) (8 + i);
    }
    assertArrayEquals(want, t.bytes());
    assertEquals(TensorType.of(ElementType.F32, 2, 2), t.type());
    Tensor whole = TensorProtos.decode(external("./sub/w.bin", null, null, 8), dir);
    assertEquals(32, whole.bytes().length);
  }

  @Test
  void externalDataPathsStayInTheModelDirectory() throws IOException {
    weights("w.bin", 16);
    Path outside = Files.createTempFile("kiln-outside", ".bin");
    try {
      Files.write(outside, new byte[16]);
      assertEquals(
        "tensor 'w': external data location '../w.bin' contains '..'",
        error(external("../w.bin", null, null, 4))
      );
      assertEquals(
        "tensor 'w': external data location 'a/../../w.bin' contains '..'",
        error(external("a/../../w.bin", null, null, 4))
      );
      assertEquals(
        "tensor 'w': external data location '" + outside + "' is an absolute path",
        error(external(outside.toString(), null, null, 4))
      );
      assertEquals(
        "tensor 'w': external data location '.' is outside the model directory",
        error(external(".", null, null, 4))
      );
      assertEquals(
        "tensor 'w': external data has no location",
        error(f32("w", 4).setDataLocation(DataLocation.EXTERNAL).build())
      );
    } finally {
      Files.delete(outside);
    }
  }

  @Test
  void externalDataRefusesLinks() throws IOException {
    weights("real/w.bin", 16);
    Files.createSymbolicLink(dir.resolve("link.bin"), dir.resolve("real/w.bin"));
    Files.createSymbolicLink(dir.resolve("linkdir"), dir.resolve("real"));
    Files.createLink(dir.resolve("hard.bin"), dir.resolve("real/w.bin"));
    assertEquals(
      "tensor 'w': external data location 'link.bin' passes through the symbolic link 'link.bin'",
      error(external("link.bin", null, null, 4))
    );
    assertEquals(
      "tensor 'w': external data location 'linkdir/w.bin' passes through the symbolic link 'linkdir'",
      error(external("linkdir/w.bin", null, null, 4))
    );
    assertEquals(
      "tensor 'w': external data location 'hard.bin' names a file with 2 hard links",
      error(external("hard.bin", null, null, 4))
    );
  }

  @Test
  void externalDataMustBeARegularFile() throws IOException, InterruptedException {
    Files.createDirectories(dir.resolve("d"));
    assertEquals(
      "tensor 'w': external data location 'd' is not a regular file",
      error(external("d", null, null, 4))
    );
    assertEquals(
      "tensor 'w': external data location 'missing.bin': no such file",
      error(external("missing.bin", null, null, 4))
    );
    Path fifo = dir.resolve("fifo");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
    if (p.waitFor() == 0) {
      assertEquals(
        "tensor 'w': external data location 'fifo' is not a regular file",
        error(external("fifo", null, null, 4))
      );
    }
  }

  @Test
  void externalDataOffsetsAndLengthsAreChecked() throws IOException {
    weights("w.bin", 16);
    assertEquals(
      "tensor 'w': external data offset 8 + length 16 exceeds the 16 bytes of 'w.bin'",
      error(external("w.bin", "8", "16", 4))
    );
    assertEquals(
      "tensor 'w': external data offset 20 + length 16 exceeds the 16 bytes of 'w.bin'",
      error(external("w.bin", "20", null, 4))
    );
    assertEquals(
      "tensor 'w': external data length 12 does not match the 16 bytes of the shape",
      error(external("w.bin", "0", "12", 4))
    );
    assertEquals(
      "tensor 'w': external data offset '-1' is not a non-negative integer",
      error(external("w.bin", "-1", null, 4))
    );
    assertEquals(
      "tensor 'w': external data length '1e3' is not a non-negative integer",
      error(external("w.bin", null, "1e3", 4))
    );
    assertEquals(
      "tensor 'w': external data offset '99999999999999999999' is not a non-negative integer",
      error(external("w.bin", "99999999999999999999", null, 4))
    );
    assertEquals(
      "tensor 'w': external data offset '+4' is not a non-negative integer",
      error(external("w.bin", "+4", null, 4))
    );
  }
}

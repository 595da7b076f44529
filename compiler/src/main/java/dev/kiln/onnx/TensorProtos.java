package dev.kiln.onnx;

import com.google.protobuf.ByteString;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.LowPrecision;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.proto.OnnxProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ONNX {@code TensorProto} to and from Kiln {@link Tensor}.
 *
 * <p>Decoding reads the typed fields ({@code float_data}; {@code int32_data} for the 8- and 16-bit
 * types, {@code bool}, and the bit patterns of {@code float16} and {@code bfloat16}; {@code
 * int64_data}; {@code double_data}; {@code uint64_data} for {@code uint32} and {@code uint64}),
 * little-endian {@code raw_data}, or external data. Float8 types hold one code per byte of {@code
 * raw_data} or per {@code int32_data} value. The sub-byte types ({@code int4}, {@code uint4}, {@code
 * float4e2m1}: two per byte; {@code int2}, {@code uint2}: four per byte) are packed low bits first
 * in {@code raw_data}, external data and the bytes of {@code int32_data} (one packed byte per value),
 * and are unpacked to Kiln's one-byte-per-element layout; the padding bits of the last byte must be
 * zero. External data is read only from a regular file
 * inside the model's directory: the location must be relative, contain no {@code ..}, pass through
 * no symbolic link, and name a file with a single hard link; offset and length must be non-negative
 * decimal integers that stay inside the file, and the length must equal the shape's byte size.
 * Every problem is an {@link OnnxError} naming the tensor.
 */
public final class TensorProtos {

  /** Largest tensor payload one Java array can hold. */
  public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

  private static final Set<String> EXTERNAL_KEYS = Set.of(
    "location",
    "offset",
    "length",
    "checksum"
  );

  private TensorProtos() {}

  /** The tensor {@code t} holds; external data is resolved against {@code modelDir}. */
  public static Tensor decode(OnnxProto.TensorProto t, Path modelDir) {
    String who = t.getName().isEmpty() ? "tensor: " : "tensor '" + t.getName() + "': ";
    try {
      return decodeNamed(t, modelDir);
    } catch (OnnxError e) {
      throw new OnnxError(who + e.getMessage());
    }
  }

  private static Tensor decodeNamed(OnnxProto.TensorProto t, Path modelDir) {
    if (!t.hasDataType()) {
      throw new OnnxError("data_type is missing");
    }
    ElementType e = ElementTypes.fromOnnx(t.getDataType());
    if (t.hasSegment()) {
      throw new OnnxError("segmented tensors are not supported");
    }
    List<Long> dims = t.getDimsList();
    if (dims.size() > Shape.MAX_RANK) {
      throw new OnnxError("rank " + dims.size() + " exceeds the maximum " + Shape.MAX_RANK);
    }
    long count = 1;
    long bytes;
    try {
      for (long d : dims) {
        if (d < 0) {
          throw new OnnxError("dimension " + d + " in " + dims + " is negative");
        }
        count = Math.multiplyExact(count, d);
      }
      bytes = e.isSubByte()
        ? packedBytes(count, e)
        : Math.multiplyExact(count, (long) e.byteSize());
    } catch (ArithmeticException x) {
      throw new OnnxError("shape " + dims + " has more elements than a 64-bit count holds");
    }
    if (bytes > MAX_BYTES) {
      throw new OnnxError("payload of " + bytes + " bytes exceeds the maximum " + MAX_BYTES);
    }
    TensorType type = new TensorType(e, Shape.of(dims));
    if (count > MAX_BYTES) {
      throw new OnnxError("payload of " + count + " elements exceeds the maximum " + MAX_BYTES);
    }
    byte[] data;
    if (t.getDataLocation() == OnnxProto.TensorProto.DataLocation.EXTERNAL) {
      data = external(t, modelDir, bytes);
    } else if (t.hasRawData()) {
      ByteString raw = t.getRawData();
      if (raw.size() != bytes) {
        throw new OnnxError(
          "raw_data has " + raw.size() + " bytes, shape " + dims + " of " + e + " needs " + bytes
        );
      }
      data = raw.toByteArray();
    } else {
      data = typed(t, e, (int) count, (int) bytes);
    }
    if (e == ElementType.BOOL) {
      for (int i = 0; i < data.length; i++) {
        data[i] = (byte) (data[i] != 0 ? 1 : 0);
      }
    }
    if (e.isSubByte()) {
      data = unpack(data, e, (int) count);
    }
    return Tensor.wrap(type, data);
  }

  private static long packedBytes(long count, ElementType e) {
    int perByte = 8 / e.bits();
    return (count + perByte - 1) / perByte;
  }

  /** One byte per element from {@code packed} (low bits first), sign-extended for signed types. */
  static byte[] unpack(byte[] packed, ElementType e, int count) {
    int bits = e.bits();
    int perByte = 8 / bits;
    int mask = (1 << bits) - 1;
    byte[] out = new byte[count];
    for (int i = 0; i < count; i++) {
      int v = (packed[i / perByte] >> ((i % perByte) * bits)) & mask;
      out[i] = (byte) (e.kind() == ElementType.Kind.SIGNED ? LowPrecision.wrap(e, v) : v);
    }
    int used = count % perByte;
    if (used != 0 && ((packed[packed.length - 1] & 0xff) >> (used * bits)) != 0) {
      throw new OnnxError("the padding bits of the last packed " + e + " byte are not zero");
    }
    return out;
  }

  /** {@code t}'s elements packed low bits first, two or four to a byte. */
  static byte[] pack(Tensor t) {
    ElementType e = t.elementType();
    int bits = e.bits();
    int perByte = 8 / bits;
    int mask = (1 << bits) - 1;
    byte[] in = t.bytes();
    byte[] out = new byte[(int) packedBytes(in.length, e)];
    for (int i = 0; i < in.length; i++) {
      out[i / perByte] |= (byte) ((in[i] & mask) << ((i % perByte) * bits));
    }
    return out;
  }

  private static byte[] typed(OnnxProto.TensorProto t, ElementType e, int count, int bytes) {
    ByteBuffer out = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    switch (e) {
      case F32 -> {
        check(t.getFloatDataCount(), count, "float_data", e);
        for (int i = 0; i < count; i++) {
          out.putInt(Float.floatToRawIntBits(t.getFloatData(i)));
        }
      }
      case F64 -> {
        check(t.getDoubleDataCount(), count, "double_data", e);
        for (int i = 0; i < count; i++) {
          out.putLong(Double.doubleToRawLongBits(t.getDoubleData(i)));
        }
      }
      case I64 -> {
        check(t.getInt64DataCount(), count, "int64_data", e);
        for (int i = 0; i < count; i++) {
          out.putLong(t.getInt64Data(i));
        }
      }
      case U64 -> {
        check(t.getUint64DataCount(), count, "uint64_data", e);
        for (int i = 0; i < count; i++) {
          out.putLong(t.getUint64Data(i));
        }
      }
      case U32 -> {
        check(t.getUint64DataCount(), count, "uint64_data", e);
        for (int i = 0; i < count; i++) {
          out.putInt((int) t.getUint64Data(i));
        }
      }
      case I32 -> {
        check(t.getInt32DataCount(), count, "int32_data", e);
        for (int i = 0; i < count; i++) {
          out.putInt(t.getInt32Data(i));
        }
      }
      case I16, U16, F16, BF16 -> {
        check(t.getInt32DataCount(), count, "int32_data", e);
        for (int i = 0; i < count; i++) {
          out.putShort((short) t.getInt32Data(i));
        }
      }
      case
        I8,
        U8,
        BOOL,
        F8E4M3FN,
        F8E4M3FNUZ,
        F8E5M2,
        F8E5M2FNUZ,
        F8E8M0,
        I4,
        U4,
        I2,
        U2,
        F4E2M1 -> {
        if (e.isSubByte() && t.getInt32DataCount() != bytes) {
          throw new OnnxError(
            "int32_data has " +
            t.getInt32DataCount() +
            " values, " +
            bytes +
            " packed bytes of " +
            count +
            " " +
            e +
            " elements expected"
          );
        }
        check(t.getInt32DataCount(), bytes, "int32_data", e);
        for (int i = 0; i < bytes; i++) {
          out.put((byte) t.getInt32Data(i));
        }
      }
    }
    return out.array();
  }

  private static void check(int have, int want, String field, ElementType e) {
    if (have != want) {
      throw new OnnxError(
        field + " has " + have + " values, " + want + " elements of " + e + " expected"
      );
    }
  }

  private static byte[] external(OnnxProto.TensorProto t, Path modelDir, long bytes) {
    Map<String, String> kv = new HashMap<>();
    for (OnnxProto.StringStringEntryProto p : t.getExternalDataList()) {
      if (EXTERNAL_KEYS.contains(p.getKey()) && kv.put(p.getKey(), p.getValue()) != null) {
        throw new OnnxError("external_data key '" + p.getKey() + "' appears twice");
      }
    }
    String location = kv.get("location");
    if (location == null || location.isEmpty()) {
      throw new OnnxError("external data has no location");
    }
    String where = "external data location '" + location + "'";
    long offset = nonNegative(kv.get("offset"), "offset", 0);
    Path dir = modelDir.toAbsolutePath().normalize();
    Path rel;
    try {
      rel = Path.of(location);
    } catch (InvalidPathException x) {
      throw new OnnxError(where + " is not a valid path");
    }
    if (
      rel.isAbsolute() ||
      rel.getRoot() != null ||
      location.startsWith("/") ||
      location.startsWith("\\")
    ) {
      throw new OnnxError(where + " is an absolute path");
    }
    for (String part : location.split("[/\\\\]")) {
      if (part.equals("..")) {
        throw new OnnxError(where + " contains '..'");
      }
    }
    Path file = dir.resolve(rel).normalize();
    if (!file.startsWith(dir) || file.equals(dir)) {
      throw new OnnxError(where + " is outside the model directory");
    }
    Path walk = dir;
    for (Path part : dir.relativize(file)) {
      walk = walk.resolve(part);
      if (Files.isSymbolicLink(walk)) {
        throw new OnnxError(
          where + " passes through the symbolic link '" + dir.relativize(walk) + "'"
        );
      }
    }
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new OnnxError(where + ": no such file");
    }
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new OnnxError(where + " is not a regular file");
    }
    try {
      if (
        Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS) instanceof Integer n &&
        n > 1
      ) {
        throw new OnnxError(where + " names a file with " + n + " hard links");
      }
    } catch (UnsupportedOperationException | IllegalArgumentException | IOException x) {
      throw new OnnxError(where + ": cannot check the link count (" + x.getMessage() + ")");
    }
    long size;
    try {
      size = Files.size(file);
    } catch (IOException x) {
      throw new OnnxError(where + ": cannot read (" + x.getMessage() + ")");
    }
    long length = nonNegative(kv.get("length"), "length", bytes);
    if (offset > size || length > size - offset) {
      throw new OnnxError(
        "external data offset " +
        offset +
        " + length " +
        length +
        " exceeds the " +
        size +
        " bytes of '" +
        location +
        "'"
      );
    }
    if (length != bytes) {
      throw new OnnxError(
        "external data length " + length + " does not match the " + bytes + " bytes of the shape"
      );
    }
    byte[] data = new byte[(int) bytes];
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      in.skipNBytes(offset);
      if (in.readNBytes(data, 0, data.length) != data.length) {
        throw new OnnxError(where + ": file shrank while reading");
      }
    } catch (IOException x) {
      throw new OnnxError(where + ": cannot read (" + x.getMessage() + ")");
    }
    return data;
  }

  private static long nonNegative(String v, String what, long absent) {
    if (v == null) {
      return absent;
    }
    if (v.isEmpty() || v.length() > 19 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new OnnxError("external data " + what + " '" + v + "' is not a non-negative integer");
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException x) {
      throw new OnnxError("external data " + what + " '" + v + "' is not a non-negative integer");
    }
  }

  /**
   * A {@code TensorProto} named {@code name} holding {@code t} as little-endian {@code raw_data}
   * (sub-byte types packed).
   */
  public static OnnxProto.TensorProto encode(String name, Tensor t) {
    OnnxProto.TensorProto.Builder b = OnnxProto.TensorProto.newBuilder()
      .setName(name)
      .setDataType(ElementTypes.toOnnx(t.elementType()))
      .setRawData(ByteString.copyFrom(t.elementType().isSubByte() ? pack(t) : t.bytes()));
    for (long d : t.shape().sizes()) {
      b.addDims(d);
    }
    return b.build();
  }
}

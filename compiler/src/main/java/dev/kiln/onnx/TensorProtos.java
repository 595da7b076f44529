package dev.kiln.onnx;

import com.google.protobuf.ByteString;
import dev.kiln.ir.ElementType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Tensor;
import dev.kiln.ir.TensorType;
import dev.kiln.onnx.proto.OnnxProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * ONNX {@code TensorProto} to and from Kiln {@link Tensor}: typed fields or little-endian {@code
 * raw_data}, and external data read only from regular files inside the model's directory (no
 * {@code ..}, no absolute paths, no symbolic or hard links, offset and length inside the file, length
 * equal to the declared shape).
 */
public final class TensorProtos {

  /** Largest tensor payload one Java array can hold. */
  public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

  private TensorProtos() {}

  public static Tensor decode(OnnxProto.TensorProto t, Path modelDir) {
    ElementType e = ElementTypes.fromOnnx(t.getDataType());
    if (t.getDimsCount() > Shape.MAX_RANK) {
      throw new OnnxError("rank " + t.getDimsCount() + " exceeds " + Shape.MAX_RANK);
    }
    for (long d : t.getDimsList()) {
      if (d < 0) {
        throw new OnnxError("negative dimension " + d + " in " + t.getDimsList());
      }
    }
    Shape shape = Shape.of(t.getDimsList());
    long count;
    long bytes;
    try {
      count = shape.numElements().orElseThrow();
      bytes = Math.multiplyExact(count, (long) e.byteSize());
    } catch (ArithmeticException x) {
      throw new OnnxError("shape " + t.getDimsList() + " has more elements than 64 bits count");
    }
    if (bytes > MAX_BYTES) {
      throw new OnnxError(
        "tensor of " + bytes + " bytes is larger than Kiln reads (" + MAX_BYTES + ")"
      );
    }
    TensorType type = new TensorType(e, shape);
    if (t.getDataLocation() == OnnxProto.TensorProto.DataLocation.EXTERNAL) {
      return Tensor.wrap(type, external(t, modelDir, bytes));
    }
    if (t.hasRawData()) {
      ByteString raw = t.getRawData();
      if (raw.size() != bytes) {
        throw new OnnxError(
          "raw_data has " +
          raw.size() +
          " bytes but shape " +
          t.getDimsList() +
          " of " +
          e +
          " needs " +
          bytes
        );
      }
      return Tensor.wrap(type, raw.toByteArray());
    }
    Tensor.Builder b = new Tensor.Builder(type);
    switch (e) {
      case F32 -> {
        check(t.getFloatDataCount(), count, "float_data");
        for (int i = 0; i < count; i++) {
          b.setDouble(i, t.getFloatData(i));
        }
      }
      case F64 -> {
        check(t.getDoubleDataCount(), count, "double_data");
        for (int i = 0; i < count; i++) {
          b.setDouble(i, t.getDoubleData(i));
        }
      }
      case I64 -> {
        check(t.getInt64DataCount(), count, "int64_data");
        for (int i = 0; i < count; i++) {
          b.setLong(i, t.getInt64Data(i));
        }
      }
      case U64, U32 -> {
        check(t.getUint64DataCount(), count, "uint64_data");
        for (int i = 0; i < count; i++) {
          b.setLong(i, t.getUint64Data(i));
        }
      }
      case F16, BF16 -> {
        check(t.getInt32DataCount(), count, "int32_data");
        byte[] data = new byte[Math.toIntExact(bytes)];
        for (int i = 0; i < count; i++) {
          int bits = t.getInt32Data(i);
          data[2 * i] = (byte) bits;
          data[2 * i + 1] = (byte) (bits >>> 8);
        }
        return Tensor.wrap(type, data);
      }
      case I32, I16, I8, U16, U8, BOOL -> {
        check(t.getInt32DataCount(), count, "int32_data");
        for (int i = 0; i < count; i++) {
          b.setLong(i, t.getInt32Data(i));
        }
      }
    }
    return b.build();
  }

  private static void check(int have, long want, String field) {
    if (have != want) {
      throw new OnnxError(field + " has " + have + " values, the shape needs " + want);
    }
  }

  private static byte[] external(OnnxProto.TensorProto t, Path modelDir, long bytes) {
    Map<String, String> kv = new HashMap<>();
    for (OnnxProto.StringStringEntryProto p : t.getExternalDataList()) {
      kv.put(p.getKey(), p.getValue());
    }
    String location = kv.get("location");
    if (location == null || location.isEmpty()) {
      throw new OnnxError("external data has no location");
    }
    long offset = nonNegative(kv.getOrDefault("offset", "0"), "offset");
    Path dir = modelDir.toAbsolutePath().normalize();
    Path rel = Path.of(location);
    if (rel.isAbsolute() || location.startsWith("/") || location.startsWith("\\")) {
      throw new OnnxError("external data location '" + location + "' is absolute");
    }
    for (Path part : rel) {
      if (part.toString().equals("..")) {
        throw new OnnxError("external data location '" + location + "' leaves the model directory");
      }
    }
    Path file = dir.resolve(rel).normalize();
    if (!file.startsWith(dir)) {
      throw new OnnxError("external data location '" + location + "' leaves the model directory");
    }
    Path walk = dir;
    for (Path part : dir.relativize(file)) {
      walk = walk.resolve(part);
      if (Files.isSymbolicLink(walk)) {
        throw new OnnxError(
          "external data location '" + location + "' goes through a symbolic link"
        );
      }
    }
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new OnnxError(
          "external data file '" + location + "' is missing or not a regular file"
        );
      }
      Object links = Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
      if (links instanceof Integer n && n > 1) {
        throw new OnnxError("external data file '" + location + "' has " + n + " hard links");
      }
      long size = Files.size(file);
      long length = kv.containsKey("length")
        ? nonNegative(kv.get("length"), "length")
        : size - offset;
      if (offset > size || length > size - offset) {
        throw new OnnxError(
          "external data offset " +
          offset +
          " + length " +
          length +
          " exceeds '" +
          location +
          "' (" +
          size +
          " bytes)"
        );
      }
      if (length != bytes) {
        throw new OnnxError(
          "external data length " + length + " does not match the shape's " + bytes + " bytes"
        );
      }
      byte[] data = new byte[Math.toIntExact(bytes)];
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        in.skipNBytes(offset);
        in.readNBytes(data, 0, data.length);
      }
      return data;
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      throw new OnnxError("cannot check external data file '" + location + "': " + e.getMessage());
    } catch (IOException e) {
      throw new OnnxError("cannot read external data '" + location + "': " + e.getMessage());
    }
  }

  private static long nonNegative(String v, String what) {
    try {
      long x = Long.parseLong(v);
      if (x < 0) {
        throw new NumberFormatException();
      }
      return x;
    } catch (NumberFormatException e) {
      throw new OnnxError("external data " + what + " '" + v + "' is not a non-negative integer");
    }
  }

  /** A {@code TensorProto} named {@code name} holding {@code t} as {@code raw_data}. */
  public static OnnxProto.TensorProto encode(String name, Tensor t) {
    OnnxProto.TensorProto.Builder b = OnnxProto.TensorProto.newBuilder()
      .setName(name)
      .setDataType(ElementTypes.toOnnx(t.elementType()))
      .setRawData(ByteString.copyFrom(t.bytes()));
    for (long d : t.shape().sizes()) {
      b.addDims(d);
    }
    return b.build();
  }
}
